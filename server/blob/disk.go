package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Disk stores blobs as files under one directory. A Put writes to a
// temporary file in the same file system, syncs it, then renames it into
// place, so a reader never sees half a file and a crash leaves only a
// temporary file behind (removed by the next NewDisk).
type Disk struct {
	dir string
	tmp string
}

var _ Store = (*Disk)(nil)

// tmpDirName cannot collide with a key: ValidKey refuses a leading '.'.
const tmpDirName = ".tmp"

// staleTemp is how old a temporary file must be before NewDisk treats it as
// left over from a crash rather than a write in progress.
const staleTemp = 24 * time.Hour

// NewDisk opens (creating if needed) a disk store in dir.
func NewDisk(dir string) (*Disk, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	d := &Disk{dir: abs, tmp: filepath.Join(abs, tmpDirName)}
	if err := os.MkdirAll(d.tmp, 0o750); err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	d.removeStaleTemp()
	return d, nil
}

// Dir is the directory the store writes to.
func (d *Disk) Dir() string { return d.dir }

func (d *Disk) removeStaleTemp() {
	entries, err := os.ReadDir(d.tmp)
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleTemp {
			_ = os.Remove(filepath.Join(d.tmp, e.Name()))
		}
	}
}

func (d *Disk) path(key string) (string, error) {
	if err := ValidKey(key); err != nil {
		return "", err
	}
	return filepath.Join(d.dir, filepath.FromSlash(key)), nil
}

// Put implements Store.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader) (n int64, err error) {
	dst, err := d.path(key)
	if err != nil {
		return 0, err
	}
	f, err := os.CreateTemp(d.tmp, "put-*")
	if err != nil {
		return 0, fmt.Errorf("blob: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	n, err = io.Copy(f, ctxReader{ctx, r})
	if err != nil {
		return n, err
	}
	if err = f.Sync(); err != nil {
		return n, fmt.Errorf("blob: %w", err)
	}
	if err = f.Close(); err != nil {
		return n, fmt.Errorf("blob: %w", err)
	}
	if err = os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return n, fmt.Errorf("blob: %w", err)
	}
	if err = os.Rename(f.Name(), dst); err != nil {
		return n, fmt.Errorf("blob: %w", err)
	}
	return n, nil
}

// Open implements Store.
func (d *Disk) Open(_ context.Context, key string) (Object, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("blob: %w", err)
	}
	if !info.Mode().IsRegular() {
		_ = f.Close()
		return nil, ErrNotFound
	}
	return &diskObject{File: f, size: info.Size(), mod: info.ModTime()}, nil
}

// Delete implements Store.
func (d *Disk) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: %w", err)
	}
	return nil
}

// Close implements Store.
func (d *Disk) Close() error { return nil }

type diskObject struct {
	*os.File
	size int64
	mod  time.Time
}

func (o *diskObject) Size() int64        { return o.size }
func (o *diskObject) ModTime() time.Time { return o.mod }
