package blob

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// objectStore describes a gocloud.dev driver. Each is behind a build tag
// because its SDK is large: gocloud.dev alone brings gRPC and the Google API
// client, and the default build downloads none of it (see drivers_*.go).
type objectStore struct {
	name, tag string
}

var objectStores = map[string]objectStore{
	"s3":     {"S3", "s3"},
	"gs":     {"Google Cloud Storage", "gcs"},
	"azblob": {"Azure Blob Storage", "azure"},
}

// compiledIn holds the object store schemes this binary was built with;
// drivers_*.go add theirs.
var compiledIn = map[string]bool{}

// openBucket opens an object store URL; bucket.go sets it whenever a driver
// is compiled in.
var openBucket func(ctx context.Context, url string) (Store, error)

// Open opens the store at location: a directory path or file:///dir for the
// local disk store, mem:// for a store in memory, or an object store URL
// (s3://, gs://, azblob://) if this binary was built with its driver.
func Open(ctx context.Context, location string) (Store, error) {
	if location == "" {
		return nil, errors.New("blob: no storage location")
	}
	scheme, rest, ok := strings.Cut(location, "://")
	if !ok {
		return NewDisk(location)
	}
	scheme = strings.ToLower(scheme)
	switch scheme {
	case "file":
		dir, err := fileURLDir(location)
		if err != nil {
			return nil, err
		}
		return NewDisk(dir)
	case "mem":
		if rest != "" {
			return nil, errors.New("blob: mem:// takes no bucket name or options")
		}
		return NewMemory(), nil
	}
	store, known := objectStores[scheme]
	switch {
	case !known:
		return nil, errors.New("blob: unknown storage scheme: use a directory, file://, mem://, s3://, gs:// or azblob://")
	case !compiledIn[scheme]:
		return nil, fmt.Errorf("blob: this binary was built without %s support (%s://): build it with -tags %s (or -tags cloud for every object store)", store.name, scheme, store.tag)
	}
	return openBucket(ctx, location)
}

// fileURLDir is the directory of file:///dir. create_dir (gocloud.dev's
// fileblob option) is accepted and changes nothing: the directory is always
// created.
func fileURLDir(location string) (string, error) {
	u, err := url.Parse(location)
	if err != nil || (u.Host != "" && u.Host != "localhost") || u.Path == "" {
		return "", errors.New("blob: a file URL must name an absolute directory, as in file:///var/lib/parley/files")
	}
	for k := range u.Query() {
		if k != "create_dir" {
			return "", errors.New("blob: file:// takes no options besides create_dir")
		}
	}
	p := u.Path
	if len(p) >= 3 && p[0] == '/' && p[2] == ':' { // file:///C:/dir
		p = p[1:]
	}
	return filepath.FromSlash(p), nil
}
