//go:build linux

package live

import (
	"log/slog"
	"sync"
	"syscall"
)

// poller waits, in one goroutine for all of them (epoll), for the sockets
// that have nothing to read: an idle socket costs no goroutine. When one
// becomes readable, its ready func runs (it starts a goroutine that reads
// what came), and the socket is not watched again until it is armed again
// (EPOLLONESHOT). The descriptors are Go's, still in the runtime's own
// poller, which does the reading; a closed one leaves this epoll set by
// itself.
type poller struct {
	epfd int

	mu    sync.Mutex
	last  uint64
	ready map[uint64]func()
}

var (
	pollerOnce sync.Once
	thePoller  *poller
)

// sharedPoller returns the process's poller, or nil when it could not be
// made (the sockets then read in a goroutine each).
func sharedPoller() *poller {
	pollerOnce.Do(func() {
		fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			slog.Warn("websocket poller unavailable; one goroutine per socket reads", "err", err)
			return
		}
		thePoller = &poller{epfd: fd, ready: map[uint64]func(){}}
		go thePoller.loop()
	})
	return thePoller
}

// add names ready for rc's socket; arm then watches it.
func (p *poller) add(ready func()) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last++
	p.ready[p.last] = ready
	return p.last
}

// forget drops id's ready func, once its socket is closed.
func (p *poller) forget(id uint64) {
	p.mu.Lock()
	delete(p.ready, id)
	p.mu.Unlock()
}

// arm watches rc's socket until it is readable (or hung up), once. first
// says it has not been armed before.
func (p *poller) arm(rc syscall.RawConn, id uint64, first bool) error {
	op := syscall.EPOLL_CTL_MOD
	if first {
		op = syscall.EPOLL_CTL_ADD
	}
	ev := syscall.EpollEvent{
		Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT,
		Fd:     int32(uint32(id)),
		Pad:    int32(uint32(id >> 32)),
	}
	var err error
	if cerr := rc.Control(func(fd uintptr) {
		err = syscall.EpollCtl(p.epfd, op, int(fd), &ev)
	}); cerr != nil {
		return cerr
	}
	return err
}

func (p *poller) loop() {
	events := make([]syscall.EpollEvent, 256)
	var run []func()
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			slog.Error("websocket poller stopped", "err", err)
			return
		}
		p.mu.Lock()
		for _, ev := range events[:n] {
			if f := p.ready[uint64(uint32(ev.Fd))|uint64(uint32(ev.Pad))<<32]; f != nil {
				run = append(run, f)
			}
		}
		p.mu.Unlock()
		for i, f := range run {
			f()
			run[i] = nil
		}
		run = run[:0]
	}
}
