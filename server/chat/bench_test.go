package chat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"testing"
	"time"

	"parley/ent/schema/pulid"
	"parley/server/apitest"
	"parley/server/auth"
	"parley/server/chat"
)

// The send path, measured: `go test ./server/chat -run XXX -bench . -benchtime 5s`
// (BENCHMARKS.md has the numbers). Every benchmark runs on a real server
// (apitest) over SQLite and PostgreSQL; its event relay runs too, as in
// production, so a send costs what it costs there.

// benchGroupSize is how many members the benchmark group has, the admin included.
const benchGroupSize = 20

// benchParallelism × GOMAXPROCS goroutines send at once in the parallel runs.
const benchParallelism = 8

// benchGroups is how many groups (of the same members) the "groups" runs spread sends over.
const benchGroups = 16

type benchEnv struct {
	env     *apitest.Env
	conv    string   // the group every run but "groups" sends to
	convs   []string // benchGroups groups of the same members, conv first
	members []*apitest.Client
	viewers []*auth.Viewer
}

func newBenchEnv(b *testing.B, backend string, groupSize, groups int) *benchEnv {
	b.Helper()
	env := apitest.Start(b, backend, apitest.Options{})
	be := &benchEnv{env: env, members: []*apitest.Client{env.Admin}}
	var ids []string
	for i := 1; i < groupSize; i++ {
		c := env.NewUser("MEMBER", fmt.Sprintf("Bench %d", i))
		be.members = append(be.members, c)
		ids = append(ids, c.ID)
	}
	for range groups {
		var out struct{ CreateGroupChat struct{ ID string } }
		env.Admin.MustDo(`mutation($m:[ID!]!){ createGroupChat(input:{title:"bench", memberIds:$m}){ id } }`, Vars{"m": ids}, &out)
		be.convs = append(be.convs, out.CreateGroupChat.ID)
	}
	be.conv = be.convs[0]
	for _, m := range be.members {
		v, err := env.App.Auth.Authenticate(context.Background(), "Bearer "+m.Token)
		if err != nil {
			b.Fatal(err)
		}
		be.viewers = append(be.viewers, v)
	}
	return be
}

func reportSends(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
}

// BenchmarkSend calls the core's Send directly: the persisted-send rate the
// database allows, without HTTP or GraphQL. "serial" is one sender;
// "parallel" is benchParallelism×GOMAXPROCS senders into one group (they
// queue on its row lock on PostgreSQL); "groups" is as many senders, each
// into its own of benchGroups groups.
func BenchmarkSend(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			be := newBenchEnv(b, backend, benchGroupSize, benchGroups)
			core, conv := be.env.App.Chat, pulid.ID(be.conv)
			text := "a benchmark message of an ordinary length, without any mention in it"
			b.Run("serial", func(b *testing.B) {
				ctx := context.Background()
				i := 0
				for b.Loop() {
					if _, err := core.Send(ctx, be.viewers[i%len(be.viewers)], chat.SendInput{ConversationID: conv, Text: &text}); err != nil {
						b.Fatal(err)
					}
					i++
				}
				reportSends(b)
			})
			b.Run("parallel", func(b *testing.B) {
				var next atomic.Int64
				b.SetParallelism(benchParallelism)
				b.RunParallel(func(pb *testing.PB) {
					ctx := context.Background()
					v := be.viewers[int(next.Add(1))%len(be.viewers)]
					for pb.Next() {
						if _, err := core.Send(ctx, v, chat.SendInput{ConversationID: conv, Text: &text}); err != nil {
							b.Error(err)
							return
						}
					}
				})
				reportSends(b)
			})
			b.Run("groups", func(b *testing.B) {
				var next atomic.Int64
				b.SetParallelism(benchParallelism)
				b.RunParallel(func(pb *testing.PB) {
					ctx := context.Background()
					n := int(next.Add(1))
					v, conv := be.viewers[n%len(be.viewers)], pulid.ID(be.convs[n%len(be.convs)])
					for pb.Next() {
						if _, err := core.Send(ctx, v, chat.SendInput{ConversationID: conv, Text: &text}); err != nil {
							b.Error(err)
							return
						}
					}
				})
				reportSends(b)
			})
		})
	}
}

