package upload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"parley/server/apperr"
)

const (
	opUpload = `{"query":"mutation($file: Upload!) { upload(file: $file) }","variables":{"file":null}}`
	mapOne   = `{"0":["variables.file"]}`
	opTwo    = `{"query":"mutation($a: Upload!, $b: Upload!) { two(a: $a, b: $b) }","variables":{"a":null,"b":null}}`
	mapTwo   = `{"0":["variables.a"],"1":["variables.b"]}`
)

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func digest(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return fmt.Sprintf("%x", h.Sum(nil)), n, err
}

func TestStreamsFileToResolver(t *testing.T) {
	want := randomBytes(3<<20+17, 1)
	var got graphql.Upload
	ts := newServer(t, Transport{}, func(_ context.Context, _ string, args map[string]any) (any, error) {
		got = args["file"].(graphql.Upload)
		sum, n, err := digest(got.File)
		return fmt.Sprintf("%s %d", sum, n), err
	})
	for name, req := range map[string]*http.Request{
		"content-length": newRequest(t, ts.URL, opUpload, mapOne, filePart{"0", "dir/a.bin", "image/png", bytes.NewReader(want)}),
		"chunked":        streamingRequest(t, ts.URL, opUpload, mapOne, filePart{"0", "a.bin", "image/png", bytes.NewReader(want)}),
	} {
		t.Run(name, func(t *testing.T) {
			resp := do(t, req)
			sum, n, _ := digest(bytes.NewReader(want))
			if resp.Data["upload"] != fmt.Sprintf("%s %d", sum, n) || len(resp.Errors) > 0 {
				t.Fatalf("response %+v", resp)
			}
			if got.Filename != "a.bin" || got.ContentType != "image/png" || got.Size != -1 {
				t.Fatalf("upload = %q %q %d", got.Filename, got.ContentType, got.Size)
			}
			if _, ok := got.File.(*File); !ok {
				t.Fatalf("File is %T", got.File)
			}
		})
	}
}

func TestMaxFileSize(t *testing.T) {
	const max = 1000
	ts := newServer(t, Transport{MaxFileSize: max}, func(_ context.Context, _ string, args map[string]any) (any, error) {
		_, n, err := digest(args["file"].(graphql.Upload).File)
		return n, err
	})
	for _, size := range []int{max, max + 1, 5 * max} {
		for _, streaming := range []bool{false, true} {
			build := newRequest
			if streaming {
				build = streamingRequest
			}
			resp := do(t, build(t, ts.URL, opUpload, mapOne, filePart{"0", "f", "", bytes.NewReader(randomBytes(size, 2))}))
			if size <= max {
				if resp.code() != "" || resp.Data["upload"] != float64(size) {
					t.Errorf("size %d streaming %v: %+v", size, streaming, resp)
				}
				continue
			}
			if resp.code() != "FILE_TOO_LARGE" || resp.Errors[0].Extensions["max"] != float64(max) {
				t.Errorf("size %d streaming %v: %+v", size, streaming, resp)
			}
			// Never more than max bytes handed out.
			if n, _ := resp.Data["upload"].(float64); n > max {
				t.Errorf("size %d: resolver got %v bytes", size, n)
			}
		}
	}
}

func TestContentLengthRefusedBeforeReading(t *testing.T) {
	called := false
	ts := newServer(t, Transport{MaxFileSize: 1000}, func(context.Context, string, map[string]any) (any, error) {
		called = true
		return nil, nil
	})
	req := newRequest(t, ts.URL, opUpload, mapOne, filePart{"0", "f", "", bytes.NewReader(make([]byte, 1000+overhead+1))})
	resp := do(t, req)
	if resp.status != http.StatusRequestEntityTooLarge || resp.code() != "FILE_TOO_LARGE" || resp.Errors[0].Extensions["max"] != float64(1000) {
		t.Fatalf("response %+v", resp)
	}
	if called {
		t.Fatal("resolver ran")
	}
}

