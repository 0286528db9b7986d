//go:build s3 || gcs || azure || cloud

package blob

import (
	"testing"

	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
)

// With a driver compiled in, the Store tests also run on the gocloud.dev
// wrapper, over its own in-memory and file buckets.
func init() {
	bucketStores = func(t *testing.T) map[string]Store {
		fb, err := fileblob.OpenBucket(t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return map[string]Store{
			"gocloud-mem":  NewBucket(memblob.OpenBucket(nil)),
			"gocloud-file": NewBucket(fb),
		}
	}
}

func TestOpenCompiledInDriver(t *testing.T) {
	if !compiledIn["s3"] {
		t.Skip("built without -tags s3")
	}
	// Opening makes no request, so no credentials or network are needed.
	s, err := Open(t.Context(), "s3://parley-test?region=eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*Bucket); !ok {
		t.Fatalf("s3:// opened a %T, want a gocloud.dev bucket", s)
	}
}
