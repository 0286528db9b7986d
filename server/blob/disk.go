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
// place, so a reader never sees half a file. A crash leaves only the
// temporary file behind, which the next NewDisk removes: a Put holds a lock
// on its temporary file while it writes (flock, which NFS honours too), so
// a temporary file nobody holds is left over, whereas one another instance
// sharing the directory is writing is kept.
type Disk struct {
	dir string
	tmp string
}

var _ Store = (*Disk)(nil)

// tmpDirName cannot collide with a key: ValidKey refuses a leading '.'.
const tmpDirName = ".tmp"

// staleTemp is, where files cannot be locked, how old a temporary file must
// be before NewDisk takes it for left over from a crash rather than a write
// in progress.
const staleTemp = 24 * time.Hour

// NewDisk opens (creating if needed) a disk store in dir, and removes the
// temporary files of writes that were cut short by a crash.
func NewDisk(dir string) (*Disk, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	d := &Disk{dir: abs, tmp: filepath.Join(abs, tmpDirName)}
	if err := os.MkdirAll(d.tmp, 0o750); err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	d.removeAbandonedTemp()
	return d, nil
}

// Dir is the directory the store writes to.
func (d *Disk) Dir() string { return d.dir }

func (d *Disk) removeAbandonedTemp() {
	entries, err := os.ReadDir(d.tmp)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			removeIfAbandoned(filepath.Join(d.tmp, e.Name()))
		}
	}
}

// removeIfAbandoned removes a temporary file no Put is writing. The lock is
// held while removing, so a Put that has just created the file and waits
// for its lock finds it gone and starts over (createTemp). Where files
// cannot be locked, age tells instead.
func removeIfAbandoned(p string) {
	f, err := os.Open(p)
	if err != nil {
		return
	}
	locked, ok := tryLock(f)
	if ok {
		if locked {
			_ = os.Remove(p)
		}
		_ = f.Close()
		return
	}
	info, err := f.Stat()
	_ = f.Close()
	if err == nil && time.Since(info.ModTime()) > staleTemp {
		_ = os.Remove(p)
	}
}

// createTemp creates a temporary file for a Put and locks it (closing the
// file releases the lock). Without locks on this file system the Put goes
// on unlocked: NewDisk then goes by age.
func (d *Disk) createTemp() (*os.File, error) {
	for {
		f, err := os.CreateTemp(d.tmp, "put-*")
		if err != nil {
			return nil, err
		}
		if lock(f) != nil {
			return f, nil
		}
		// Another instance starting on this directory may have removed
		// the file between its creation and the lock.
		if held(f) {
			return f, nil
		}
		_ = f.Close()
	}
}

// held reports whether f's name still names f.
func held(f *os.File) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(f.Name())
	return err == nil && os.SameFile(a, b)
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
	f, err := d.createTemp()
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
	if err = os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return n, fmt.Errorf("blob: %w", err)
	}
	if err = install(f, dst); err != nil {
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
