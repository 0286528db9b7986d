package live

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
)

// socket is what live keeps of one WebSocket for the registry, Presence
// and shutdown.
type socket struct {
	upgradeAuth string        // the upgrade request's Authorization header
	done        chan struct{} // closed once it is closed and its reader gone

	mu         sync.Mutex
	conn       *wsConn // once accepted
	code       int     // when set, the code to close with instead of 1000
	reason     string
	now        bool   // close as soon as accepted (shutdown)
	disconnect func() // once authenticated: leaves Presence
}

// setCloseCode asks for code when the socket next closes normally.
func (s *socket) setCloseCode(code int, reason string) {
	s.mu.Lock()
	s.code, s.reason = code, reason
	s.mu.Unlock()
}

// left runs when the connection closes.
func (s *socket) left() {
	s.mu.Lock()
	leave := s.disconnect
	s.mu.Unlock()
	if leave != nil {
		leave()
	}
}

func (s *socket) asked() (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.code, s.reason
}

// close closes the socket now with code, or as soon as it is accepted.
func (s *socket) close(code int, reason string) {
	s.mu.Lock()
	s.code, s.reason, s.now = code, reason, true
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		c.writeClose(websocket.StatusCode(code), reason)
	}
}

// registry holds the open WebSockets, for shutdown.
type registry struct {
	mu     sync.Mutex
	m      map[*socket]struct{}
	opened atomic.Int64
}

func (ss *registry) add(s *socket) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.m == nil {
		ss.m = map[*socket]struct{}{}
	}
	ss.m[s] = struct{}{}
	ss.opened.Add(1)
}

// counts returns how many sockets are open and how many operations they run.
func (ss *registry) counts() (sockets, operations int) {
	ss.mu.Lock()
	open := make([]*socket, 0, len(ss.m))
	for s := range ss.m {
		open = append(open, s)
	}
	ss.mu.Unlock()
	for _, s := range open {
		s.mu.Lock()
		c := s.conn
		s.mu.Unlock()
		if c != nil {
			c.mu.Lock()
			operations += len(c.ops)
			c.mu.Unlock()
		}
	}
	return len(open), operations
}

func (ss *registry) remove(s *socket) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, s)
}

// closeAll closes every open socket with code and waits until they are
// done or ctx ends.
func (ss *registry) closeAll(ctx context.Context, code int, reason string) {
	ss.mu.Lock()
	open := make([]*socket, 0, len(ss.m))
	for s := range ss.m {
		open = append(open, s)
	}
	ss.mu.Unlock()
	for _, s := range open {
		s.close(code, reason)
	}
	for _, s := range open {
		select {
		case <-s.done:
		case <-ctx.Done():
			return
		}
	}
}
