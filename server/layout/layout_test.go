// Package layout holds the test that keeps the house in shape: which
// package may import which.
package layout

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "parley"

// pkg is what `go list -json` says of a package.
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
}

// list runs `go list -deps -json` from the module's root and returns every
// package it names: the patterns' own and all they depend on.
func list(t *testing.T, patterns ...string) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-deps", "-json"}, patterns...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[p.ImportPath] = p
	}
	return pkgs
}

func ours(path string) bool { return path == module || strings.HasPrefix(path, module+"/") }

func under(path, dir string) bool { return path == dir || strings.HasPrefix(path, dir+"/") }

// rule says which of our packages a package may import (directly), or with
// transitive set, depend on at all.
type rule struct {
	pkg        string // an import path, or a path ending in /... for a subtree
	transitive bool
	allowed    func(dep string, standard bool) bool
	why        string
}

// rooms are the services the resolvers call, and the GraphQL layer above them.
var rooms = []string{"parley/graph", "parley/server/chat", "parley/server/inbox", "parley/server/calls",
	"parley/server/feed", "parley/server/outbox", "parley/server/jobs", "parley/server/app", "parley/server/presence"}

// notAny allows every dependency but those under the paths given.
func notAny(paths ...string) func(string, bool) bool {
	return func(dep string, _ bool) bool {
		for _, no := range paths {
			if under(dep, no) {
				return false
			}
		}
		return true
	}
}

var rules = []rule{
	{pkg: "parley/server", allowed: func(dep string, std bool) bool {
		return std || !ours(dep) || dep == "parley/server/app" || dep == "parley/server/logx"
	}, why: "main only builds the logger and wires the app together"},
	{pkg: "parley/server/channel/...", transitive: true,
		allowed: func(dep string, std bool) bool {
			return std || under(dep, "parley/server/channel") || dep == "parley/server/apperr"
		},
		why: "the provider seam and the providers know their wire format and nothing of GraphQL, ent or the core"},
	{pkg: "parley/graph", allowed: func(dep string, std bool) bool {
		for _, no := range []string{"parley/server/pubsub", "parley/server/db", "parley/server/app", "parley/server/history", "parley/server/outbox"} {
			if under(dep, no) {
				return false
			}
		}
		return !strings.HasPrefix(dep, "parley/server/channel/") // a provider's folder (under() would need the folder itself)
	}, why: "resolvers translate GraphQL to calls on the rooms, never reach past them: not the log, the database, the write kernel, the delivery worker or a provider"},
	{pkg: "parley/server/chat", allowed: notAny("parley/server/inbox", "parley/graph", "parley/server/pubsub"),
		why: "chat (colleagues) and inbox (customers) never import each other, the GraphQL layer or the event log: they write through history"},
	{pkg: "parley/server/inbox", allowed: notAny("parley/server/chat", "parley/graph", "parley/server/pubsub"),
		why: "chat (colleagues) and inbox (customers) never import each other, the GraphQL layer or the event log: they write through history"},
	{pkg: "parley/server/calls", allowed: notAny(rooms...), why: "a room never imports another room or the GraphQL layer"},
	{pkg: "parley/server/feed", allowed: notAny(rooms...), why: "a room never imports another room or the GraphQL layer"},
	{pkg: "parley/server/outbox", allowed: notAny(rooms...), why: "a room never imports another room or the GraphQL layer"},
	{pkg: "parley/server/presence", allowed: notAny(rooms...), why: "a room never imports another room or the GraphQL layer"},
	{pkg: "parley/server/jobs", allowed: func(dep string, std bool) bool { return std || !ours(dep) },
		why: "the schedule is handed the work it runs: it imports none of ours"},
	{pkg: "parley/server/history", allowed: notAny(append(rooms, "parley/server/access")...),
		why: "the write kernel lies beneath the rooms and knows nothing of who may see what"},
	{pkg: "parley/server/access", transitive: true,
		allowed: func(dep string, std bool) bool {
			return dep == "parley/server/history/events" ||
				notAny(append(rooms, "parley/server/db", "parley/server/pubsub", "parley/server/history")...)(dep, std)
		},
		why: "the visibility rule lies beneath everything that asks it: the rooms, the log, the relay"},
	{pkg: "parley/server/live", transitive: true,
		allowed: func(dep string, std bool) bool {
			for _, no := range []string{"parley/ent", "parley/graph", "parley/server/chat"} {
				if under(dep, no) {
					return false
				}
			}
			return true // gqlgen's transport is fine, our schema and data model are not
		},
		why: "the WebSocket lifecycle is handed authentication and the error presenter: it knows nothing of the schema, the core or the data model"},
}

func TestImportRules(t *testing.T) {
	pkgs := list(t, "./...")
	for _, r := range rules {
		checked := 0
		for path, p := range pkgs {
			if !matches(path, r.pkg) {
				continue
			}
			checked++
			deps, verb := p.Imports, "imports"
			if r.transitive {
				deps, verb = p.Deps, "depends on"
			}
			for _, d := range deps {
				if !r.allowed(d, pkgs[d].Standard) {
					t.Errorf("%s %s %s: %s", path, verb, d, r.why)
				}
			}
		}
		if checked == 0 {
			t.Errorf("no package matches %s: the rule checks nothing", r.pkg)
		}
	}
}

// Nothing but test harnesses and main imports the wiring package.
func TestOnlyMainAndHarnessesImportApp(t *testing.T) {
	for path, p := range list(t, "./...") {
		if !ours(path) || path == "parley/server" || path == "parley/server/apitest" {
			continue
		}
		for _, d := range p.Imports {
			if d == "parley/server/app" {
				t.Errorf("%s imports parley/server/app: only main and test harnesses may", path)
			}
		}
	}
}

func matches(path, pattern string) bool {
	if dir, ok := strings.CutSuffix(pattern, "/..."); ok {
		return under(path, dir)
	}
	return path == pattern
}

// Events are written only through history's transaction handle (Tx.Emit),
// whose Write wakes the relay after commit: nobody else appends to the log.
func TestOnlyHistoryWritesEvents(t *testing.T) {
	out, err := exec.Command("git", "-C", "../..", "grep", "--untracked", "-n", "-E", `pubsub\.Append\(|\.Event\.Create(Bulk)?\(`, "--", "*.go").Output()
	if err != nil && len(out) > 0 {
		t.Fatalf("git grep: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" || strings.HasPrefix(line, "server/history/") || strings.HasPrefix(line, "ent/") ||
			strings.HasPrefix(line, "server/pubsub/append.go:") || strings.Contains(line, "_test.go:") {
			continue
		}
		t.Errorf("%s: events are written through history.Tx.Emit only", line)
	}
}
