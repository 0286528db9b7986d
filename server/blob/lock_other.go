//go:build !unix

package blob

import "os"

// Without flock, NewDisk tells a crash's temporary files by their age
// (staleTemp) instead.

func lock(*os.File) error { return nil }

func tryLock(*os.File) (locked, ok bool) { return false, false }

// install gives the written temporary file f its final name: closed first,
// since an open file may not be renamed everywhere.
func install(f *os.File, dst string) error {
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), dst)
}
