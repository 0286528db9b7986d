package chat_test

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/ent/attachment"
	"parley/ent/channel"
	"parley/server/apitest"
	"parley/server/app"
	"parley/server/blob"
	"parley/server/chat"
)

const uploadQ = `mutation($c:ID!,$f:Upload!){ uploadFile(conversationId:$c, file:$f){ id filename contentType size url width height expiresAt } }`

type attachmentOut struct {
	ID, Filename, ContentType string
	Size                      int64
	URL                       *string
	Width, Height             *int
	ExpiresAt                 *time.Time
}

// uploadTo uploads data as name and returns the attachment.
func uploadTo(t *testing.T, c *apitest.Client, conv, name string, data []byte) attachmentOut {
	t.Helper()
	return uploadFile(t, c, conv, apitest.BytesFile("f", name, data))
}

func uploadFile(t *testing.T, c *apitest.Client, conv string, f apitest.File) attachmentOut {
	t.Helper()
	r := c.Upload(uploadQ, Vars{"c": conv}, f)
	if len(r.Errors) > 0 {
		t.Fatalf("uploading %s: %+v", f.Name, r.Errors)
	}
	var out struct{ UploadFile attachmentOut }
	r.Decode(t, &out)
	return out.UploadFile
}

type fileMessage struct {
	ID          string
	Kind        string
	Text        *string
	Attachments []attachmentOut
}

const fileMessageFields = `id kind text attachments { id filename contentType size url width height expiresAt }`

func sendFiles(t *testing.T, c *apitest.Client, conv string, ids ...string) fileMessage {
	t.Helper()
	var out struct{ SendMessage fileMessage }
	c.MustDo(`mutation($c:ID!,$a:[ID!]){ sendMessage(input:{conversationId:$c, attachmentIds:$a}){ `+fileMessageFields+` } }`,
		Vars{"c": conv, "a": ids}, &out)
	return out.SendMessage
}

