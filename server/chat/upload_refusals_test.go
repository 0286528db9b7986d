package chat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"testing"
	"time"

	"parley/server/apitest"
)

// stalledUpload is an uploadFile request that announces a 100 MiB file and
// then sends only head before it stalls, as a slow or hostile client would.
// fileMap maps the file; withFileHeaders also sends the file's part headers
// and a first kilobyte. The body's writer is closed when the test ends.
func stalledUpload(t *testing.T, env *apitest.Env, conv, fileMap string, withFileHeaders bool) *http.Request {
	t.Helper()
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	ops, _ := json.Marshal(map[string]any{"query": uploadQ, "variables": Vars{"c": conv, "f": nil}})
	_ = mw.WriteField("operations", string(ops))
	_ = mw.WriteField("map", fileMap)
	if withFileHeaders {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="0"; filename="big.bin"`)
		h.Set("Content-Type", "application/octet-stream")
		w, _ := mw.CreatePart(h)
		_, _ = w.Write(make([]byte, 1024))
	} else {
		// The delimiter that ends the map field, and not a byte of the file part.
		head.WriteString("\r\n--" + mw.Boundary() + "\r\n")
	}
	pr, pw := io.Pipe()
	t.Cleanup(func() { _ = pw.Close() })
	// Only a guard against hanging if the server waits for the file: the
	// client gives up then (and its body must end for it to return).
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	context.AfterFunc(ctx, func() { _ = pw.CloseWithError(ctx.Err()) })
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, env.URL+"/query", io.MultiReader(&head, pr))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.ContentLength = int64(head.Len()) + 100<<20
	return req
}

// An upload without a valid token is refused once its operations and map
// have arrived, before any of its file: the server neither waits for the
// file nor spools it (a file mapped to two variables would be spooled).
func TestUploadWithoutAValidTokenIsRefusedBeforeItsFile(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		clients := map[string]*apitest.Client{"anonymous": env.Anonymous(), "bad token": env.WithToken("pt_not-a-token")}
		shapes := []struct {
			name, fileMap string
			headers       bool
		}{
			{"before the file part", `{"0":["variables.f"]}`, false},
			{"one file for two variables", `{"0":["variables.f","variables.f"]}`, true},
		}
		for who, client := range clients {
			for _, s := range shapes {
				r := client.Send(stalledUpload(t, env, c, s.fileMap, s.headers))
				if r.Code() != "UNAUTHENTICATED" || r.Status != http.StatusOK {
					t.Fatalf("%s, %s: HTTP %d %+v", who, s.name, r.Status, r.Errors)
				}
			}
		}
		if n, fs := attachmentRows(t, env), blobs(t, env); n != 0 || len(fs) != 0 {
			t.Fatalf("refused uploads left %d rows, blobs %v", n, fs)
		}
		// A request without files is not the transport's to refuse.
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("operations", `{"query":"{ __typename }"}`)
		_ = mw.WriteField("map", `{}`)
		_ = mw.Close()
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/query", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		if r := env.Anonymous().Send(req); len(r.Errors) != 0 || string(r.Data) != `{"__typename":"Query"}` {
			t.Fatalf("multipart without files: %+v %s", r.Errors, r.Data)
		}
	})
}

// A part header the multipart reader cannot read (a raw NUL or control
// character in the filename) is the client's error, and nothing is stored.
func TestMalformedFilePartIsBadUserInput(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		for _, name := range []string{"a\x00b.txt", "\x00", "a\x01b.txt"} {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			ops, _ := json.Marshal(map[string]any{"query": uploadQ, "variables": Vars{"c": c, "f": nil}})
			_ = mw.WriteField("operations", string(ops))
			_ = mw.WriteField("map", `{"0":["variables.f"]}`)
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="0"; filename="`+name+`"`)
			w, _ := mw.CreatePart(h)
			_, _ = w.Write([]byte("hello"))
			_ = mw.Close()
			req, _ := http.NewRequest(http.MethodPost, env.URL+"/query", &buf)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			r := ann.Send(req)
			if r.Code() != "BAD_USER_INPUT" || bytes.ContainsRune([]byte(r.Errors[0].Message), 0) {
				t.Fatalf("filename %q: %+v", name, r.Errors)
			}
		}
		if n, fs := attachmentRows(t, env), blobs(t, env); n != 0 || len(fs) != 0 {
			t.Fatalf("refused uploads left %d rows, blobs %v", n, fs)
		}
	})
}
