// Command loadtest measures a running Parley server on this machine: it
// opens N WebSocket subscribers (graphql-transport-ws) spread over group
// chats, sends messages through sendMessage at a set rate, and reports
// delivered events per second, send-to-receive latency, send latency and the
// server's memory per connection (from /proc). It talks to loopback only,
// is bounded in time, and stops by itself.
//
// With -target gqlgen-chat the same tool drives the comparison peer,
// gqlgen's in-memory _examples/chat server, built and run outside this
// repository: it has no users, so nothing is created or logged in; each
// group is a room name, messages go through post(text, username, roomName)
// and subscribers use messageAdded(roomName). Only those operations differ
// (target.go); pacing, latency, histograms and the /proc readings are the
// same code, so the two servers' numbers compare. -sub events and
// -client-id are Parley's only and refused for the peer.
//
//	go run ./server/loadtest -h
//
// See BENCHMARKS.md for how the server is started and what was measured.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof" // served only with -pprof, on loopback
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type config struct {
	target        string
	tgt           target // from -target
	url           string
	wsURL         string
	adminEmail    string
	adminPassword string
	userPrefix    string
	userPassword  string

	n             int
	groupSize     int
	subscription  string
	messageFields string

	rate      float64
	duration  time.Duration
	senders   int
	textBytes int
	clientID  bool

	serverPID    int
	setupWorkers int
	dialWorkers  int
	readyTimeout time.Duration
	settle       time.Duration
	drain        time.Duration
	maxTime      time.Duration
	pprof        string
}

func parseFlags() *config {
	c := &config{}
	fs := flag.CommandLine
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: go run ./server/loadtest [flags]

Drives a running Parley server on 127.0.0.1: logs in as an admin, creates
(or reuses) N users "<prefix>-NNNNN@loadtest.invalid", spreads them over group
chats of -group-size, opens one WebSocket per user (graphql-transport-ws)
subscribed to messageAdded of its group (or to events), waits until every
subscription is live, then sends messages through sendMessage at -rate for
-duration from a pool of -senders, each message's text carrying its send
time. It reports deliveries per second, send-to-receive latency
(p50/p95/p99/max), send errors and latency, and the server's memory per
connection: (RSS when all sockets are idle - RSS before connecting) / N,
read from /proc/<server-pid>/status.

With -target gqlgen-chat it drives gqlgen's _examples/chat server instead:
no users or login, rooms by name, post(text, username, roomName) and
messageAdded(roomName); -sub events and -client-id are Parley's only.

Start the server with a low bcrypt cost, or creating users takes minutes:
  PARLEY_BCRYPT_COST=4 PARLEY_ADMIN_EMAIL=admin@example.com \
  PARLEY_ADMIN_PASSWORD=change-me go run ./server

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.target, "target", "parley", "the server under test: parley, or gqlgen-chat (gqlgen's _examples/chat, the comparison peer: no users, rooms by name)")
	fs.StringVar(&c.url, "url", "http://localhost:8080", "the server; must be on this machine (loopback)")
	fs.StringVar(&c.adminEmail, "admin-email", envOr("PARLEY_ADMIN_EMAIL", "admin@example.com"), "admin who creates the test users")
	fs.StringVar(&c.adminPassword, "admin-password", envOr("PARLEY_ADMIN_PASSWORD", "change-me"), "the admin's password")
	fs.StringVar(&c.userPrefix, "user-prefix", "load", "test users are <prefix>-NNNNN@loadtest.invalid; a later run with the same prefix reuses them and their groups")
	fs.StringVar(&c.userPassword, "user-password", "loadtest-password", "the test users' password")
	fs.IntVar(&c.n, "n", 1000, "subscribers: users, one WebSocket each")
	fs.IntVar(&c.groupSize, "group-size", 50, "members per group chat (2-200); every message reaches its whole group")
	fs.StringVar(&c.subscription, "sub", "messageAdded", "subscription: messageAdded (of the subscriber's group) or events (everything for the user, with badge updates)")
	fs.StringVar(&c.messageFields, "fields", "id text createdAt", "the Message fields each subscription selects (must include text)")
	fs.Float64Var(&c.rate, "rate", 100, "messages sent per second, over all groups")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long to send")
	fs.IntVar(&c.senders, "senders", 32, "concurrent sendMessage requests at most; a send due while all are busy is skipped and counted")
	fs.IntVar(&c.textBytes, "text-bytes", 64, "length of each message's text")
	fs.BoolVar(&c.clientID, "client-id", false, "send a clientMessageId with each message (costs the server an idempotency lookup)")
	fs.IntVar(&c.serverPID, "server-pid", 0, "the server's process id for memory and CPU (default: the process listening on -url's port, if readable)")
	fs.IntVar(&c.setupWorkers, "setup-workers", 8, "concurrent requests while creating users and groups")
	fs.IntVar(&c.dialWorkers, "dial-workers", 32, "concurrent WebSocket handshakes")
	fs.DurationVar(&c.readyTimeout, "ready-timeout", 2*time.Minute, "how long to wait for every subscription to go live")
	fs.DurationVar(&c.settle, "settle", 5*time.Second, "idle time before the idle memory is read")
	fs.DurationVar(&c.drain, "drain", 10*time.Second, "how long to wait for outstanding deliveries after the last send")
	fs.DurationVar(&c.maxTime, "max-time", 20*time.Minute, "the whole run stops after this, whatever it is doing")
	fs.StringVar(&c.pprof, "pprof", "", "serve this tool's own net/http/pprof here (a loopback address such as 127.0.0.1:6061)")
	flag.Parse()
	return c
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
}

