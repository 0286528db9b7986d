package db

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"reflect"
)

// Statements are prepared once per connection and kept: without this, every
// query is parsed and planned again — SQLite's parser was 14% of the CPU of
// a delivery benchmark, and PostgreSQL parses and plans each of the ~18
// statements of a send on the same two cores. Neither driver keeps
// statements itself, and ent builds its SQL as text.
const (
	// cachedStatements is how many statements a connection keeps, the least
	// recently used closed first.
	cachedStatements = 256
	// maxCachedQuery: longer text (bulk inserts, long IN lists) is rarely
	// the same twice.
	maxCachedQuery = 2048
)

// connector opens connections of a driver that keep their statements.
type connector struct {
	drv driver.Driver
	dsn string
}

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	var (
		conn driver.Conn
		err  error
	)
	if dc, ok := c.drv.(driver.DriverContext); ok {
		var inner driver.Connector
		if inner, err = dc.OpenConnector(c.dsn); err == nil {
			conn, err = inner.Connect(ctx)
		}
	} else {
		conn, err = c.drv.Open(c.dsn)
	}
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn)
}

func (c connector) Driver() driver.Driver { return c.drv }

// The interfaces database/sql uses that both drivers implement; a driver
// without them is not wrapped.
type fullConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.QueryerContext
	driver.ExecerContext
}

// cachingConn runs queries through prepared statements it keeps. database/sql
// uses a connection from one goroutine at a time, so it needs no lock.
type cachingConn struct {
	fullConn
	lru   *list.List // of *cachedStmt, most recently used first
	byKey map[string]*list.Element
}

type cachedStmt struct {
	query string
	stmt  driver.Stmt
	busy  bool // its rows are open: a second use prepares a statement of its own
}

func newCachingConn(c driver.Conn) (driver.Conn, error) {
	fc, ok := c.(fullConn)
	if !ok {
		_ = c.Close()
		return nil, errors.New("db: the driver's connections lack the context methods")
	}
	return &cachingConn{fullConn: fc, lru: list.New(), byKey: map[string]*list.Element{}}, nil
}

// statement returns the kept statement for query, preparing it first if
// needed, or nil when query is not to be kept or its statement is in use.
// Only queries with arguments are kept: lib/pq runs those without through
// the simple protocol, where several statements may share one string (a
// migration), and preparing one of those would fail and abort the
// transaction. An error preparing is the error running it would give.
func (c *cachingConn) statement(ctx context.Context, query string, args []driver.NamedValue) (*cachedStmt, error) {
	if len(args) == 0 || len(query) > maxCachedQuery {
		return nil, nil
	}
	if e, ok := c.byKey[query]; ok {
		cs := e.Value.(*cachedStmt)
		if cs.busy {
			return nil, nil
		}
		c.lru.MoveToFront(e)
		return cs, nil
	}
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	cs := &cachedStmt{query: query, stmt: st}
	c.byKey[query] = c.lru.PushFront(cs)
	for c.lru.Len() > cachedStatements {
		c.evict(c.lru.Back())
	}
	return cs, nil
}

func (c *cachingConn) evict(e *list.Element) {
	cs := c.lru.Remove(e).(*cachedStmt)
	delete(c.byKey, cs.query)
	if !cs.busy {
		_ = cs.stmt.Close()
	} // else its rows close it (cachedRows.Close)
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.statement(ctx, query, args)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.fullConn.ExecContext(ctx, query, args)
	}
	return cs.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.statement(ctx, query, args)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.fullConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, release: func() {
		cs.busy = false
		if _, kept := c.byKey[cs.query]; !kept {
			_ = cs.stmt.Close() // evicted while its rows were open
		}
	}}, nil
}

// Close closes the kept statements, then the connection.
func (c *cachingConn) Close() error {
	for e := c.lru.Front(); e != nil; e = e.Next() {
		_ = e.Value.(*cachedStmt).stmt.Close()
	}
	c.lru.Init()
	clear(c.byKey)
	return c.fullConn.Close()
}

// The optional interfaces database/sql looks for on a connection.

func (c *cachingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.fullConn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.fullConn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.fullConn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.fullConn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// cachedRows frees its statement when closed.
type cachedRows struct {
	driver.Rows
	release func()
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	if r.release != nil {
		r.release()
		r.release = nil
	}
	return err
}

// The optional interfaces of rows, passed on when the driver's have them,
// else answered as database/sql does without them.

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if x, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return x.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if x, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return x.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	if x, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return x.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *cachedRows) ColumnTypeNullable(i int) (bool, bool) {
	if x, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return x.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *cachedRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if x, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return x.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *cachedRows) HasNextResultSet() bool {
	x, ok := r.Rows.(driver.RowsNextResultSet)
	return ok && x.HasNextResultSet()
}

func (r *cachedRows) NextResultSet() error {
	if x, ok := r.Rows.(driver.RowsNextResultSet); ok {
		return x.NextResultSet()
	}
	return io.EOF
}