func TestChunkedBodyOverRequestSize(t *testing.T) {
	ts := newServer(t, Transport{MaxFileSize: 1 << 20, MaxRequestSize: 4000}, func(_ context.Context, _ string, args map[string]any) (any, error) {
		_, n, err := digest(args["file"].(graphql.Upload).File)
		return n, err
	})
	resp := do(t, streamingRequest(t, ts.URL, opUpload, mapOne, filePart{"0", "f", "", bytes.NewReader(make([]byte, 10_000))}))
	if resp.code() != "FILE_TOO_LARGE" {
		t.Fatalf("response %+v", resp)
	}
}

// MinSize lets a resolver refuse by Content-Length, before reading.
func TestMinSizeFromContentLength(t *testing.T) {
	const size = 200_000
	var minSize int64
	var firstRead error
	ts := newServer(t, Transport{MaxFileSize: 50_000, MaxRequestSize: 1 << 20}, func(_ context.Context, _ string, args map[string]any) (any, error) {
		f := args["file"].(graphql.Upload).File.(*File)
		minSize = f.MinSize()
		n, err := f.Read(make([]byte, 10))
		if minSize > 50_000 && n != 0 {
			t.Errorf("read %d bytes of a file already known to be too large", n)
		}
		firstRead = err
		return nil, err
	})
	resp := do(t, newRequest(t, ts.URL, opUpload, mapOne, filePart{"0", "f", "", bytes.NewReader(make([]byte, size))}))
	// Off by the closing boundary, the slack, and what the multipart reader
	// has buffered (4 KiB).
	if minSize > size || minSize < size-trailerSlack-4096-100 {
		t.Errorf("MinSize = %d for a file of %d", minSize, size)
	}
	if apperr.CodeOf(firstRead) != apperr.FileTooLarge || resp.code() != "FILE_TOO_LARGE" {
		t.Errorf("first read: %v; response %+v", firstRead, resp)
	}
	// Chunked: nothing known before reading.
	streamed := do(t, streamingRequest(t, ts.URL, opUpload, mapOne, filePart{"0", "f", "", bytes.NewReader(make([]byte, 1000))}))
	if minSize != 0 || streamed.code() != "" {
		t.Errorf("chunked: MinSize = %d, response %+v", minSize, streamed)
	}
}

func TestResolverThatDoesNotRead(t *testing.T) {
	ts := newServer(t, Transport{}, func(context.Context, string, map[string]any) (any, error) {
		return nil, apperr.Forbid("not a member")
	})
	for range 3 { // the server stays usable after leaving a body unread
		resp := do(t, newRequest(t, ts.URL, opUpload, mapOne, filePart{"0", "f", "", bytes.NewReader(make([]byte, 2<<20))}))
		if resp.code() != "FORBIDDEN" {
			t.Fatalf("response %+v", resp)
		}
	}
}

func TestFilesReadOutOfOrder(t *testing.T) {
	a, b := randomBytes(300_000, 3), randomBytes(200_000, 4)
	ts := newServer(t, Transport{}, func(_ context.Context, _ string, args map[string]any) (any, error) {
		ua, ub := args["a"].(graphql.Upload), args["b"].(graphql.Upload)
		if ua.Filename != "a.txt" || ub.Filename != "" || Filename(ub) != "b.txt" {
			return nil, fmt.Errorf("filenames %q %q %q", ua.Filename, ub.Filename, Filename(ub))
		}
		// b first: a, before it in the body, is spooled.
		gotB, err := io.ReadAll(ub.File)
		if err != nil || !bytes.Equal(gotB, b) {
			return nil, fmt.Errorf("b: %d bytes, %v", len(gotB), err)
		}
		gotA, err := io.ReadAll(ua.File)
		if err != nil || !bytes.Equal(gotA, a) {
			return nil, fmt.Errorf("a: %d bytes, %v", len(gotA), err)
		}
		return "ok", nil
	})
	resp := do(t, newRequest(t, ts.URL, opTwo, mapTwo,
		filePart{"0", "a.txt", "", bytes.NewReader(a)}, filePart{"1", "b.txt", "", bytes.NewReader(b)}))
	if resp.Data["two"] != "ok" {
		t.Fatalf("response %+v", resp)
	}
}

