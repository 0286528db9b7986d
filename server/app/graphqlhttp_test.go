package app_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"parley/server/apitest"
)

// The rules of graphql-http's auditServer that Parley once broke, held
// without node (graphqlhttp_audit_test.go runs the audit itself): a request
// that fails before execution has no data entry; a body without a query is
// a 400 whatever the Accept; a mutation by GET is 405 with Allow: POST.
func TestGraphQLOverHTTPRules(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		post := func(accept, body string) (*http.Response, map[string]any) {
			req, _ := http.NewRequest("POST", env.URL+"/query", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if accept != "" {
				req.Header.Set("Accept", accept)
			}
			return do(t, req)
		}
		const gqlResponse = "application/graphql-response+json"
		for name, body := range map[string]string{
			"D586 parse failure":      `{"query":"{"}`,
			"5E5B validation failure": `{"query":"{ 8f31403dfe404bccbb0e835f2629c6a7 }"}`,
		} {
			res, out := post(gqlResponse, body)
			if _, has := out["data"]; has || res.StatusCode != 400 {
				t.Errorf("%s: status %d, body %v; want 400 without data", name, res.StatusCode, out)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, gqlResponse) {
				t.Errorf("%s: Content-Type %q, want %s", name, ct, gqlResponse)
			}
		}
		for _, accept := range []string{"", "application/json", gqlResponse} {
			res, out := post(accept, `{"qeury":"{ __typename }"}`)
			if res.StatusCode != 400 || out["errors"] == nil {
				t.Errorf("8764/3E3A no query, Accept %q: status %d, body %v; want 400 with errors", accept, res.StatusCode, out)
			}
		}
		// APQ names its query by hash: not a missing query.
		res, out := post("", `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"00"}}}`)
		if res.StatusCode == 400 {
			t.Errorf("an APQ request without query: status 400 (%v), want GraphQL's own answer", out)
		}

		req, _ := http.NewRequest("GET", env.URL+"/query?query="+strings.ReplaceAll("mutation { logout }", " ", "%20"), nil)
		res, out = do(t, req)
		if res.StatusCode != 405 || res.Header.Get("Allow") != "POST" {
			t.Errorf("mutation by GET: status %d, Allow %q (%v); want 405, Allow: POST", res.StatusCode, res.Header.Get("Allow"), out)
		}
	})
}

// POST /query answers gzip-compressed to a client that accepts it, and
// plainly to one that does not.
func TestGzipResponses(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		const query = `{"query":"{ __schema { types { name } } }"}`
		for _, enc := range []string{"gzip", "gzip;q=0", ""} {
			req, _ := http.NewRequest("POST", env.URL+"/query", strings.NewReader(query))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept-Encoding", enc) // set: the transport then leaves the body alone
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body io.Reader = res.Body
			gzipped := res.Header.Get("Content-Encoding") == "gzip"
			if gzipped != (enc == "gzip") {
				t.Errorf("Accept-Encoding %q: Content-Encoding %q", enc, res.Header.Get("Content-Encoding"))
			}
			if gzipped {
				if body, err = gzip.NewReader(res.Body); err != nil {
					t.Fatal(err)
				}
			}
			var out struct {
				Data struct {
					Schema struct{ Types []struct{ Name string } } `json:"__schema"`
				} `json:"data"`
			}
			if err := json.NewDecoder(body).Decode(&out); err != nil || len(out.Data.Schema.Types) < 10 {
				t.Errorf("Accept-Encoding %q: %v, %d types", enc, err, len(out.Data.Schema.Types))
			}
			res.Body.Close()
		}
	})
}

func do(t *testing.T, req *http.Request) (*http.Response, map[string]any) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&out)
	return res, out
}
