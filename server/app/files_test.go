package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/ent/setting"
	"parley/server/apitest"
	"parley/server/app"
	"parley/server/blob"
	"parley/server/settings"
)

func TestDownloadURLSecretIsGeneratedOnceAndShared(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			dbURL := apitest.DatabaseURL(t, backend)
			start := func(secret string) *app.App {
				a, err := app.New(context.Background(), app.Config{
					DatabaseURL: dbURL, DataDir: t.TempDir(), Plan: "ENTERPRISE", PublicURL: "https://parley.example",
					FileURLSecret: secret, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
				})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { a.Close() })
				return a
			}
			verify := func(a *app.App, signed string) error {
				u, err := url.Parse(signed)
				if err != nil {
					t.Fatal(err)
				}
				_, err = a.Signer.Verify(strings.TrimPrefix(u.Path, "/files/"), u.Query())
				return err
			}
			first := start("")
			signed := first.Signer.URL("at_x")
			if !strings.HasPrefix(signed, "https://parley.example/files/at_x?exp=") {
				t.Fatalf("url %s", signed)
			}
			st, err := first.DB.Setting.Query().Where(setting.Key(settings.FileURLSecretKey)).Only(t.Context())
			if err != nil || len(st.Value) != 64 {
				t.Fatalf("stored secret: %v %v", st, err)
			}
			// Another instance (or a restart) on the same database signs alike.
			if err := verify(start(""), signed); err != nil {
				t.Fatalf("a second instance refuses the first one's URL: %v", err)
			}
			// PARLEY_FILE_URL_SECRET, when set, is the secret.
			if err := verify(start(strings.Repeat("s", 32)), signed); err == nil {
				t.Fatal("a configured secret accepts the generated one's URL")
			}
		})
	}
}

func TestFileSettingsFromEnvironment(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	c, err := app.FromEnv(env())
	if err != nil || c.StorageURL != "" || c.FileURLSecret != "" || c.DataDir != "./data" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = app.FromEnv(env("PARLEY_STORAGE_URL", "s3://parley-files?region=eu-west-1", "PARLEY_FILE_URL_SECRET", strings.Repeat("x", 40)))
	if err != nil || c.StorageURL != "s3://parley-files?region=eu-west-1" || len(c.FileURLSecret) != 40 {
		t.Fatalf("set: %+v %v", c, err)
	}
	for name, e := range map[string]func(string) string{
		"short secret": env("PARLEY_FILE_URL_SECRET", "too-short"),
		"not a URL":    env("PARLEY_STORAGE_URL", "/var/lib/parley"),
	} {
		if _, err := app.FromEnv(e); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestDownloadsAnswerCORSPreflight(t *testing.T) {
	opts := apitest.Options{CORSOrigins: []string{"https://app.example.com"}}
	apitest.RunWith(t, opts, func(t *testing.T, env *apitest.Env) {
		req, _ := http.NewRequest(http.MethodOptions, env.URL+"/files/at_x", nil)
		req.Header.Set("Origin", "https://app.example.com")
		req.Header.Set("Access-Control-Request-Method", "GET")
		req.Header.Set("Access-Control-Request-Headers", "authorization,range") // as browsers send it
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
			t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
		}
		req, _ = http.NewRequest(http.MethodPost, env.URL+"/files/at_x", nil)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("POST: %v %v", resp, err)
		}
	})
}

// A crash in the middle of an upload leaves a partial temporary file in the
// data directory; the next start removes it, and keeps the stored files and
// the temporary file of an upload another instance on the same directory
// is still writing.
func TestStartRemovesPartialUploadsLeftByACrash(t *testing.T) {
	t.Parallel()
	for _, backend := range apitest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			dataDir := t.TempDir()
			tmpDir := filepath.Join(blob.DefaultLocation(dataDir), ".tmp")
			// Two instances on one database and one data directory.
			opts := apitest.Options{DatabaseURL: apitest.DatabaseURL(t, backend), Configure: func(c *app.Config) { c.DataDir = dataDir }}
			first := apitest.Start(t, backend, opts)
			ann, bob := first.NewUser("MEMBER", "Ann"), first.NewUser("MEMBER", "Bob")
			var dc struct{ CreateDirectChat struct{ ID string } }
			ann.MustDo(`mutation($u:ID!){ createDirectChat(userId:$u){ id } }`, Vars{"u": bob.ID}, &dc)
			const q = `mutation($c:ID!,$f:Upload!){ uploadFile(conversationId:$c, file:$f){ id size } }`
			vars := Vars{"c": dc.CreateDirectChat.ID}
			stored := bytes.Repeat([]byte("stored "), 1000)
			var up struct{ UploadFile struct{ ID string } }
			r := ann.Upload(q, vars, apitest.BytesFile("f", "stored.txt", stored))
			if len(r.Errors) > 0 {
				t.Fatalf("upload: %+v", r.Errors)
			}
			r.Decode(t, &up)

			// An upload in progress on the first instance...
			const size = 64 << 10
			pr, pw := io.Pipe()
			defer pw.Close()
			req := ann.UploadRequest(q, vars, apitest.File{Var: "f", Name: "slow.bin", Body: pr, Size: size})
			done := make(chan *http.Response, 1)
			go func() {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					resp = nil
				}
				done <- resp
			}()
			if _, err := pw.Write(make([]byte, size/2)); err != nil {
				t.Fatal(err)
			}
			// ...has its temporary file (the server read the first half)...
			for entries, _ := os.ReadDir(tmpDir); len(entries) == 0; entries, _ = os.ReadDir(tmpDir) {
				time.Sleep(10 * time.Millisecond)
			}
			// ...next to what a crash left: a partial file, just written.
			crashed := filepath.Join(tmpDir, "put-1234567")
			if err := os.WriteFile(crashed, make([]byte, 1000), 0o600); err != nil {
				t.Fatal(err)
			}

			second := apitest.Start(t, backend, opts)
			if _, err := os.Stat(crashed); !os.IsNotExist(err) {
				t.Fatalf("the crash's partial file is still there: %v", err)
			}
			if resp, body := second.WithToken(ann.Token).Fetch("/files/" + up.UploadFile.ID); resp.StatusCode != 200 || !bytes.Equal(body, stored) {
				t.Fatalf("the stored file after the start: %d, %d bytes", resp.StatusCode, len(body))
			}
			if _, err := pw.Write(make([]byte, size/2)); err != nil {
				t.Fatal(err)
			}
			_ = pw.Close()
			resp := <-done
			if resp == nil {
				t.Fatal("the upload in progress failed")
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var slow struct {
				Data   struct{ UploadFile struct{ Size int } }
				Errors []any
			}
			if err := json.Unmarshal(raw, &slow); err != nil || len(slow.Errors) > 0 || slow.Data.UploadFile.Size != size {
				t.Fatalf("the upload in progress: %s", raw)
			}
			if entries, _ := os.ReadDir(tmpDir); len(entries) != 0 {
				t.Fatalf("temporary files left: %v", entries)
			}
		})
	}
}
