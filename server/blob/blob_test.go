package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bucketStores adds gocloud.dev buckets when a driver is compiled in
// (bucket_test.go).
var bucketStores func(t *testing.T) map[string]Store

func stores(t *testing.T) map[string]Store {
	t.Helper()
	ctx := context.Background()
	disk, err := Open(ctx, filepath.Join(t.TempDir(), "files"))
	if err != nil {
		t.Fatal(err)
	}
	mem, err := Open(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	file, err := Open(ctx, "file://"+filepath.ToSlash(t.TempDir())+"?create_dir=true")
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]Store{"disk": disk, "mem": mem, "file": file}
	if bucketStores != nil {
		maps.Copy(all, bucketStores(t))
	}
	t.Cleanup(func() {
		for _, s := range all {
			_ = s.Close()
		}
	})
	return all
}

// pattern is deterministic content that is not all one byte, so offsets matter.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func TestRoundTripAndRanges(t *testing.T) {
	ctx := context.Background()
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			want := pattern(300_000)
			n, err := s.Put(ctx, "2026/11/abc-1.bin", bytes.NewReader(want))
			if err != nil || n != int64(len(want)) {
				t.Fatalf("Put = %d, %v", n, err)
			}
			o, err := s.Open(ctx, "2026/11/abc-1.bin")
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			if o.Size() != int64(len(want)) || o.ModTime().IsZero() {
				t.Fatalf("size %d modtime %v", o.Size(), o.ModTime())
			}
			got, err := io.ReadAll(o)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("read back %d bytes, err %v", len(got), err)
			}
			// What http.ServeContent does for a range: size from the end, then seek and read.
			if end, err := o.Seek(0, io.SeekEnd); err != nil || end != int64(len(want)) {
				t.Fatalf("SeekEnd = %d, %v", end, err)
			}
			if _, err := o.Seek(1000, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			part := make([]byte, 500)
			if _, err := io.ReadFull(o, part); err != nil || !bytes.Equal(part, want[1000:1500]) {
				t.Fatalf("range read wrong (err %v)", err)
			}
			if _, err := o.Seek(-10, io.SeekEnd); err != nil {
				t.Fatal(err)
			}
			tail, _ := io.ReadAll(o)
			if !bytes.Equal(tail, want[len(want)-10:]) {
				t.Fatalf("tail = %v", tail)
			}
		})
	}
}

type failingReader struct{ n int }

var errBoom = errors.New("boom")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errBoom
	}
	k := min(len(p), f.n)
	f.n -= k
	return k, nil
}

func TestFailedPutLeavesNothing(t *testing.T) {
	ctx := context.Background()
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			_, err := s.Put(ctx, "k/failed", &failingReader{n: 200_000})
			if !errors.Is(err, errBoom) {
				t.Fatalf("Put err = %v, want the reader's error", err)
			}
			if _, err := s.Open(ctx, "k/failed"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Open after failed Put: %v, want ErrNotFound", err)
			}
			// A failed overwrite keeps the old blob.
			if _, err := s.Put(ctx, "k/old", strings.NewReader("old")); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Put(ctx, "k/old", &failingReader{n: 10}); err == nil {
				t.Fatal("want error")
			}
			if got := readAll(t, s, "k/old"); got != "old" {
				t.Fatalf("old blob = %q", got)
			}
			if d, ok := s.(*Disk); ok {
				entries, _ := os.ReadDir(filepath.Join(d.Dir(), tmpDirName))
				if len(entries) != 0 {
					t.Fatalf("temporary files left: %v", entries)
				}
			}
		})
	}
}

func TestCancelledPutLeavesNothing(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			r := &cancelAfter{cancel: cancel, n: 3}
			if _, err := s.Put(ctx, "k/cancelled", r); !errors.Is(err, context.Canceled) {
				t.Fatalf("Put err = %v, want context.Canceled", err)
			}
			if _, err := s.Open(context.Background(), "k/cancelled"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Open after cancelled Put: %v", err)
			}
		})
	}
}

// cancelAfter serves n reads of zeros, then cancels and keeps serving, as a
// client would keep sending after its request was cancelled.
type cancelAfter struct {
	cancel func()
	n      int
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n--; c.n == 0 {
		c.cancel()
	}
	clear(p)
	return len(p), nil
}