// BenchmarkSendGraphQL sends through the sendMessage mutation over HTTP on
// loopback: the core plus authentication, gqlgen and JSON, as a client
// sees it (the client's own cost shares the CPU). "serial" is one sender
// into one group; "groups" is benchParallelism×GOMAXPROCS senders over
// benchGroups groups.
func BenchmarkSendGraphQL(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			be := newBenchEnv(b, backend, benchGroupSize, benchGroups)
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, Proxy: nil}}
			const mutation = `mutation($c:ID!,$t:String){ sendMessage(input:{conversationId:$c, text:$t}){ id } }`
			bodies := make([][]byte, len(be.convs))
			for i, c := range be.convs {
				bodies[i], _ = json.Marshal(map[string]any{"query": mutation,
					"variables": Vars{"c": c, "t": "a benchmark message of an ordinary length, without any mention in it"}})
			}
			sendOne := func(token string, body []byte) error {
				req, _ := http.NewRequest(http.MethodPost, be.env.URL+"/query", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := hc.Do(req)
				if err != nil {
					return err
				}
				defer res.Body.Close()
				raw, _ := io.ReadAll(res.Body)
				if res.StatusCode != http.StatusOK || bytes.Contains(raw, []byte(`"errors"`)) {
					return fmt.Errorf("HTTP %d: %s", res.StatusCode, raw)
				}
				return nil
			}
			b.Run("serial", func(b *testing.B) {
				i := 0
				for b.Loop() {
					if err := sendOne(be.members[i%len(be.members)].Token, bodies[0]); err != nil {
						b.Fatal(err)
					}
					i++
				}
				reportSends(b)
			})
			b.Run("groups", func(b *testing.B) {
				var next atomic.Int64
				b.SetParallelism(benchParallelism)
				b.RunParallel(func(pb *testing.PB) {
					n := int(next.Add(1))
					token, body := be.members[n%len(be.members)].Token, bodies[n%len(bodies)]
					for pb.Next() {
						if err := sendOne(token, body); err != nil {
							b.Error(err)
							return
						}
					}
				})
				reportSends(b)
			})
		})
	}
}

// BenchmarkFanout measures delivery: every member of a fanoutGroupSize
// group holds a WebSocket subscribed to messageAdded, and one op is a
// message sent (through the core, benchParallelism×GOMAXPROCS at once) and
// received by every member. Client and server share the process, so a CPU
// profile of it shows the server's fan-out path next to the test client's
// decoding (pprof -focus 'parley/|gqlgen' separates them).
func BenchmarkFanout(b *testing.B) {
	const fanoutGroupSize = 100
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			be := newBenchEnv(b, backend, fanoutGroupSize, 1)
			core, conv := be.env.App.Chat, pulid.ID(be.conv)
			var received atomic.Int64
			subs := make([]*apitest.Subscription, len(be.members))
			for i, m := range be.members {
				subs[i] = m.Connect().Subscribe(`subscription($c:ID!){ messageAdded(conversationId:$c){ id text createdAt } }`, Vars{"c": be.conv})
				go func(sub *apitest.Subscription) {
					for range sub.C {
						received.Add(1)
					}
				}(subs[i])
			}
			// Subscriptions start asynchronously: probe until everyone hears.
			text := "probe"
			for deadline := time.Now().Add(30 * time.Second); received.Load() < int64(len(subs)); {
				if time.Now().After(deadline) {
					b.Fatalf("only %d of %d subscriptions live", received.Load(), len(subs))
				}
				received.Store(0)
				if _, err := core.Send(context.Background(), be.viewers[0], chat.SendInput{ConversationID: conv, Text: &text}); err != nil {
					b.Fatal(err)
				}
				time.Sleep(200 * time.Millisecond)
			}
			text = "a benchmark message of an ordinary length, without any mention in it"
			b.Run("messageAdded", func(b *testing.B) {
				received.Store(0)
				var next atomic.Int64
				b.SetParallelism(benchParallelism)
				b.RunParallel(func(pb *testing.PB) {
					ctx := context.Background()
					v := be.viewers[int(next.Add(1))%len(be.viewers)]
					for pb.Next() {
						if _, err := core.Send(ctx, v, chat.SendInput{ConversationID: conv, Text: &text}); err != nil {
							b.Error(err)
							return
						}
					}
				})
				want := int64(b.N) * int64(len(subs))
				for deadline := time.Now().Add(time.Minute); received.Load() < want; time.Sleep(time.Millisecond) {
					if time.Now().After(deadline) {
						b.Fatalf("received %d of %d deliveries", received.Load(), want)
					}
				}
				b.ReportMetric(float64(want)/b.Elapsed().Seconds(), "deliveries/s")
				reportSends(b)
			})
		})
	}
}