func TestPartlyReadFileIsSpooledThenSkippedWhenClosed(t *testing.T) {
	a, b := randomBytes(300_000, 5), randomBytes(1000, 6)
	ts := newServer(t, Transport{}, func(_ context.Context, _ string, args map[string]any) (any, error) {
		ua, ub := args["a"].(graphql.Upload), args["b"].(graphql.Upload)
		head := make([]byte, 1000)
		if _, err := io.ReadFull(ua.File, head); err != nil {
			return nil, err
		}
		if _, err := io.ReadAll(ub.File); err != nil {
			return nil, err
		}
		// a's rest was spooled: reading on gives the whole file.
		rest, err := io.ReadAll(ua.File)
		if err != nil || !bytes.Equal(append(head, rest...), a) {
			return nil, fmt.Errorf("a after spooling: %d bytes, %v", len(rest), err)
		}
		return "ok", nil
	})
	if resp := do(t, newRequest(t, ts.URL, opTwo, mapTwo,
		filePart{"0", "a", "", bytes.NewReader(a)}, filePart{"1", "b", "", bytes.NewReader(b)})); resp.Data["two"] != "ok" {
		t.Fatalf("response %+v", resp)
	}

	// Closed: the rest is skipped, not spooled.
	ts = newServer(t, Transport{}, func(_ context.Context, _ string, args map[string]any) (any, error) {
		ua, ub := args["a"].(graphql.Upload), args["b"].(graphql.Upload)
		if _, err := ua.File.Read(make([]byte, 10)); err != nil {
			return nil, err
		}
		_ = ua.File.(io.Closer).Close()
		if _, err := io.ReadAll(ub.File); err != nil {
			return nil, err
		}
		p := ua.File.(*File).p
		if p.state != failed || !errors.Is(p.err, errClosed) || p.spool != nil {
			return nil, fmt.Errorf("closed part: state %d err %v", p.state, p.err)
		}
		if _, err := ua.File.Read(make([]byte, 1)); !errors.Is(err, errClosed) {
			return nil, fmt.Errorf("read after close: %v", err)
		}
		return "ok", nil
	})
	if resp := do(t, newRequest(t, ts.URL, opTwo, mapTwo,
		filePart{"0", "a", "", bytes.NewReader(a)}, filePart{"1", "b", "", bytes.NewReader(b)})); resp.Data["two"] != "ok" {
		t.Fatalf("response %+v", resp)
	}
}

// Mutation fields run one after the other; the first refuses without
// reading, the second still gets its file.
func TestSecondFieldAfterRefusal(t *testing.T) {
	b := randomBytes(5000, 7)
	ts := newServer(t, Transport{}, func(_ context.Context, _ string, args map[string]any) (any, error) {
		f := args["file"].(graphql.Upload).File
		if Filename(args["file"].(graphql.Upload)) == "refused" {
			_ = f.(io.Closer).Close()
			return nil, apperr.Forbid("no")
		}
		got, err := io.ReadAll(f)
		if err != nil || !bytes.Equal(got, b) {
			return nil, fmt.Errorf("%d bytes, %v", len(got), err)
		}
		return "ok", nil
	})
	op := `{"query":"mutation($a: Upload!, $b: Upload!) { x: upload(file: $a) y: upload(file: $b) }","variables":{"a":null,"b":null}}`
	resp := do(t, newRequest(t, ts.URL, op, mapTwo,
		filePart{"0", "refused", "", bytes.NewReader(make([]byte, 100_000))}, filePart{"1", "ok", "", bytes.NewReader(b)}))
	if resp.Data["y"] != "ok" || resp.code() != "FORBIDDEN" {
		t.Fatalf("response %+v", resp)
	}
}

