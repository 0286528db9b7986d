package files

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"parley/server/apperr"
	"parley/server/blob"
)

func newDisk(t *testing.T) *blob.Disk {
	t.Helper()
	d, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// filesUnder lists the regular files in a disk store, temporary ones included.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestStoreLimit(t *testing.T) {
	ctx := context.Background()
	d := newDisk(t)
	const max = 100_000
	data := bytes.Repeat([]byte("0123456789"), max/10)

	n, err := Store(ctx, d, "in/limit", bytes.NewReader(data), max)
	if err != nil || n != max {
		t.Fatalf("exactly the limit: %d, %v", n, err)
	}
	o, err := d.Open(ctx, "in/limit")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(o)
	o.Close()
	if !bytes.Equal(got, data) {
		t.Fatal("stored bytes differ")
	}

	over := append(data, 'x')
	_, err = Store(ctx, d, "over/limit", bytes.NewReader(over), max)
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.FileTooLarge || e.Extensions["max"] != int64(max) {
		t.Fatalf("one byte over: %v", err)
	}
	if _, err := d.Open(ctx, "over/limit"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("refused upload left a blob: %v", err)
	}
	if files := filesUnder(t, d.Dir()); len(files) != 1 {
		t.Fatalf("files left: %v", files)
	}
}

type hinted struct {
	io.Reader
	min    int64
	read   bool
	closed bool
}

func (h *hinted) MinSize() int64 { return h.min }
func (h *hinted) Read(p []byte) (int, error) {
	h.read = true
	return h.Reader.Read(p)
}
func (h *hinted) Close() error { h.closed = true; return nil }

func TestStoreRefusesByHintWithoutReading(t *testing.T) {
	d := newDisk(t)
	r := &hinted{Reader: strings.NewReader("small"), min: 11}
	if _, err := Store(context.Background(), d, "k", r, 10); apperr.CodeOf(err) != apperr.FileTooLarge {
		t.Fatalf("err = %v", err)
	}
	if r.read || !r.closed {
		t.Fatalf("read %v closed %v", r.read, r.closed)
	}
}

