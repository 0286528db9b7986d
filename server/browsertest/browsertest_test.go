package browsertest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// The harness itself: a page that reaches off the machine fails, a failing
// script leaves a screenshot, and a passing one returns its result.
func TestHarness(t *testing.T) {
	s := Require(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path == "/offsite" {
			_, _ = w.Write([]byte(`<title>offsite</title><script src="https://cdn.example.invalid/x.js"></script>`))
			return
		}
		_, _ = w.Write([]byte(`<title>home</title><h1>home</h1>`))
	}))
	defer srv.Close()

	rep, _, err := s.Run("testdata/offsite.cjs", Options{URL: srv.URL}, t.TempDir())
	if err == nil || rep == nil || len(rep.External) != 1 || rep.External[0] != "https://cdn.example.invalid/x.js" {
		t.Errorf("an off-machine script: report %+v, error %v", rep, err)
	}

	out := t.TempDir()
	rep, _, err = s.Run("testdata/throws.cjs", Options{URL: srv.URL, Params: map[string]string{"want": "elsewhere"}}, out)
	if err == nil || rep == nil || !strings.Contains(rep.Error, "title is home") || len(rep.Screenshots) != 1 {
		t.Fatalf("a failing script: report %+v, error %v", rep, err)
	}
	if fi, err := os.Stat(rep.Screenshots[0]); err != nil || !strings.HasPrefix(rep.Screenshots[0], out) || fi.Size() == 0 {
		t.Errorf("failure screenshot %s: %v", rep.Screenshots[0], err)
	}

	rep = Run(t, "testdata/throws.cjs", Options{URL: srv.URL, Params: map[string]string{"want": "home"}})
	var got struct{ Title string }
	rep.Decode(t, &got)
	if got.Title != "home" {
		t.Errorf("result %s", rep.Result)
	}
}
