package app_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"parley/server/apitest"
	"parley/server/browsertest"
)

// graphql-http's auditServer (npm graphql-http, the GraphQL over HTTP
// spec's own audit) finds no error, warning or notice on /query. Skipped
// without node and the npm packages (.ci/browser-deps).
func TestGraphQLHTTPAudit(t *testing.T) {
	node, modules := browsertest.Node(t, "graphql-http", "graphql")
	const script = `
const { auditServer } = require('graphql-http');
auditServer({ url: process.argv[1] }).then((results) => {
  console.log(JSON.stringify(results.map((r) => ({ id: r.id, name: r.name, status: r.status, reason: r.reason }))));
}, (err) => { console.error(err); process.exit(1); });`
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		cmd := exec.Command(node, "-e", script, env.URL+"/query")
		cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("auditServer: %v", err)
		}
		var results []struct{ ID, Name, Status, Reason string }
		if err := json.Unmarshal(out, &results); err != nil || len(results) < 50 {
			t.Fatalf("auditServer said %q (%v)", out, err)
		}
		for _, r := range results {
			if r.Status != "ok" {
				t.Errorf("%s %s: %s (%s)", r.Status, r.ID, r.Name, r.Reason)
			}
		}
	})
}
