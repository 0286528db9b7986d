package upload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"parley/server/apperr"
	"parley/server/blob"
	"parley/server/files"
)

// app is the whole path as the integrator will wire it: this transport,
// a resolver that stores with the conversation's limit, the download
// handler behind signed URLs.
type app struct {
	srv   *httptest.Server
	disk  *blob.Disk
	mu    sync.Mutex
	metas map[string]files.Meta
}

func newApp(t testing.TB, tr Transport, limit int64) *app {
	t.Helper()
	disk, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := files.NewSigner(bytes.Repeat([]byte("secret"), 6), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	a := &app{disk: disk, metas: map[string]files.Meta{}}
	resolve := func(ctx context.Context, _ string, args map[string]any) (any, error) {
		up := args["file"].(graphql.Upload)
		// (Membership is checked here, before anything is read.)
		key := files.NewKey(time.Now())
		if _, err := files.Store(ctx, disk, key, up.File, limit); err != nil {
			return nil, err
		}
		name := Filename(up)
		info, err := files.Inspect(ctx, disk, key, name)
		if err != nil {
			return nil, err
		}
		a.mu.Lock()
		id := "at" + strconv.Itoa(len(a.metas))
		a.metas[id] = files.Meta{Key: key, Filename: name, ContentType: info.ContentType}
		a.mu.Unlock()
		return signer.URL(id), nil
	}
	gql := handler.New(&testSchema{schema: gqlparser.MustLoadSchema(&ast.Source{Input: testSDL}), resolve: resolve})
	gql.AddTransport(tr)
	mux := http.NewServeMux()
	mux.Handle("/query", gql)
	mux.Handle("GET "+files.DownloadPath+"{id}", &files.Handler{Store: disk, Signer: signer,
		Lookup: func(_ context.Context, id string) (files.Meta, error) {
			a.mu.Lock()
			defer a.mu.Unlock()
			m, ok := a.metas[id]
			if !ok {
				return files.Meta{}, apperr.Missing("no such attachment")
			}
			return m, nil
		}})
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	return a
}

func (a *app) blobs(t testing.TB) []string {
	var out []string
	_ = filepath.WalkDir(a.disk.Dir(), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func (a *app) download(t testing.TB, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, a.srv.URL+url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// The "done when", end to end.
func TestUploadStoreDownload(t *testing.T) {
	const limit = 1 << 20
	a := newApp(t, Transport{}, limit)
	data := randomBytes(limit, 9)

	for _, build := range []func(testing.TB, string, string, string, ...filePart) *http.Request{newRequest, streamingRequest} {
		// Within the limit: round-trips byte for byte.
		resp := do(t, build(t, a.srv.URL+"/query", opUpload, mapOne, filePart{"0", "data.bin", "image/png", bytes.NewReader(data)}))
		url, _ := resp.Data["upload"].(string)
		if url == "" || len(resp.Errors) > 0 {
			t.Fatalf("upload: %+v", resp)
		}
		dl, body := a.download(t, url)
		if dl.StatusCode != 200 || !bytes.Equal(body, data) {
			t.Fatalf("download: %d, %d bytes", dl.StatusCode, len(body))
		}
		// A range request: 206 with the right bytes.
		dl, body = a.download(t, url, "Range", "bytes=1000-2999")
		if dl.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[1000:3000]) {
			t.Fatalf("range: %d, %d bytes", dl.StatusCode, len(body))
		}
	}
	kept := len(a.blobs(t))

	// One byte over: FILE_TOO_LARGE, nothing left behind (temporary files included).
	over := append(data, 0)
	for _, build := range []func(testing.TB, string, string, string, ...filePart) *http.Request{newRequest, streamingRequest} {
		resp := do(t, build(t, a.srv.URL+"/query", opUpload, mapOne, filePart{"0", "big.bin", "", bytes.NewReader(over)}))
		if resp.code() != "FILE_TOO_LARGE" || resp.Errors[0].Extensions["max"] != float64(limit) {
			t.Fatalf("one byte over: %+v", resp)
		}
	}
	// Far over, with a Content-Length: refused before the file is read.
	resp := do(t, newRequest(t, a.srv.URL+"/query", opUpload, mapOne, filePart{"0", "huge.bin", "", bytes.NewReader(make([]byte, 20<<20))}))
	if resp.code() != "FILE_TOO_LARGE" {
		t.Fatalf("far over: %+v", resp)
	}
	if got := a.blobs(t); len(got) != kept {
		t.Fatalf("refused uploads left files: %v", got)
	}

	// An HTML upload is served as a download.
	resp = do(t, newRequest(t, a.srv.URL+"/query", opUpload, mapOne,
		filePart{"0", "photo.jpg", "image/jpeg", strings.NewReader("<!doctype html><script>alert(1)</script>")}))
	dl, _ := a.download(t, resp.Data["upload"].(string))
	if dl.Header.Get("Content-Type") != "application/octet-stream" ||
		dl.Header.Get("Content-Disposition") != `attachment; filename="photo.jpg"` ||
		dl.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("html download headers: %v", dl.Header)
	}
}

// A client that goes away mid-upload leaves nothing behind.
func TestClientGoesAwayMidUpload(t *testing.T) {
	disk, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	ts := newServer(t, Transport{}, func(ctx context.Context, _ string, args map[string]any) (any, error) {
		_, err := files.Store(ctx, disk, "k/partial", args["file"].(graphql.Upload).File, 10<<20)
		result <- err
		return nil, err
	})
	req := newRequest(t, ts.URL, opUpload, mapOne, filePart{"0", "f", "", bytes.NewReader(make([]byte, 1<<20))})
	full, _ := io.ReadAll(req.Body)
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", req.Header.Get("Content-Type"), len(full))
	_, _ = conn.Write(full[:len(full)/2])
	_ = conn.Close()
	select {
	case err := <-result:
		if err == nil {
			t.Fatal("a cut-off upload was stored")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the resolver did not finish")
	}
	if _, err := disk.Open(context.Background(), "k/partial"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("partial upload kept: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(disk.Dir(), ".tmp")); len(entries) != 0 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

// Resolvers running concurrently may read files at the same time.
func TestConcurrentReads(t *testing.T) {
	a, b := randomBytes(700_000, 10), randomBytes(500_000, 11)
	ts := newServer(t, Transport{}, func(_ context.Context, _ string, args map[string]any) (any, error) {
		var wg sync.WaitGroup
		got := make([][]byte, 2)
		errs := make([]error, 2)
		for i, name := range []string{"a", "b"} {
			wg.Go(func() {
				r := args[name].(graphql.Upload).File
				buf := make([]byte, 1000) // small reads interleave
				for {
					n, err := r.Read(buf)
					got[i] = append(got[i], buf[:n]...)
					if err == io.EOF {
						return
					}
					if err != nil {
						errs[i] = err
						return
					}
				}
			})
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || !bytes.Equal(got[0], a) || !bytes.Equal(got[1], b) {
			return nil, fmt.Errorf("errors %v, %d and %d bytes", errs, len(got[0]), len(got[1]))
		}
		return "ok", nil
	})
	resp := do(t, newRequest(t, ts.URL, opTwo, mapTwo,
		filePart{"0", "a", "", bytes.NewReader(a)}, filePart{"1", "b", "", bytes.NewReader(b)}))
	if resp.Data["two"] != "ok" {
		t.Fatalf("response %+v", resp)
	}
}
