package apitest

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// BreakDatabase makes the server's database unreachable for the rest of the
// test, for real: on PostgreSQL (with Options.BreakableDatabase) the proxy
// between them drops every connection and refuses new ones; on SQLite the
// server's connection pool is closed.
func (e *Env) BreakDatabase() {
	e.T.Helper()
	if e.Backend == "sqlite" {
		if err := e.App.DB.SQL.Close(); err != nil {
			e.T.Fatal(err)
		}
		return
	}
	if e.dbProxy == nil {
		e.T.Fatal("BreakDatabase on PostgreSQL needs Options.BreakableDatabase")
	}
	e.dbProxy.cut()
}

// tcpProxy forwards connections to a database server until it is cut.
type tcpProxy struct {
	l      net.Listener
	target string

	mu     sync.Mutex
	broken bool
	conns  map[net.Conn]struct{}
}

// proxyDatabase starts a proxy to the PostgreSQL server of dbURL and
// returns the URL that reaches it through the proxy.
func proxyDatabase(t testing.TB, dbURL string) (*tcpProxy, string) {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{l: l, target: u.Host, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(p.cut)
	u.Host = l.Addr().String()
	return p, u.String()
}

func (p *tcpProxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *tcpProxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, up) {
		return
	}
	go func() { _, _ = io.Copy(up, c); up.Close(); c.Close() }()
	_, _ = io.Copy(c, up)
	up.Close()
	c.Close()
}

// track records a connection pair, or closes it if the proxy is cut.
func (p *tcpProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.broken {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

// cut closes every connection and the listener: new ones are refused.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.broken = true
	p.l.Close()
	for c := range p.conns {
		c.Close()
	}
}