func main() {
	c := parseFlags()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func (c *config) check() error {
	c.tgt = targets[c.target]
	switch {
	case c.tgt == nil:
		return fmt.Errorf("-target must be parley or gqlgen-chat, not %q", c.target)
	case c.target != "parley" && c.subscription == "events":
		return fmt.Errorf("-sub events is Parley's per-user stream; -target %s has only messageAdded of a room", c.target)
	case c.target != "parley" && c.clientID:
		return fmt.Errorf("-client-id is Parley's idempotency key; -target %s has none", c.target)
	case c.n < 1:
		return errors.New("-n must be at least 1")
	case c.groupSize < 2 || c.groupSize > 200:
		return errors.New("-group-size must be 2 to 200 (a group chat holds at most 200 members)")
	case c.subscription != "messageAdded" && c.subscription != "events":
		return errors.New("-sub must be messageAdded or events")
	case c.rate <= 0 || c.duration <= 0 || c.senders < 1:
		return errors.New("-rate, -duration and -senders must be positive")
	case !strings.Contains(" "+c.messageFields+" ", " text "):
		return errors.New("-fields must include text (the send time travels in it)")
	case c.textBytes < 40 || c.textBytes > 10000:
		return errors.New("-text-bytes must be 40 to 10000")
	}
	u, err := url.Parse(c.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-url %q is not an http URL", c.url)
	}
	if err := loopbackOnly(u.Hostname()); err != nil {
		return err
	}
	c.url = strings.TrimRight(c.url, "/")
	c.wsURL = "ws" + strings.TrimPrefix(c.url, "http") + "/query"
	if c.pprof != "" {
		h, _, err := net.SplitHostPort(c.pprof)
		if err != nil {
			return fmt.Errorf("-pprof: %w", err)
		}
		if err := loopbackOnly(h); err != nil {
			return fmt.Errorf("-pprof: %w", err)
		}
	}
	return nil
}

// loopbackOnly refuses any host that is not this machine: the tool is a
// load generator and must never be pointed elsewhere.
func loopbackOnly(host string) error {
	ips, err := net.LookupIP(host)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", host, err)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("%s is %s, not loopback: this tool only loads a server on this machine", host, ip)
		}
	}
	return nil
}

// raiseFileLimit lifts this process's soft open-files limit to what n
// sockets need, or says clearly why it cannot.
func raiseFileLimit(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= need {
		return nil
	}
	if lim.Max < need {
		return fmt.Errorf("%d sockets need about %d open files, but the hard limit is %d: raise it (ulimit -Hn, or /etc/security/limits.conf) or lower -n", need-100, need, lim.Max)
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("raising the open-files limit to %d: %w", lim.Max, err)
	}
	return nil
}