func readAll(t *testing.T, s Store, key string) string {
	t.Helper()
	o, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	b, err := io.ReadAll(o)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDeleteAndMissing(t *testing.T) {
	ctx := context.Background()
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Put(ctx, "gone", strings.NewReader("x")); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, "gone"); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, "gone"); err != nil {
				t.Fatalf("second Delete: %v", err)
			}
			if _, err := s.Open(ctx, "gone"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Open deleted: %v", err)
			}
			if _, err := s.Open(ctx, "never"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Open missing: %v", err)
			}
		})
	}
}

func TestBadKeys(t *testing.T) {
	ctx := context.Background()
	bad := []string{"", "../x", "a/../../etc/passwd", "/abs", "a//b", "a/", ".hidden", "a/.tmp/x",
		`a\b`, "a b", "ä", "a/./b", "a:b", strings.Repeat("a", MaxKeyLen+1)}
	for name, s := range stores(t) {
		for _, k := range bad {
			if _, err := s.Put(ctx, k, strings.NewReader("x")); !errors.Is(err, ErrBadKey) {
				t.Errorf("%s: Put(%q) err = %v, want ErrBadKey", name, k, err)
			}
			if _, err := s.Open(ctx, k); !errors.Is(err, ErrBadKey) {
				t.Errorf("%s: Open(%q) err = %v, want ErrBadKey", name, k, err)
			}
			if err := s.Delete(ctx, k); !errors.Is(err, ErrBadKey) {
				t.Errorf("%s: Delete(%q) err = %v, want ErrBadKey", name, k, err)
			}
		}
	}
	for _, k := range []string{"a", "2026/11/01/01HZX-abc_1.bin", strings.Repeat("a", MaxKeyLen)} {
		if err := ValidKey(k); err != nil {
			t.Errorf("ValidKey(%q) = %v", k, err)
		}
	}
}

func TestDiskLayoutAndStaleTemp(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, tmpDirName, "put-stale")
	crashed := filepath.Join(dir, tmpDirName, "put-crashed")
	writing := filepath.Join(dir, tmpDirName, "put-writing")
	if err := os.MkdirAll(filepath.Dir(stale), 0o750); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{stale, crashed, writing} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleTemp)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	// Another instance sharing the directory is writing this one: its Put
	// holds the lock.
	w, err := os.OpenFile(writing, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := lock(w); err != nil {
		t.Fatal(err)
	}
	d, err := NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temp file kept: %v", err)
	}
	if _, err := os.Stat(writing); err != nil {
		t.Errorf("a temp file being written was removed: %v", err)
	}
	if _, ok := tryLock(w); ok {
		// Where files lock, a crash's temp file goes however recent.
		if _, err := os.Stat(crashed); !os.IsNotExist(err) {
			t.Errorf("a fresh unlocked temp file kept: %v", err)
		}
	}
	if _, err := d.Put(context.Background(), "x/y/z", strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "x", "y", "z"))
	if err != nil || string(b) != "hello" {
		t.Fatalf("file on disk = %q, %v", b, err)
	}
	if _, err := d.Open(context.Background(), "x/y"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open of a directory: %v, want ErrNotFound", err)
	}
}

func TestOpenLocation(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, ""); err == nil {
		t.Error("empty location accepted")
	}
	if _, err := Open(ctx, "nosuchscheme://x?secret=1"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("unknown scheme: %v", err)
	}
	for _, bad := range []string{"mem://bucket", "file://host/dir", "file:///dir?secret=1", "file://"} {
		if _, err := Open(ctx, bad); err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q): %v", bad, err)
		}
	}
	if s, err := Open(ctx, "FILE://"+filepath.ToSlash(t.TempDir())); err != nil {
		t.Errorf("file URL with an upper-case scheme: %v", err)
	} else if _, ok := s.(*Disk); !ok {
		t.Errorf("file:// opened a %T, want the disk store", s)
	}
	// A driver left out names the tag to build with, never the URL's query.
	for scheme, store := range objectStores {
		if compiledIn[scheme] {
			continue
		}
		_, err := Open(ctx, scheme+"://bucket?secret=1")
		if err == nil || !strings.Contains(err.Error(), "-tags "+store.tag) || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s:// without its driver: %v", scheme, err)
		}
	}
	if got := DefaultLocation("data"); got != filepath.Join("data", "files") {
		t.Errorf("DefaultLocation = %q", got)
	}
}
