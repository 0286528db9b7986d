//go:build unix

package blob

import (
	"os"
	"syscall"
)

// lock takes f's exclusive lock, waiting for it.
func lock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}

// tryLock takes f's exclusive lock if nobody holds it. ok is false where the
// file system has no locks.
func tryLock(f *os.File) (locked, ok bool) {
	switch err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err {
	case nil:
		return true, true
	case syscall.EWOULDBLOCK:
		return false, true
	}
	return false, false
}

// install gives the written temporary file f its final name, then closes
// it: renamed first, it is locked until it is no longer temporary.
func install(f *os.File, dst string) error {
	if err := os.Rename(f.Name(), dst); err != nil {
		return err
	}
	return f.Close()
}