func TestOneFileForSeveralVariables(t *testing.T) {
	a := randomBytes(100_000, 8)
	ts := newServer(t, Transport{}, func(_ context.Context, _ string, args map[string]any) (any, error) {
		for _, v := range args["files"].([]any) {
			got, err := io.ReadAll(v.(graphql.Upload).File)
			if err != nil || !bytes.Equal(got, a) {
				return nil, fmt.Errorf("%d bytes, %v", len(got), err)
			}
		}
		return "ok", nil
	})
	op := `{"query":"mutation($f: [Upload!]!) { many(files: $f) }","variables":{"f":[null,null]}}`
	resp := do(t, newRequest(t, ts.URL, op, `{"0":["variables.f.0","variables.f.1"]}`, filePart{"0", "a", "", bytes.NewReader(a)}))
	if resp.Data["many"] != "ok" {
		t.Fatalf("response %+v", resp)
	}
}

func TestMissingAndUnexpectedParts(t *testing.T) {
	var readErr error
	ts := newServer(t, Transport{}, func(_ context.Context, _ string, args map[string]any) (any, error) {
		_, readErr = io.ReadAll(args["b"].(graphql.Upload).File)
		return nil, readErr
	})
	do(t, newRequest(t, ts.URL, opTwo, mapTwo, filePart{"0", "a", "", strings.NewReader("a")}))
	if apperr.CodeOf(readErr) != apperr.BadUserInput || !strings.Contains(readErr.Error(), "missing") {
		t.Errorf("missing part: %v", readErr)
	}
	do(t, newRequest(t, ts.URL, opTwo, mapTwo, filePart{"0", "a", "", strings.NewReader("a")}, filePart{"x", "x", "", strings.NewReader("x")}))
	if apperr.CodeOf(readErr) != apperr.BadUserInput || !strings.Contains(readErr.Error(), "unexpected") {
		t.Errorf("unexpected part: %v", readErr)
	}
}

func TestMalformedRequests(t *testing.T) {
	ts := newServer(t, Transport{MaxFiles: 2}, func(context.Context, string, map[string]any) (any, error) {
		t.Error("resolver ran")
		return nil, nil
	})
	cases := []struct {
		name, ops, fileMap, code string
	}{
		{"bad operations", `{`, mapOne, "BAD_USER_INPUT"},
		{"batched", `[` + opUpload + `]`, mapOne, "BAD_USER_INPUT"},
		{"bad map", opUpload, `[]`, "BAD_USER_INPUT"},
		{"empty paths", opUpload, `{"0":[]}`, "BAD_USER_INPUT"},
		{"bad path", opUpload, `{"0":["variables.nope.deeper"]}`, "BAD_USER_INPUT"},
		{"not variables", opUpload, `{"0":["query"]}`, "BAD_USER_INPUT"},
		{"too many files", opUpload, `{"0":["variables.file"],"1":["variables.file"],"2":["variables.file"]}`, "LIMIT_EXCEEDED"},
	}
	for _, c := range cases {
		resp := do(t, newRequest(t, ts.URL, c.ops, c.fileMap, filePart{"0", "f", "", strings.NewReader("x")}))
		if resp.status != http.StatusUnprocessableEntity || len(resp.Errors) == 0 || resp.code() != c.code {
			t.Errorf("%s: %+v", c.name, resp)
		}
	}
	// Errors never repeat the request: a map's keys and paths can be a megabyte.
	for _, fileMap := range []string{`{"0":["variables.SECRET"]}`, `{"0":["SECRET"]}`, `{"SECRET":[]}`} {
		resp := do(t, newRequest(t, ts.URL, opUpload, fileMap, filePart{"0", "f", "", strings.NewReader("x")}))
		if len(resp.Errors) == 0 || strings.Contains(resp.Errors[0].Message, "SECRET") {
			t.Errorf("map %s: %+v", fileMap, resp.Errors)
		}
	}
	// map before operations
	req := newRequest(t, ts.URL, mapOne, opUpload)
	if resp := do(t, req); resp.status != http.StatusUnprocessableEntity {
		t.Errorf("swapped fields: %+v", resp)
	}
}

