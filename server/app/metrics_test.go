package app_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"parley/server/apitest"
	"parley/server/app"
)

// series is one scrape: each sample's name, labels and value.
type series []sample

type sample struct {
	name   string
	labels map[string]string
	value  float64
}

var labelPair = regexp.MustCompile(`(\w+)="((?:[^"\\]|\\.)*)"`)

// scrape reads a Prometheus text exposition.
func scrape(t *testing.T, url string) series {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, res.Status)
	}
	var out series
	sc := bufio.NewScanner(io.LimitReader(res.Body, 8<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample %q", line)
		}
		s := sample{name: line[:i], labels: map[string]string{}, value: v}
		if j := strings.IndexByte(s.name, '{'); j >= 0 {
			for _, m := range labelPair.FindAllStringSubmatch(s.name[j:], -1) {
				s.labels[m[1]] = m[2]
			}
			s.name = s.name[:j]
		}
		out = append(out, s)
	}
	return out
}

// sum adds the samples of name whose labels include those given (pairs),
// and says whether there was any.
func (ss series) sum(name string, pairs ...string) (float64, bool) {
	total, found := 0.0, false
next:
	for _, s := range ss {
		if s.name != name {
			continue
		}
		for i := 0; i+1 < len(pairs); i += 2 {
			if s.labels[pairs[i]] != pairs[i+1] {
				continue next
			}
		}
		total, found = total+s.value, true
	}
	return total, found
}

func (ss series) must(t *testing.T, name string, pairs ...string) float64 {
	t.Helper()
	v, ok := ss.sum(name, pairs...)
	if !ok {
		t.Fatalf("no series %s %v", name, pairs)
	}
	return v
}

// The metrics are served at /metrics and move with what the server does: a
// named mutation, a refused token, a webhook, an open subscription that
// receives the message sent.
func TestMetricsMoveAfterASend(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		var dc struct{ CreateDirectChat struct{ ID string } }
		ann.MustDo(`mutation($u:ID!){ createDirectChat(userId:$u){ id } }`, Vars{"u": bob.ID}, &dc)
		sock := bob.Connect()
		defer sock.Close()
		sub := sock.Subscribe(`subscription { events { type } }`, nil)
		time.Sleep(100 * time.Millisecond) // subscribed before the send

		before := scrape(t, env.URL+"/metrics")
		sent, _ := before.sum("parley_http_requests_total", "operation", "SendMessage")
		delivered := before.must(t, "parley_pubsub_deliveries_total")

		ann.MustDo(`mutation SendMessage($c:ID!){ sendMessage(input:{conversationId:$c, text:"hello"}){ id } }`,
			Vars{"c": dc.CreateDirectChat.ID}, nil)
		for {
			var e struct{ Events struct{ Type string } }
			if sub.Next(10*time.Second).Decode(t, &e); e.Events.Type == "MESSAGE_ADDED" {
				break
			}
		}
		env.WithToken("not-a-token").MustFail("UNAUTHENTICATED", `{ me { id } }`, nil)
		res, err := http.Post(env.URL+"/webhooks/sms", "application/x-www-form-urlencoded", strings.NewReader("From=%2B1&To=%2B2&Body=x"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode < 400 {
			t.Fatalf("an unsigned webhook: %s", res.Status)
		}

		after := scrape(t, env.URL+"/metrics")
		if v := after.must(t, "parley_http_requests_total", "route", "/query", "operation", "SendMessage", "outcome", "ok"); v != sent+1 {
			t.Errorf("SendMessage requests: %v, want %v", v, sent+1)
		}
		if v := after.must(t, "parley_http_request_duration_seconds_count", "operation", "SendMessage"); v < 1 {
			t.Errorf("SendMessage latency observations: %v", v)
		}
		if v := after.must(t, "parley_http_requests_total", "operation", "me", "outcome", "graphql_error"); v < 1 {
			t.Errorf("anonymous me requests: %v", v)
		}
		if v := after.must(t, "parley_graphql_errors_total", "code", "UNAUTHENTICATED"); v < 1 {
			t.Errorf("UNAUTHENTICATED errors: %v", v)
		}
		if v := after.must(t, "parley_pubsub_deliveries_total"); v <= delivered {
			t.Errorf("deliveries did not move: %v, then %v", delivered, v)
		}
		if v := after.must(t, "parley_websockets_open"); v < 1 {
			t.Errorf("open WebSockets: %v", v)
		}
		if v := after.must(t, "parley_subscriptions_open"); v < 1 {
			t.Errorf("open subscriptions: %v", v)
		}
		if v := after.must(t, "parley_webhook_requests_total", "provider", "sms", "result", strconv.Itoa(res.StatusCode)); v != 1 {
			t.Errorf("sms webhooks answered %d: %v", res.StatusCode, v)
		}
		for _, name := range []string{"parley_outbox_depth", "parley_relay_lag_entries", "parley_relay_lag_seconds",
			"parley_pubsub_drops_total", "parley_pubsub_subscribers", "go_goroutines", "process_cpu_seconds_total"} {
			after.must(t, name)
		}
		if v := after.must(t, "go_sql_open_connections", "db_name", "parley"); v < 1 {
			t.Errorf("open database connections: %v", v)
		}
	})
}

// A client cannot fill the registry with operation names of its own.
func TestMetricsBoundOperationNames(t *testing.T) {
	env := apitest.Start(t, "sqlite", apitest.Options{})
	for _, name := range []string{"a-b", strings.Repeat("x", 65)} {
		env.Admin.Do(`query `+name+` { me { id } }`, nil)
	}
	ss := scrape(t, env.URL+"/metrics")
	for _, s := range ss {
		if op := s.labels["operation"]; strings.Contains(op, "-") || len(op) > 64 {
			t.Errorf("operation label %q", op)
		}
	}
}

// With PARLEY_METRICS_ADDR the main port has no /metrics; the address has.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close()
	env := apitest.Start(t, "sqlite", apitest.Options{Configure: func(c *app.Config) { c.MetricsAddr = addr }})
	if got := env.App.MetricsAddr(); got != addr {
		t.Fatalf("MetricsAddr %q, want %q", got, addr)
	}
	res, err := http.Get(env.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the main port: %s, want 404", res.Status)
	}
	var ss series
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if r, err := http.Get("http://" + addr + "/metrics"); err == nil {
			r.Body.Close()
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the metrics address does not answer: %v", err)
		}
	}
	ss = scrape(t, "http://"+addr+"/metrics")
	ss.must(t, "go_goroutines")
	ss.must(t, "parley_http_requests_total", "route", "unmatched")
}