func TestStoreReaderErrors(t *testing.T) {
	d := newDisk(t)
	boom := errors.New("client went away")
	_, err := Store(context.Background(), d, "k", io.MultiReader(strings.NewReader("abc"), errReader{boom}), 10)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	// The transport's own cap reports this limit.
	_, err = Store(context.Background(), d, "k", io.MultiReader(strings.NewReader("abc"), errReader{TooLarge(5)}), 3)
	if e, ok := apperr.As(err); !ok || e.Code != apperr.FileTooLarge || e.Extensions["max"] != int64(3) {
		t.Fatalf("err = %v", err)
	}
	if files := filesUnder(t, d.Dir()); len(files) != 0 {
		t.Fatalf("files left: %v", files)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestNewKey(t *testing.T) {
	k := NewKey(time.Date(2026, 11, 21, 23, 0, 0, 0, time.FixedZone("x", -3600)))
	if !regexp.MustCompile(`^2026/11/[0-9a-f]{32}$`).MatchString(k) || blob.ValidKey(k) != nil {
		t.Fatalf("key %q", k)
	}
	if NewKey(time.Now()) == NewKey(time.Now()) {
		t.Fatal("keys repeat")
	}
}

func TestSanitizeFilename(t *testing.T) {
	cases := map[string]string{
		"report.pdf":                      "report.pdf",
		"../../etc/passwd":                "passwd",
		`C:\Users\me\photo.jpg`:           "photo.jpg",
		"inv\u202Egpj.exe":                "invgpj.exe",
		"a\x00b\nc.txt":                   "abc.txt",
		"what?.txt":                       "what_.txt",
		`"quoted".txt`:                    "_quoted_.txt",
		"  .hidden. ":                     "hidden",
		"":                                "file",
		"..":                              "file",
		"Grüße – 報告.docx":                 "Grüße – 報告.docx",
		"bad\xffutf8.txt":                 "badutf8.txt",
		strings.Repeat("é", 200) + ".png": strings.Repeat("é", 125) + ".png",
	}
	for in, want := range cases {
		if got := SanitizeFilename(in); got != want {
			t.Errorf("SanitizeFilename(%q) = %q, want %q", in, got, want)
		}
		if got := SanitizeFilename(in); len(got) > maxFilename {
			t.Errorf("%q too long: %d", got, len(got))
		}
	}
}

func TestContentDisposition(t *testing.T) {
	if got := ContentDisposition("attachment", `../evil"name.html`); got != `attachment; filename="evil_name.html"` {
		t.Errorf("ascii: %s", got)
	}
	got := ContentDisposition("inline", "Grüße 100%.png")
	want := `inline; filename="Gr__e 100_.png"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20100%25.png`
	if got != want {
		t.Errorf("utf-8:\n got %s\nwant %s", got, want)
	}
}

func TestSigner(t *testing.T) {
	secret := bytes.Repeat([]byte("s"), 32)
	if _, err := NewSigner(secret[:31], "", 0); err == nil {
		t.Fatal("short secret accepted")
	}
	s, err := NewSigner(secret, "https://chat.example.com/", 0)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 21, 12, 0, 1, 0, time.UTC)
	s.now = func() time.Time { return now }
	raw := s.URL("at_01HZ")
	u, err := url.Parse(raw)
	if err != nil || u.Host != "chat.example.com" || u.Path != "/files/at_01HZ" {
		t.Fatalf("URL %s", raw)
	}
	exp, err := s.Verify("at_01HZ", u.Query())
	if err != nil {
		t.Fatal(err)
	}
	// At least the TTL, at most a fifth more, on a boundary of a fifth.
	if d := exp.Sub(now); d < DefaultURLTTL || d > DefaultURLTTL*6/5 || exp.Unix()%int64(DefaultURLTTL/5/time.Second) != 0 {
		t.Fatalf("expiry in %v", d)
	}
	if DefaultURLTTL > 5*time.Minute {
		t.Fatalf("download URLs live %v: they are bearer links, README says 5 minutes", DefaultURLTTL)
	}
	// Sign says when the URL it signs expires.
	if signed, at := s.Sign("at_01HZ", now); signed != raw || !at.Equal(exp) {
		t.Fatalf("Sign = %s, %v; want %s, %v", signed, at, raw, exp)
	}
	// Stable within the rounding window, so browsers can cache.
	now = now.Add(30 * time.Second)
	if s.URL("at_01HZ") != raw {
		t.Error("URL changed within the window")
	}

	q := u.Query()
	if _, err := s.Verify("at_01HY", q); !errors.Is(err, ErrBadSignature) {
		t.Errorf("other id: %v", err)
	}
	for _, tamper := range []func(url.Values){
		func(v url.Values) { v.Set("exp", "99999999999") },
		func(v url.Values) { v.Set("sig", strings.Repeat("A", 43)) },
		func(v url.Values) { v.Del("sig") },
		func(v url.Values) { v.Set("sig", "%%%") },
	} {
		v := url.Values{"exp": {q.Get("exp")}, "sig": {q.Get("sig")}}
		tamper(v)
		if _, err := s.Verify("at_01HZ", v); !errors.Is(err, ErrBadSignature) {
			t.Errorf("tampered %v: %v", v, err)
		}
	}
	other, _ := NewSigner(bytes.Repeat([]byte("t"), 32), "", 0)
	if _, err := other.Verify("at_01HZ", q); !errors.Is(err, ErrBadSignature) {
		t.Errorf("other secret: %v", err)
	}
	now = exp
	if _, err := s.Verify("at_01HZ", q); !errors.Is(err, ErrURLExpired) {
		t.Errorf("expired: %v", err)
	}
}