func TestSeekAndReadAfterResponse(t *testing.T) {
	var kept io.ReadSeeker
	ts := newServer(t, Transport{}, func(_ context.Context, _ string, args map[string]any) (any, error) {
		f := args["file"].(graphql.Upload).File
		kept = f
		if pos, err := f.Seek(0, io.SeekStart); pos != 0 || err != nil {
			return nil, fmt.Errorf("rewind at 0: %d %v", pos, err)
		}
		if _, err := f.Read(make([]byte, 4)); err != nil {
			return nil, err
		}
		if pos, err := f.Seek(0, io.SeekCurrent); pos != 4 || err != nil {
			return nil, fmt.Errorf("position: %d %v", pos, err)
		}
		if _, err := f.Seek(0, io.SeekStart); !errors.Is(err, ErrNotSeekable) {
			return nil, fmt.Errorf("rewind after reading: %v", err)
		}
		return "ok", nil
	})
	if resp := do(t, newRequest(t, ts.URL, opUpload, mapOne, filePart{"0", "f", "", strings.NewReader("0123456789")})); resp.Data["upload"] != "ok" {
		t.Fatalf("response %+v", resp)
	}
	if _, err := kept.Read(make([]byte, 1)); !errors.Is(err, errClosed) {
		t.Fatalf("read after the response: %v", err)
	}
}

func TestSupports(t *testing.T) {
	tr := Transport{}
	for _, c := range []struct {
		method, ct, upgrade string
		want                bool
	}{
		{"POST", "multipart/form-data; boundary=x", "", true},
		{"POST", "application/json", "", false},
		{"GET", "multipart/form-data; boundary=x", "", false},
		{"POST", "multipart/form-data; boundary=x", "websocket", false},
	} {
		r, _ := http.NewRequest(c.method, "/", nil)
		r.Header.Set("Content-Type", c.ct)
		if c.upgrade != "" {
			r.Header.Set("Upgrade", c.upgrade)
		}
		if got := tr.Supports(r); got != c.want {
			t.Errorf("%+v: %v", c, got)
		}
	}
}

// Authorize runs after the operations and map fields and before a byte of
// a file part: a refusal answers at once, and the resolver never runs.
func TestAuthorizeRefusesBeforeTheFiles(t *testing.T) {
	var asked int
	ts := newServer(t, Transport{Authorize: func(context.Context) error {
		asked++
		return apperr.Unauth("this needs a token")
	}}, func(_ context.Context, field string, _ map[string]any) (any, error) {
		if field == "upload" {
			t.Error("resolver ran")
		}
		return true, nil
	})
	// The file never comes: answering needs none of it.
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) })
	file := io.MultiReader(strings.NewReader("first bytes"), readerFunc(func([]byte) (int, error) {
		<-stall
		return 0, io.EOF
	}))
	req := streamingRequest(t, ts.URL, opUpload, mapOne, filePart{"0", "f", "", file})
	if resp := do(t, req); resp.status != http.StatusOK || resp.code() != "UNAUTHENTICATED" || asked != 1 {
		t.Fatalf("response %+v, asked %d", resp, asked)
	}
	// Without files there is nothing to guard.
	if resp := do(t, newRequest(t, ts.URL, `{"query":"{ ok }"}`, `{}`)); len(resp.Errors) != 0 || asked != 1 {
		t.Fatalf("no files: %+v, asked %d", resp, asked)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(b []byte) (int, error) { return f(b) }
