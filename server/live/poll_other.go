//go:build !linux

package live

import "syscall"

// poller is Linux's (epoll); elsewhere each socket reads in a goroutine.
type poller struct{}

func sharedPoller() *poller                             { return nil }
func (*poller) add(func()) uint64                       { return 0 }
func (*poller) forget(uint64)                           {}
func (*poller) arm(syscall.RawConn, uint64, bool) error { return nil }