// messageAs reads a message as c sees it (nil if c may not).
func messageAs(t *testing.T, c *apitest.Client, id string) *fileMessage {
	t.Helper()
	var out struct{ Node *fileMessage }
	c.MustDo(`query($id:ID!){ node(id:$id){ ... on Message { `+fileMessageFields+` } } }`, Vars{"id": id}, &out)
	return out.Node
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	img.Set(0, 0, color.NRGBA{R: 255, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wavOf is a WAV file of n bytes of samples.
func wavOf(n int) []byte {
	b := []byte("RIFF")
	b = binary.LittleEndian.AppendUint32(b, uint32(36+n))
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1)     // PCM
	b = binary.LittleEndian.AppendUint16(b, 1)     // mono
	b = binary.LittleEndian.AppendUint32(b, 8000)  // sample rate
	b = binary.LittleEndian.AppendUint32(b, 16000) // byte rate
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 16)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	return append(b, randomBytes(n)...)
}

// mp4Of is the start of an MP4 file followed by n bytes.
func mp4Of(n int) []byte {
	b := binary.BigEndian.AppendUint32(nil, 24)
	b = append(b, "ftypisom\x00\x00\x02\x00isomiso2"...)
	return append(b, randomBytes(n)...)
}

const htmlPage = `<!DOCTYPE html><html><body><script>fetch('/query',{credentials:'include'})</script></body></html>`

// blobs lists the files in the server's attachment store (temporary files included).
func blobs(t *testing.T, env *apitest.Env) []string {
	t.Helper()
	d, ok := env.App.Files.(*blob.Disk)
	if !ok {
		t.Fatalf("the store is %T, not the disk", env.App.Files)
	}
	var out []string
	err := filepath.WalkDir(d.Dir(), func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func attachmentRows(t *testing.T, env *apitest.Env) int {
	t.Helper()
	n, err := env.App.DB.Attachment.Query().Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUploadsRoundTripByteForByteAsTheirSniffedKind(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		cases := []struct {
			name, kind, contentType string
			data                    []byte
			inline                  bool
		}{
			// The content decides, not the name.
			{"notes.txt", "IMAGE", "image/png", pngOf(t, 7, 5), true},
			{"photo.png", "FILE", "text/html; charset=utf-8", []byte(htmlPage), false},
			{"voice.bin", "AUDIO", "audio/wav", wavOf(20_000), false},
			{"clip", "VIDEO", "video/mp4", mp4Of(50_000), false},
			{"data.bin", "FILE", "application/octet-stream", randomBytes(300_000), false},
		}
		for _, tc := range cases {
			up := uploadTo(t, ann, c, tc.name, tc.data)
			if up.ContentType != tc.contentType || up.Size != int64(len(tc.data)) || up.Filename != tc.name || up.URL == nil {
				t.Fatalf("%s: uploaded as %+v", tc.name, up)
			}
			msg := sendFiles(t, ann, c, up.ID)
			if msg.Kind != tc.kind || len(msg.Attachments) != 1 || msg.Attachments[0].ID != up.ID {
				t.Fatalf("%s: message %+v, want kind %s", tc.name, msg, tc.kind)
			}
			// Bob reads the message and fetches the file from its URL.
			got := messageAs(t, bob, msg.ID)
			if got == nil || got.Attachments[0].URL == nil {
				t.Fatalf("%s: Bob sees %+v", tc.name, got)
			}
			u := *got.Attachments[0].URL
			if !strings.HasPrefix(u, env.URL+"/files/"+up.ID+"?") {
				t.Fatalf("url %s is not on the public URL %s", u, env.URL)
			}
			resp, body := env.FetchAnonymously(u)
			if resp.StatusCode != 200 || !bytes.Equal(body, tc.data) {
				t.Fatalf("%s: GET %d, %d bytes of %d, equal %v", tc.name, resp.StatusCode, len(body), len(tc.data), bytes.Equal(body, tc.data))
			}
			cd := resp.Header.Get("Content-Disposition")
			if tc.inline != strings.HasPrefix(cd, "inline;") || !strings.Contains(cd, tc.name) {
				t.Errorf("%s: Content-Disposition %q", tc.name, cd)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: no nosniff", tc.name)
			}
			if tc.kind == "IMAGE" {
				if a := got.Attachments[0]; a.Width == nil || a.Height == nil || *a.Width != 7 || *a.Height != 5 {
					t.Errorf("image size %v x %v", a.Width, a.Height)
				}
			} else if a := got.Attachments[0]; a.Width != nil || a.Height != nil {
				t.Errorf("%s has a size %v x %v", tc.name, a.Width, a.Height)
			}
			if got.Attachments[0].ExpiresAt != nil {
				t.Errorf("an internal file has expiresAt %v", got.Attachments[0].ExpiresAt)
			}
		}
		// Several files make one message, of the first one's kind.
		a1, a2 := uploadTo(t, bob, c, "a.png", pngOf(t, 2, 2)), uploadTo(t, bob, c, "b.bin", randomBytes(10))
		var out struct{ SendMessage fileMessage }
		bob.MustDo(`mutation($c:ID!,$a:[ID!]){ sendMessage(input:{conversationId:$c, text:"two files", attachmentIds:$a}){ `+fileMessageFields+` } }`,
			Vars{"c": c, "a": []string{a1.ID, a2.ID}}, &out)
		if m := out.SendMessage; m.Kind != "IMAGE" || len(m.Attachments) != 2 || m.Text == nil || *m.Text != "two files" {
			t.Fatalf("two files: %+v", m)
		}
	})
}

func TestHTMLAndSVGUploadsAreServedAsDownloads(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`)
		for name, data := range map[string][]byte{"photo.png": []byte(htmlPage), "index.html": []byte(htmlPage), "logo.svg": svg} {
			up := uploadTo(t, ann, c, name, data)
			msg := sendFiles(t, ann, c, up.ID)
			if msg.Kind != "FILE" {
				t.Fatalf("%s makes a %s message", name, msg.Kind)
			}
			resp, body := env.FetchAnonymously(*msg.Attachments[0].URL)
			h := resp.Header
			if resp.StatusCode != 200 || !bytes.Equal(body, data) {
				t.Fatalf("%s: %d", name, resp.StatusCode)
			}
			if h.Get("Content-Type") != "application/octet-stream" ||
				!strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") ||
				h.Get("X-Content-Type-Options") != "nosniff" ||
				!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("%s served with %v", name, h)
			}
		}
	})
}

func TestUploadLimitIsExactAndARefusedUploadLeavesNothing(t *testing.T) {
	const limit = 64 << 10
	opts := apitest.Options{Configure: func(c *app.Config) { c.InternalFileLimit = limit }}
	apitest.RunWith(t, opts, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		exact := randomBytes(limit)
		up := uploadTo(t, ann, c, "exact.bin", exact)
		if up.Size != limit {
			t.Fatalf("size %d", up.Size)
		}
		rows, files := attachmentRows(t, env), blobs(t, env)
		if rows != 1 || len(files) != 1 {
			t.Fatalf("after one upload: %d rows, blobs %v", rows, files)
		}
		over := randomBytes(limit + 1)
		for _, chunked := range []bool{false, true} {
			f := apitest.BytesFile("f", "over.bin", over)
			if chunked {
				// No Content-Length: refused after reading limit+1 bytes.
				f.Size = -1
			}
			r := ann.Upload(uploadQ, Vars{"c": c}, f)
			if r.Code() != "FILE_TOO_LARGE" || r.Errors[0].Extensions["max"] != float64(limit) {
				t.Fatalf("chunked %v: %+v", chunked, r.Errors)
			}
			if n, fs := attachmentRows(t, env), blobs(t, env); n != 1 || len(fs) != 1 {
				t.Fatalf("chunked %v: a refused upload left %d rows, blobs %v", chunked, n, fs)
			}
		}
		resp, body := env.FetchAnonymously(*up.URL)
		if resp.StatusCode != 200 || !bytes.Equal(body, exact) {
			t.Fatalf("the upload at the limit: %d", resp.StatusCode)
		}
	})
}

// TestInternalFileLimitIs100MiB runs on its own, not in parallel: it moves
// 100 MiB per database and would slow the timing-sensitive live tests.
func TestInternalFileLimitIs100MiB(t *testing.T) {
	if chat.DefaultInternalFileSize != 100<<20 || chat.MaxFileSize != 100<<20 {
		t.Fatalf("limits %d, %d", chat.DefaultInternalFileSize, chat.MaxFileSize)
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { testInternalFileLimit(t, apitest.Start(t, backend, apitest.Options{})) })
	}
}

func testInternalFileLimit(t *testing.T, env *apitest.Env) {
	ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
	c := directChat(t, ann, bob.ID)
	// One byte over: refused from the request's length, before the file is read.
	start := time.Now()
	r := ann.Upload(uploadQ, Vars{"c": c}, apitest.File{Var: "f", Name: "big.bin", Body: &pattern{left: 100<<20 + 1}, Size: 100<<20 + 1})
	if r.Code() != "FILE_TOO_LARGE" || r.Errors[0].Extensions["max"] != float64(100<<20) {
		t.Fatalf("100 MiB + 1: %+v", r.Errors)
	}
	t.Logf("100 MiB + 1 refused in %v", time.Since(start))
	if n, fs := attachmentRows(t, env), blobs(t, env); n != 0 || len(fs) != 0 {
		t.Fatalf("left %d rows, blobs %v", n, fs)
	}
	if testing.Short() {
		t.Skip("the 100 MiB upload itself is skipped in -short")
	}
	start = time.Now()
	up := uploadFile(t, ann, c, apitest.File{Var: "f", Name: "big.bin", Body: &pattern{left: 100 << 20}, Size: 100 << 20})
	t.Logf("100 MiB stored in %v", time.Since(start))
	if up.Size != 100<<20 {
		t.Fatalf("size %d", up.Size)
	}
}

// pattern yields left bytes without holding them.
type pattern struct{ left int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(b)), p.left))
	for i := range b[:n] {
		b[i] = byte(i)
	}
	p.left -= int64(n)
	return n, nil
}

func TestOnlyMembersUploadAndDownload(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat")
		c := directChat(t, ann, bob.ID)
		data := randomBytes(5000)
		// A non-member cannot upload; nothing is stored.
		if r := cat.Upload(uploadQ, Vars{"c": c}, apitest.BytesFile("f", "x.bin", data)); r.Code() != "FORBIDDEN" {
			t.Fatalf("non-member upload: %+v", r.Errors)
		}
		if r := env.Anonymous().Upload(uploadQ, Vars{"c": c}, apitest.BytesFile("f", "x.bin", data)); r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("anonymous upload: %+v", r.Errors)
		}
		if n, fs := attachmentRows(t, env), blobs(t, env); n != 0 || len(fs) != 0 {
			t.Fatalf("refused uploads left %d rows, blobs %v", n, fs)
		}

		up := uploadTo(t, ann, c, "x.bin", data)
		plain := env.URL + "/files/" + up.ID
		// Unsent, the upload is Ann's alone.
		if resp, _ := bob.Fetch(plain); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("Bob fetched Ann's unsent upload: %d", resp.StatusCode)
		}
		if resp, body := ann.Fetch(plain); resp.StatusCode != 200 || !bytes.Equal(body, data) {
			t.Fatalf("Ann's own unsent upload: %d", resp.StatusCode)
		}
		msg := sendFiles(t, ann, c, up.ID)

		// With a token and no signature, the conversation's rule decides.
		if resp, body := bob.Fetch(plain); resp.StatusCode != 200 || !bytes.Equal(body, data) {
			t.Fatalf("member's download: %d", resp.StatusCode)
		}
		resp, body := cat.Fetch(plain)
		if resp.StatusCode != http.StatusForbidden || bytes.Equal(body, data) {
			t.Fatalf("non-member's download: %d", resp.StatusCode)
		}
		if resp, _ := env.FetchAnonymously(plain); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("no token, no signature: %d", resp.StatusCode)
		}
		if resp, _ := env.WithToken("not-a-token").Fetch(plain); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("bad token: %d", resp.StatusCode)
		}
		if resp, _ := bob.Fetch(env.URL + "/files/at_nope"); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("no such file: %d", resp.StatusCode)
		}
		// The non-member cannot get a URL either.
		if m := messageAs(t, cat, msg.ID); m != nil {
			t.Fatalf("Cat reads the message: %+v", m)
		}
		var node struct{ Node *struct{ ID string } }
		cat.MustDo(`query($id:ID!){ node(id:$id){ ... on Attachment { id } } }`, Vars{"id": up.ID}, &node)
		if node.Node != nil {
			t.Fatal("Cat resolves the attachment")
		}
		bob.MustDo(`query($id:ID!){ node(id:$id){ ... on Attachment { id } } }`, Vars{"id": up.ID}, &node)
		if node.Node == nil || node.Node.ID != up.ID {
			t.Fatal("Bob does not resolve the attachment")
		}

		// A signed URL: tampered, for another file, or expired, it is refused.
		signed := *messageAs(t, bob, msg.ID).Attachments[0].URL
		u, _ := url.Parse(signed)
		q := u.Query()
		other := uploadTo(t, ann, c, "y.bin", randomBytes(10))
		for name, bad := range map[string]string{
			"tampered":     plain + "?exp=" + q.Get("exp") + "&sig=" + strings.Repeat("A", 43),
			"later exp":    plain + "?exp=" + q.Get("exp") + "0&sig=" + q.Get("sig"),
			"another file": env.URL + "/files/" + other.ID + "?" + u.RawQuery,
		} {
			if resp, body := env.FetchAnonymously(bad); resp.StatusCode != http.StatusForbidden || len(body) > 100 {
				t.Errorf("%s: %d", name, resp.StatusCode)
			}
		}
		if resp, _ := env.FetchAnonymously(signed); resp.StatusCode != 200 {
			t.Fatalf("signed: %d", resp.StatusCode)
		}
		env.Clock.Advance(20 * time.Minute)
		if resp, _ := env.FetchAnonymously(signed); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("an expired URL: %d", resp.StatusCode)
		}
		// A fresh one works again.
		if resp, _ := env.FetchAnonymously(*messageAs(t, bob, msg.ID).Attachments[0].URL); resp.StatusCode != 200 {
			t.Fatalf("a fresh URL: %d", resp.StatusCode)
		}
	})
}

func TestRangeRequestsSeek(t *testing.T) {
	for _, store := range []string{"disk", "mem://"} {
		t.Run(strings.Trim(store, ":/"), func(t *testing.T) {
			opts := apitest.Options{}
			if store != "disk" {
				opts.Configure = func(c *app.Config) { c.StorageURL = store }
			}
			apitest.RunWith(t, opts, func(t *testing.T, env *apitest.Env) {
				ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
				c := directChat(t, ann, bob.ID)
				data := mp4Of(200_000)
				msg := sendFiles(t, ann, c, uploadTo(t, ann, c, "clip.mp4", data).ID)
				u := *msg.Attachments[0].URL
				resp, body := env.FetchAnonymously(u, "Range", "bytes=100000-100999")
				if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[100000:101000]) {
					t.Fatalf("range: %d, %d bytes", resp.StatusCode, len(body))
				}
				if cr := resp.Header.Get("Content-Range"); cr != "bytes 100000-100999/200024" {
					t.Fatalf("Content-Range %q", cr)
				}
				resp, body = env.FetchAnonymously(u, "Range", "bytes=-24")
				if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[len(data)-24:]) {
					t.Fatalf("suffix: %d", resp.StatusCode)
				}
				resp, body = bob.Fetch(env.URL+"/files/"+msg.Attachments[0].ID, "Range", "bytes=0-15")
				if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[:16]) {
					t.Fatalf("range with a token: %d", resp.StatusCode)
				}
				resp, _ = env.FetchAnonymously(u)
				if resp.Header.Get("Accept-Ranges") != "bytes" || resp.Header.Get("Content-Type") != "video/mp4" {
					t.Fatalf("headers %v", resp.Header)
				}
			})
		})
	}
}

func TestSendTakesOnlyYourOwnUnsentUploads(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		g := groupChat(t, ann, "G", bob.ID)
		q := `mutation($c:ID!,$a:[ID!]){ sendMessage(input:{conversationId:$c, attachmentIds:$a}){ id } }`
		bobs := uploadTo(t, bob, c, "b.bin", randomBytes(10))
		ann.MustFail("BAD_USER_INPUT", q, Vars{"c": c, "a": []string{bobs.ID}})
		elsewhere := uploadTo(t, ann, g, "g.bin", randomBytes(10))
		ann.MustFail("BAD_USER_INPUT", q, Vars{"c": c, "a": []string{elsewhere.ID}})
		mine := uploadTo(t, ann, c, "a.bin", randomBytes(10))
		sendFiles(t, ann, c, mine.ID)
		ann.MustFail("BAD_USER_INPUT", q, Vars{"c": c, "a": []string{mine.ID}})
		ann.MustFail("BAD_USER_INPUT", q, Vars{"c": c, "a": []string{"at_nope"}})
		// Bob's own is still his to send.
		if m := sendFiles(t, bob, c, bobs.ID); len(m.Attachments) != 1 {
			t.Fatalf("%+v", m)
		}
		n, err := env.App.DB.Attachment.Query().Where(attachment.MessageIDIsNil()).Count(t.Context())
		if err != nil || n != 1 {
			t.Fatalf("unsent: %d %v", n, err)
		}
	})
}

// Attachment.url is a bearer link that works until Attachment.urlExpiresAt
// (about 5 minutes) and not after; a bearer-token download follows the
// conversation's rule at once, so a removed member is refused it.
func TestSignedURLsLastUntilURLExpiresAt(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		g := groupChat(t, ann, "Team", bob.ID)
		data := randomBytes(1000)
		up := uploadTo(t, ann, g, "x.bin", data)
		msg := sendFiles(t, ann, g, up.ID)
		before := env.Clock.Now()
		a := signedAs(t, bob, msg.ID)
		if a.ExpiresAt != nil {
			t.Fatalf("an internal file has a retention expiry: %v", a.ExpiresAt)
		}
		u, _ := url.Parse(*a.URL)
		if u.Query().Get("exp") != fmt.Sprint(a.URLExpiresAt.Unix()) {
			t.Fatalf("url %s, urlExpiresAt %v", *a.URL, a.URLExpiresAt)
		}
		if d := a.URLExpiresAt.Sub(before); d < 5*time.Minute-time.Second || d > 6*time.Minute+time.Second {
			t.Fatalf("urlExpiresAt is %v away", d)
		}

		// Bob is removed: his token no longer downloads...
		ann.MustDo(`mutation($c:ID!,$u:ID!){ removeChatMember(chatId:$c, userId:$u){ id } }`, Vars{"c": g, "u": bob.ID}, nil)
		if resp, body := bob.Fetch(env.URL + "/files/" + up.ID); resp.StatusCode != http.StatusForbidden || bytes.Equal(body, data) {
			t.Fatalf("a removed member's bearer download: %d", resp.StatusCode)
		}
		// ...the link he holds works until urlExpiresAt, and not after.
		env.Clock.Advance(a.URLExpiresAt.Sub(env.Clock.Now()) - 10*time.Second)
		if resp, body := env.FetchAnonymously(*a.URL); resp.StatusCode != 200 || !bytes.Equal(body, data) {
			t.Fatalf("the link before urlExpiresAt: %d", resp.StatusCode)
		}
		env.Clock.Advance(10 * time.Second)
		if resp, _ := env.FetchAnonymously(*a.URL); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("the link at urlExpiresAt: %d", resp.StatusCode)
		}
	})
}

// A session file's link stops working with the file: urlExpiresAt is its
// retention expiry when that comes first.
func TestURLExpiresAtIsCappedByTheFilesExpiry(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		s := newSession(t, env, channel.KindLIVE_CHAT, 0, 1, ann.ID)
		up := uploadTo(t, s.Visitor, s.ID, "me.bin", randomBytes(100))
		msg := sendFiles(t, s.Visitor, s.ID, up.ID)
		// An hour before the file goes, the link's own expiry comes first.
		if a := signedAs(t, ann, msg.ID); a.URLExpiresAt.Sub(env.Clock.Now()) > 6*time.Minute+time.Second {
			t.Fatalf("urlExpiresAt %v, file expiresAt %v", a.URLExpiresAt, a.ExpiresAt)
		}
		env.Clock.Advance(58 * time.Minute)
		a := signedAs(t, ann, msg.ID)
		if !a.URLExpiresAt.Equal(*a.ExpiresAt) {
			t.Fatalf("urlExpiresAt %v, file expiresAt %v", a.URLExpiresAt, a.ExpiresAt)
		}
		if resp, _ := env.FetchAnonymously(*a.URL); resp.StatusCode != 200 {
			t.Fatalf("the link: %d", resp.StatusCode)
		}
		env.Clock.Advance(a.URLExpiresAt.Sub(env.Clock.Now()))
		if resp, _ := env.FetchAnonymously(*a.URL); resp.StatusCode == 200 {
			t.Fatal("the link works after the file expired")
		}
		if a := signedAs(t, ann, msg.ID); a.URL != nil || a.URLExpiresAt != nil {
			t.Fatalf("an expired file's link: %+v", a)
		}
	})
}

type signedAttachment struct {
	URL                     *string
	URLExpiresAt, ExpiresAt *time.Time
}

// signedAs reads the first attachment's link of a message as c.
func signedAs(t *testing.T, c *apitest.Client, msgID string) signedAttachment {
	t.Helper()
	var out struct {
		Node struct{ Attachments []signedAttachment }
	}
	c.MustDo(`query($id:ID!){ node(id:$id){ ... on Message { attachments { url urlExpiresAt expiresAt } } } }`, Vars{"id": msgID}, &out)
	return out.Node.Attachments[0]
}
