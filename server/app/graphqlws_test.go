package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os/exec"
	"slices"
	"testing"
	"time"

	"parley/server/apitest"
	"parley/server/browsertest"
)

// A stock graphql-ws client (npm graphql-ws, its own retry) subscribed to
// events through a restart: the server shuts down (closing its socket with
// 1012), messages are sent while the client waits to retry, the server
// comes back, and after the client's automatic retry every message has
// arrived exactly once, in order. The client re-sends its first subscribe
// unchanged, with no since or with the one it started from; the cursor it
// names in connectionParams is what resumes it (README "Reconnecting").
// Skipped without node and the npm packages (.ci/browser-deps).
func TestGraphQLWSClientResumes(t *testing.T) {
	node, modules := browsertest.Node(t, "graphql-ws", "ws")
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		var dc struct{ CreateDirectChat struct{ ID string } }
		ann.MustDo(`mutation($u:ID!){ createDirectChat(userId:$u){ id } }`, Vars{"u": bob.ID}, &dc)
		send := func(text string) {
			ann.MustDo(`mutation($c:ID!,$t:String!){ sendMessage(input:{conversationId:$c, text:$t}){ id } }`,
				Vars{"c": dc.CreateDirectChat.ID, "t": text}, nil)
		}
		// keptCursor is the cursor the app kept from an earlier run: m0's.
		keptCursor := func() string {
			earlier := bob.Connect()
			defer earlier.Close()
			sub := earlier.Subscribe(`subscription { events { cursor type message { text } } }`, nil)
			time.Sleep(100 * time.Millisecond)
			send("m0")
			for {
				var e struct {
					Events struct {
						Cursor, Type string
						Message      *struct{ Text string }
					}
				}
				sub.Next(10*time.Second).Decode(t, &e)
				if e.Events.Type == "MESSAGE_ADDED" && e.Events.Message.Text == "m0" {
					return e.Events.Cursor
				}
			}
		}
		for _, subscribeSince := range []string{"null", "kept"} {
			got := runGraphQLWSClient(t, node, modules, env, bob.Token, keptCursor(), subscribeSince, send)
			if want := []string{"m1", "m2", "m3", "m4"}; !slices.Equal(got, want) {
				t.Errorf("subscribe with since %s: the client got %q, want %q", subscribeSince, got, want)
			}
		}
	})
}

// runGraphQLWSClient runs the client through one restart and returns the
// messages it received: m1 before, m2 and m3 while it was away, m4 after.
func runGraphQLWSClient(t *testing.T, node, modules string, env *apitest.Env, token, since, subscribeSince string, send func(string)) []string {
	serve := func() (string, context.CancelFunc, chan error) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- env.App.Serve(ctx, l) }()
		return "ws://" + l.Addr().String() + "/query", stop, served
	}
	url, stop, served := serve()
	defer stop()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "testdata/graphqlws-resume.cjs")
	cmd.Env = append(cmd.Environ(), "NODE_PATH="+modules, "URL="+url, "TOKEN="+token, "SINCE="+since, "SUBSCRIBE_SINCE="+subscribeSince)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("node: %s", stderr.String())
		}
	}()
	type line struct {
		Connected bool
		Closed    int
		Message   string
		Error     any
	}
	lines := make(chan line)
	go func() { // read asynchronously, always: a child blocked on its output stalls
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var l line
			if json.Unmarshal(sc.Bytes(), &l) == nil {
				lines <- l
			}
		}
	}()
	var messages []string
	// until reads the client's lines until one satisfies ok.
	until := func(what string, ok func(line) bool) {
		t.Helper()
		for {
			select {
			case l, open := <-lines:
				if !open {
					t.Fatalf("the client ended waiting for %s", what)
				}
				if l.Error != nil {
					t.Fatalf("the client: %v", l.Error)
				}
				if l.Message != "" {
					messages = append(messages, l.Message)
				}
				if ok(l) {
					return
				}
			case <-ctx.Done():
				t.Fatalf("no %s from the client (got %q)", what, messages)
			}
		}
	}
	tell := func(m map[string]any) {
		b, _ := json.Marshal(m)
		if _, err := stdin.Write(append(b, '\n')); err != nil {
			t.Fatal(err)
		}
	}

	until("connection", func(l line) bool { return l.Connected })
	send("m1")
	until("m1", func(l line) bool { return l.Message == "m1" })
	stop() // the restart: Serve shuts down, closing the socket
	closed := 0
	until("close", func(l line) bool { closed = l.Closed; return closed != 0 })
	if closed != 1012 {
		t.Errorf("the restart closed the client's socket with %d, want 1012", closed)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	send("m2")
	send("m3")
	url, stop, served = serve()
	defer func() { stop(); <-served }() // its shutdown would close the next run's sockets too
	tell(map[string]any{"retry": url})
	until("reconnection", func(l line) bool { return l.Connected })
	send("m4")
	until("m4", func(l line) bool { return l.Message == "m4" })
	tell(map[string]any{"done": true})
	for l := range lines { // what else it printed before it ended
		if l.Message != "" {
			messages = append(messages, l.Message)
		}
	}
	return messages
}