func run(c *config) error {
	if err := c.check(); err != nil {
		return err
	}
	if err := raiseFileLimit(uint64(c.n + c.senders + c.setupWorkers + 100)); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, c.maxTime)
	defer cancel()
	if c.pprof != "" {
		go func() { logf("pprof: %v", http.ListenAndServe(c.pprof, nil)) }()
	}

	u, _ := url.Parse(c.url)
	port, _ := strconv.Atoi(u.Port())
	if port == 0 {
		port = map[string]int{"http": 80, "https": 443}[u.Scheme]
	}
	if c.serverPID == 0 {
		if pid, err := listenerPID(port); err == nil {
			c.serverPID = pid
		} else {
			logf("server memory and CPU will not be measured: %v (pass -server-pid)", err)
		}
	}
	if c.serverPID != 0 {
		if _, err := readProc(c.serverPID); err != nil {
			return fmt.Errorf("-server-pid %d: %w", c.serverPID, err)
		}
		if lim, err := openFilesLimit(c.serverPID); err == nil && lim < int64(c.n+200) {
			return fmt.Errorf("the server (pid %d) may open only %d files, fewer than %d sockets need: restart it after `ulimit -n %d`", c.serverPID, lim, c.n, c.n+1000)
		}
	}

	r := &result{cfg: c}
	g := newGQLClient(c.url, c.senders+c.setupWorkers)

	// Setup: users and groups (for the peer, names only).
	groups, err := c.tgt.setup(ctx, c, g)
	if err != nil {
		return err
	}

	// Connect.
	runTag := randomTag()
	rs := &receivers{marker: []byte("lt1 " + runTag + " ")}
	r.before = procOrZero(c.serverPID)
	subs := make([]*subscriber, 0, c.n)
	for _, gr := range groups {
		for _, m := range gr.members {
			subs = append(subs, &subscriber{u: m, g: gr})
		}
	}
	t0 := time.Now()
	logf("opening %d WebSockets (%s)", len(subs), c.subscription)
	var dialed, dialFailed atomic.Int64
	var firstDialErr atomic.Pointer[string]
	stopProgress := progress("sockets", len(subs), &dialed)
	hc := wsDialer()
	_ = parallel(ctx, len(subs), c.dialWorkers, func(ctx context.Context, i int) error {
		defer dialed.Add(1)
		s := subs[i]
		if err := s.connect(ctx, c, hc, rs); err != nil {
			dialFailed.Add(1)
			msg := err.Error()
			firstDialErr.CompareAndSwap(nil, &msg)
			return nil
		}
		s.g.subscribed.Add(1)
		return nil
	})
	stopProgress()
	defer closeAll(subs)
	r.connectTime = since(t0)
	r.connected = len(subs) - int(dialFailed.Load())
	r.dialFailed = int(dialFailed.Load())
	if p := firstDialErr.Load(); p != nil {
		logf("%d sockets failed; the first: %s", r.dialFailed, *p)
	}
	logf("%d sockets open in %v", r.connected, r.connectTime.Round(time.Millisecond))
	if ctx.Err() != nil {
		return ctx.Err()
	}

	// Wait until every subscription is live: probe each group until all its
	// subscribed members have received something.
	t0 = time.Now()
	if err := waitReady(ctx, c, g, groups, rs, runTag); err != nil {
		return err
	}
	r.readyTime = since(t0)
	logf("%d subscriptions live in %v; idle for %v", rs.ready.Load(), r.readyTime.Round(time.Millisecond), c.settle)
	select {
	case <-time.After(c.settle):
	case <-ctx.Done():
		return ctx.Err()
	}
	r.idle = procOrZero(c.serverPID)

	// Load.
	rs.lat.reset()
	rs.delivered.Store(0)
	rs.other.Store(0)
	loadRun(ctx, c, g, groups, rs, runTag, r)
	r.end = procOrZero(c.serverPID)
	r.rs = rs
	r.print(os.Stdout)
	return nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }

func procOrZero(pid int) procStats {
	if pid == 0 {
		return procStats{}
	}
	s, _ := readProc(pid)
	return s
}

func randomTag() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func waitReady(ctx context.Context, c *config, g *gqlClient, groups []*group, rs *receivers, runTag string) error {
	deadline := time.Now().Add(c.readyTimeout)
	want := int64(0)
	for _, gr := range groups {
		want += gr.subscribed.Load()
	}
	for round := 0; ; round++ {
		var pending []*group
		for _, gr := range groups {
			if gr.ready.Load() < gr.subscribed.Load() {
				pending = append(pending, gr)
			}
		}
		if len(pending) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %v only %d of %d subscriptions are live (%d groups waiting)", c.readyTimeout, rs.ready.Load(), want, len(pending))
		}
		err := parallel(ctx, len(pending), c.setupWorkers, func(ctx context.Context, i int) error {
			gr := pending[i]
			return c.tgt.send(ctx, g, gr.members[0], gr, fmt.Sprintf("probe %s %d", runTag, round), "")
		})
		if err != nil {
			return fmt.Errorf("probing subscriptions: %w", err)
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func closeAll(subs []*subscriber) {
	closing.Store(true)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, s := range subs {
		if s.conn == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_ = s.conn.Close(1000, "load test done")
		}()
	}
	wg.Wait()
}