// BenchmarkIdleSubscribers holds idleSubscribers WebSockets subscribed to
// messageAdded and reports what each costs in memory and goroutines once
// idle, after a full GC. Client and server share the process: the figures
// are for both ends together. With PARLEY_BENCH_HEAPPROFILE=FILE it also
// writes a heap profile taken at that moment, in which the server's part
// stands apart:
//
//	go tool pprof -sample_index=inuse_space -top -focus 'net/http.\(\*conn\).serve|transport.\(\*wsConnection\)|parley/server' FILE
func BenchmarkIdleSubscribers(b *testing.B) {
	const idleSubscribers, groupSize = 1000, 100
	if os.Getenv("PARLEY_BENCH_HEAPPROFILE") != "" {
		runtime.MemProfileRate = 1 // every allocation, not a sample
	}
	env := apitest.Start(b, "sqlite", apitest.Options{})
	var clients []*apitest.Client
	var groups []string
	for g := 0; g < idleSubscribers/groupSize; g++ {
		var ids []string
		for i := 0; i < groupSize; i++ {
			c := env.NewUser("MEMBER", fmt.Sprintf("Idle %d %d", g, i))
			clients = append(clients, c)
			ids = append(ids, c.ID)
		}
		var out struct{ CreateGroupChat struct{ ID string } }
		env.Admin.MustDo(`mutation($m:[ID!]!){ createGroupChat(input:{title:"idle", memberIds:$m}){ id } }`, Vars{"m": ids}, &out)
		groups = append(groups, out.CreateGroupChat.ID)
	}
	adminV, err := env.App.Auth.Authenticate(context.Background(), "Bearer "+env.Admin.Token)
	if err != nil {
		b.Fatal(err)
	}
	snapshot := func() (runtime.MemStats, int) {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m, runtime.NumGoroutine()
	}
	before, g0 := snapshot()
	var received atomic.Int64
	for i, c := range clients {
		sub := c.Connect().Subscribe(`subscription($c:ID!){ messageAdded(conversationId:$c){ id text createdAt } }`,
			Vars{"c": groups[i/groupSize]})
		go func() {
			for range sub.C {
				received.Add(1)
			}
		}()
	}
	// Subscriptions start asynchronously: probe until everyone hears once.
	text := "probe"
	for deadline := time.Now().Add(time.Minute); received.Load() < idleSubscribers; time.Sleep(300 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d subscriptions live", received.Load(), idleSubscribers)
		}
		received.Store(0)
		for _, g := range groups {
			if _, err := env.App.Chat.Send(context.Background(), adminV, chat.SendInput{ConversationID: pulid.ID(g), Text: &text}); err != nil {
				b.Fatal(err)
			}
		}
	}
	time.Sleep(time.Second)
	after, g1 := snapshot()
	if path := os.Getenv("PARLEY_BENCH_HEAPPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.WriteHeapProfile(f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	for b.Loop() {
		// Nothing to repeat: the measurement above is the point.
	}
	per := func(a, b uint64) float64 { return (float64(a) - float64(b)) / idleSubscribers }
	b.ReportMetric(per(after.HeapInuse, before.HeapInuse), "heap-B/conn")
	b.ReportMetric(per(after.StackInuse, before.StackInuse), "stack-B/conn")
	b.ReportMetric(float64(g1-g0)/idleSubscribers, "goroutines/conn")
}
