package live

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"parley/server/apperr"
	"parley/server/fanout"
	"parley/server/logx"
)

// wsConn is one WebSocket, from its accept to its close: GraphQL over
// graphql-transport-ws or the legacy graphql-ws, as gqlgen's
// transport.Websocket speaks them (the same messages, the same answers),
// with the close codes of graphql-transport-ws and ours, an id already
// running refused with 4409 and a subscription beyond MaxSubscriptions
// refused with an error for its id.
//
// It costs no goroutine while idle where the poller watches it (Linux):
// the HTTP handler's reads until the connection_init is acknowledged, then
// one reads only while the client has written something (listen);
// elsewhere one of its own reads for as long as it is open (reader). Each
// operation runs in one more (gqlgen's response handler blocks until the
// next event). Pings, keepalives and the read deadline are timers, and the
// connection's context ending closes it through context.AfterFunc.
//
// What gqlgen's transport offers resolvers besides: the connection_init
// payload is InitPayload's here (transport.GetInitPayload says nil), and
// transport.AddSubscriptionError is not supported (nothing calls it).
type wsConn struct {
	s           *Server
	sock        *socket
	ws          *websocket.Conn
	exec        graphql.GraphExecutor
	headers     http.Header
	transportWS bool // graphql-transport-ws; else the legacy graphql-ws

	// ctx is the connection's: the request's, then the one init returns;
	// cancel ends it and every operation's, at close.
	ctx    context.Context
	cancel context.CancelFunc

	writeMu sync.Mutex // one frame at a time

	mu           sync.Mutex
	inits        int                   // connection_init messages read
	last         string                // type of the last message read
	invalid      bool                  // the last message read was not one of the protocol's
	ops          map[string]*operation // started and not yet complete
	handshake    bool                  // the close handshake runs
	closed       bool                  // done: operations cancelled
	receivedPong bool
	ping         *time.Timer // graphql-transport-ws: the next ping
	keepAlive    *time.Timer // graphql-ws: the next "ka"
	deadline     *time.Timer // closes a socket whose pong is missing
	stop         func() bool // stops closing the socket when its context ends

	// Reading through the poller (listen): the connection, its read
	// buffer, its descriptor and its name in the poller; done runs once
	// it is closed and no longer read.
	nc     *hookedConn
	br     *bufio.Reader
	done   func()
	poll   *poller
	rc     syscall.RawConn
	pollID uint64
	rstate int  // guarded by mu: readActive, readArmed or readOver
	armed  bool // guarded by mu: the poller has seen it
	hungup bool // guarded by mu: the connection is closed
}

// operation is one started by the client and not yet complete.
type operation struct {
	cancel context.CancelFunc // once it runs
}

// Intervals of the keepalives (graphql-ws) and pings (graphql-transport-ws;
// a pong missing for twice this closes the socket), and the payload read
// limit: gqlgen's as live configured them.
const (
	keepAliveInterval = 15 * time.Second
	pingPongInterval  = 30 * time.Second
	readLimit         = 1 << 20
)

var subprotocols = []string{"graphql-ws", "graphql-transport-ws"}

// serve accepts the socket and reads its connection_init; once it is
// acknowledged, a goroutine of its own reads the rest and the handler
// returns. net/http keeps the buffers it reads and writes requests through
// (8 KB), and the handler's stack, for as long as the handler runs; the
// socket has smaller buffers of its own (lean). done runs when the socket
// is closed and its reader gone.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, sock *socket, done func()) {
	lw := lean(w)
	ws, err := websocket.Accept(lw, r, &websocket.AcceptOptions{
		Subprotocols:   subprotocols,
		OriginPatterns: originHosts(s.cfg.Origins),
	})
	if err != nil {
		done()
		s.cfg.Log.Debug("unable to upgrade to a websocket", "err", err)
		transport.SendErrorf(w, http.StatusBadRequest, "unable to upgrade")
		return
	}
	c := &wsConn{s: s, sock: sock, ws: ws, exec: exec, headers: r.Header, ops: map[string]*operation{},
		nc: lw.conn, br: lw.br, done: done}
	switch ws.Subprotocol() {
	case "graphql-transport-ws":
		c.transportWS = true
	case "graphql-ws", "":
	default:
		done()
		_ = ws.Close(websocket.StatusProtocolError, "unsupported negotiated subprotocol "+ws.Subprotocol())
		return
	}
	ws.SetReadLimit(readLimit)
	// The request's context ends when the handler returns, the socket's
	// when it closes (init gives it its cancel).
	c.ctx = context.WithoutCancel(r.Context())

	sock.mu.Lock()
	sock.conn = c
	now, code, reason := sock.now, sock.code, sock.reason
	sock.mu.Unlock()
	if now {
		c.writeClose(websocket.StatusCode(code), reason)
	}
	if !c.init() {
		c.close(websocket.StatusNormalClosure, "terminated") // when not already
		done()
		return
	}
	c.start()
	c.listen()
}

// listen reads the client's messages from now on: when the poller can
// watch the socket, in a goroutine only while there is something to read
// (await), else in one of its own for as long as the socket is open
// (reader).
func (c *wsConn) listen() {
	p := sharedPoller()
	if withoutPoller {
		p = nil
	}
	var rc syscall.RawConn
	ok := false
	if p != nil && c.nc != nil && c.br != nil {
		rc, ok = c.nc.rawConn()
	}
	if !ok {
		go c.reader(c.done)
		return
	}
	c.poll, c.rc = p, rc
	c.pollID = p.add(c.readable)
	c.mu.Lock()
	c.rstate = readActive
	c.mu.Unlock()
	c.nc.onClose(c.hungUp)
	c.await()
}

// withoutPoller makes every socket read in a goroutine of its own, as
// where there is no poller (tests).
var withoutPoller bool

// The states of a socket read through the poller (wsConn.rstate).
const (
	readActive = iota + 1 // a goroutine reads (readSome)
	readArmed             // the poller watches the socket
	readOver              // finished: closed and done
)

// await hands the socket to the poller until the client writes again, or
// goes on reading what is already buffered.
func (c *wsConn) await() {
	if c.br.Buffered() > 0 {
		go c.readSome()
		return
	}
	c.mu.Lock()
	if c.hungup {
		c.rstate = readOver
		c.mu.Unlock()
		c.finish()
		return
	}
	c.rstate = readArmed
	first := !c.armed
	c.armed = true
	c.mu.Unlock()
	if err := c.poll.arm(c.rc, c.pollID, first); err != nil && c.claim() {
		c.finish()
	}
}

// readable runs in the poller's goroutine when the socket has something
// to read, or hung up.
func (c *wsConn) readable() {
	c.mu.Lock()
	armed := c.rstate == readArmed
	if armed {
		c.rstate = readActive
	}
	c.mu.Unlock()
	if armed {
		go c.readSome()
	}
}

// hungUp runs once the connection is closed, by either side: a socket the
// poller watches is finished here, one being read by its reader.
func (c *wsConn) hungUp() {
	c.mu.Lock()
	c.hungup = true
	c.mu.Unlock()
	c.poll.forget(c.pollID)
	if c.claim() {
		go c.finish()
	}
}

// claim reports whether the caller is the one to finish a socket the
// poller watches.
func (c *wsConn) claim() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rstate != readArmed {
		return false
	}
	c.rstate = readOver
	return true
}

// finish closes the socket, when not already, and runs done.
func (c *wsConn) finish() {
	c.close(websocket.StatusNormalClosure, "terminated")
	c.done()
}

// readSome reads and answers the client's messages while there are some
// buffered, then awaits the next.
func (c *wsConn) readSome() {
	over := true
	defer func() {
		if p := recover(); p != nil {
			logx.From(c.ctx).Error("panic", "panic", p, "stack", string(debug.Stack()))
			over = true
		}
		if over {
			c.mu.Lock()
			c.rstate = readOver
			c.mu.Unlock()
			c.finish()
		}
	}()
	for {
		if ok, _ := c.readOne(); !ok {
			return
		}
		if c.br.Buffered() == 0 {
			break
		}
	}
	over = false
	c.await()
}

// reader reads the client's messages until the socket closes, then runs
// done. After each operation it starts, it goes on in a fresh goroutine:
// gqlgen's validation of the operation grew this one's stack, and an idle
// socket keeps its reader's stack for as long as it is open.
func (c *wsConn) reader(done func()) {
	again := false
	defer func() {
		if p := recover(); p != nil {
			logx.From(c.ctx).Error("panic", "panic", p, "stack", string(debug.Stack()))
			again = false
		}
		if !again {
			c.close(websocket.StatusNormalClosure, "terminated") // when not already
			done()
		}
	}()
	if again = c.read(); again {
		go c.reader(done)
	}
}

// init reads the connection_init, authenticates it and acknowledges it.
func (c *wsConn) init() bool {
	var timeout *time.Timer
	if d := c.s.cfg.InitTimeout; d > 0 {
		timeout = time.AfterFunc(d, func() { c.close(websocket.StatusProtocolError, "connection initialisation timeout") })
	}
	m, err := c.next()
	if timeout != nil && !timeout.Stop() {
		return false // closed
	}
	if err != nil {
		if errors.Is(err, errInvalidMsg) {
			c.connectionError("invalid json")
		}
		c.close(websocket.StatusProtocolError, "decoding error")
		return false
	}
	switch m.t {
	case initMsg:
		var payload transport.InitPayload
		if len(m.payload) > 0 {
			if err := json.Unmarshal(m.payload, &payload); err != nil {
				c.close(websocket.StatusProtocolError, "Invalid message received")
				return false
			}
		}
		// One cancel ends the socket's context: its close, a revoked token.
		ctx, cancel := context.WithCancel(c.ctx)
		ctx, fail := c.s.init(ctx, cancel, c.sock, payload)
		if fail != nil {
			cancel()
			c.connectionError(fail.message)
			c.close(fail.code, fail.reason)
			return false
		}
		if payload != nil { // for InitPayload, in every operation's
			ctx = context.WithValue(ctx, initPayloadKey{}, payload)
		}
		c.mu.Lock()
		c.ctx, c.cancel = ctx, cancel
		closed := c.closed
		c.mu.Unlock()
		if closed { // by the timeout, as it was stopped
			cancel()
			return false
		}
		c.write(ackMsg, "", nil)
		c.write(keepAliveMsg, "", nil)
		return true
	case terminateMsg:
		c.close(websocket.StatusNormalClosure, "terminated")
	default:
		c.connectionError("unexpected message " + m.t.String())
		c.close(websocket.StatusProtocolError, "unexpected message")
	}
	return false
}

// start starts the pings (graphql-transport-ws) or keepalives (graphql-ws),
// and closes the socket when its context ends.
func (c *wsConn) start() {
	stop := context.AfterFunc(c.ctx, func() { c.close(websocket.StatusNormalClosure, "terminated") })
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stop = stop
	switch {
	case c.closed:
	case c.transportWS:
		c.setDeadlineLocked(time.Now().Add(2 * c.s.cfg.pingInterval))
		c.ping = time.AfterFunc(c.s.cfg.pingInterval, c.pingTick)
	default:
		c.keepAlive = time.AfterFunc(c.s.cfg.keepAlive, c.keepAliveTick)
	}
}

// read reads and answers the client's messages until the socket closes
// (false) or an operation starts (true).
func (c *wsConn) read() bool {
	for {
		ok, started := c.readOne()
		if !ok || started {
			return ok
		}
	}
}

// readOne reads and answers the client's next message: not ok once the
// socket closes; started when it started an operation.
func (c *wsConn) readOne() (ok, started bool) {
	start := graphql.Now()
	m, err := c.next()
	if err != nil {
		return false, false
	}
	switch m.t {
	case startMsg:
		c.subscribe(start, m)
		return true, true
	case stopMsg:
		// note cancelled it
	case terminateMsg:
		c.close(websocket.StatusNormalClosure, "terminated")
		return false, false
	case pingMsg:
		c.write(pongMsg, "", m.payload)
	case pongMsg:
		c.mu.Lock()
		c.receivedPong = true
		c.setDeadlineLocked(time.Time{})
		c.mu.Unlock()
	default:
		c.connectionError("unexpected message " + m.t.String())
		c.close(websocket.StatusProtocolError, "unexpected message")
		return false, false
	}
	return true, false
}

// pingTick sends a ping and, when the last one was answered, gives the
// client until two intervals from now to answer this one.
func (c *wsConn) pingTick() {
	c.write(pingMsg, "", nil)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if c.receivedPong {
		c.setDeadlineLocked(time.Now().Add(2 * c.s.cfg.pingInterval))
	}
	c.receivedPong = false
	c.ping.Reset(c.s.cfg.pingInterval)
}

func (c *wsConn) keepAliveTick() {
	c.write(keepAliveMsg, "", nil)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.keepAlive.Reset(c.s.cfg.keepAlive)
	}
}

// setDeadlineLocked closes the connection at t unless called again before
// (the zero time: never).
func (c *wsConn) setDeadlineLocked(t time.Time) {
	if c.deadline != nil {
		c.deadline.Stop()
	}
	if t.IsZero() || c.handshake {
		return
	}
	d := max(time.Until(t), 0)
	if c.deadline == nil {
		c.deadline = time.AfterFunc(d, func() { _ = c.ws.CloseNow() })
	} else {
		c.deadline.Reset(d)
	}
}

// subscribe starts an operation, as gqlgen's transport does: the
// executor's operation context, then its responses in a goroutine until
// the stream ends or the client stops it.
func (c *wsConn) subscribe(start time.Time, m message) {
	ctx := graphql.StartOperationTrace(c.ctx)
	params := &graphql.RawParams{}
	if err := jsonDecode(m.payload, params); err != nil {
		c.sendError(m.id, &gqlerror.Error{Message: "invalid json"})
		c.complete(m.id, m.op)
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	params.Headers = c.headers

	rc, errs := c.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := c.exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
		switch errcode.GetErrorKind(errs) {
		case errcode.KindProtocol:
			c.sendError(m.id, resp.Errors...)
		default:
			c.sendResponse(m.id, &graphql.Response{Errors: errs})
		}
		c.complete(m.id, m.op)
		return
	}
	ctx = graphql.WithOperationContext(ctx, rc)
	ctx, cancel := context.WithCancel(ctx)
	c.mu.Lock()
	m.op.cancel = cancel
	c.mu.Unlock()
	go c.execute(ctx, cancel, rc, m.id, m.op)
}

func (c *wsConn) execute(ctx context.Context, cancel context.CancelFunc, rc *graphql.OperationContext, id string, op *operation) {
	handedOn := false
	defer func() {
		if !handedOn {
			c.end(recover(), ctx, cancel, rc, id, op)
		}
	}()
	responses, rctx := c.exec.DispatchOperation(ctx, rc)
	if rc.Operation != nil && rc.Operation.Operation == ast.Subscription {
		// The resolver ran here, on a stack grown for it (the database, the
		// log): the subscription goes on in a fresh goroutine, which parks
		// when its source can (driver).
		handedOn = true
		d := &driver{c: c, ctx: ctx, cancel: cancel, rc: rc, id: id, op: op, responses: responses}
		d.waker.Wake = d.wake
		d.call = fanout.WithWaker(rctx, &d.waker)
		d.state.Store(driving)
		go d.run()
		return
	}
	c.respond(rctx, id, responses)
}

// driver runs a subscription's responses. Where its source can say it has
// nothing yet (fanout.Waker), no goroutine waits for its next event: run
// returns, and the source's wake starts it again once there may be one, or
// once the operation's context ends.
type driver struct {
	c         *wsConn
	ctx       context.Context
	cancel    context.CancelFunc
	rc        *graphql.OperationContext
	id        string
	op        *operation
	responses graphql.ResponseHandler
	call      context.Context // the responses' context, with waker
	waker     fanout.Waker
	state     atomic.Int32
}

// The states of a driver.
const (
	driving  = iota + 1 // run runs
	woken               // run runs, and is to call again before parking
	parkedOp            // nothing runs: wake starts run
	finished            // the operation completed
)

func (d *driver) run() {
	over := false
	defer func() {
		if p := recover(); p != nil || over {
			d.state.Store(finished)
			d.c.end(p, d.ctx, d.cancel, d.rc, d.id, d.op)
		}
	}()
	for {
		resp := d.responses(d.call)
		switch {
		case resp == nil:
			over = true
			return
		case resp == fanout.Parked:
			if d.state.CompareAndSwap(driving, parkedOp) {
				return
			}
			d.state.Store(driving) // woken meanwhile
		default:
			d.c.sendResponse(d.id, resp)
		}
	}
}

// wake has run call the responses again: it starts it when parked.
func (d *driver) wake() {
	for {
		switch d.state.Load() {
		case parkedOp:
			if d.state.CompareAndSwap(parkedOp, driving) {
				go d.run()
				return
			}
		case driving:
			if d.state.CompareAndSwap(driving, woken) {
				return
			}
		default: // woken or finished
			return
		}
	}
}

// respond sends the operation's responses until they end.
func (c *wsConn) respond(ctx context.Context, id string, responses graphql.ResponseHandler) {
	for {
		resp := responses(ctx)
		if resp == nil {
			return
		}
		c.sendResponse(id, resp)
	}
}

// end completes an operation, after an error for the panic p that ended it
// if it did.
func (c *wsConn) end(p any, ctx context.Context, cancel context.CancelFunc, rc *graphql.OperationContext, id string, op *operation) {
	if p != nil {
		err := rc.Recover(ctx, p)
		var gqlerr *gqlerror.Error
		if !errors.As(err, &gqlerr) {
			gqlerr = &gqlerror.Error{}
			if err != nil {
				gqlerr.Message = err.Error()
			}
		}
		c.sendError(id, gqlerr)
	}
	c.complete(id, op)
	cancel()
}

type initPayloadKey struct{}

// InitPayload returns the connection_init payload of the WebSocket an
// operation runs on, or nil: what gqlgen's transport.GetInitPayload says of
// the sockets of gqlgen's transport.
func InitPayload(ctx context.Context) transport.InitPayload {
	p, _ := ctx.Value(initPayloadKey{}).(transport.InitPayload)
	return p
}

// Messages.

type msgType int

const (
	invalidMsg msgType = iota // a server's message, from the client
	initMsg
	ackMsg
	keepAliveMsg
	connectionErrorMsg
	terminateMsg
	startMsg
	stopMsg
	dataMsg
	completeMsg
	errorMsg
	pingMsg
	pongMsg
)

// String names a message type as gqlgen does in "unexpected message ...".
func (t msgType) String() string {
	return [...]string{"unknown", "init", "connection ack", "keep alive", "connection error",
		"connection close", "start", "stop subscription", "data", "complete", "error", "ping", "pong"}[t]
}

// The messages of each protocol: which the client may send, and what the
// server's are called (none: not sent in that protocol).
var (
	transportWSTypes = map[string]msgType{"connection_init": initMsg, "connection_ack": invalidMsg,
		"subscribe": startMsg, "next": invalidMsg, "error": invalidMsg, "complete": stopMsg,
		"ping": pingMsg, "pong": pongMsg}
	legacyWSTypes = map[string]msgType{"connection_init": initMsg, "connection_terminate": terminateMsg,
		"start": startMsg, "stop": stopMsg, "connection_ack": ackMsg, "connection_error": connectionErrorMsg,
		"data": dataMsg, "error": errorMsg, "complete": completeMsg, "ka": keepAliveMsg}
	transportWSNames = map[msgType]string{ackMsg: "connection_ack", dataMsg: "next", completeMsg: "complete",
		errorMsg: "error", pingMsg: "ping", pongMsg: "pong"}
	legacyWSNames = map[msgType]string{ackMsg: "connection_ack", keepAliveMsg: "ka",
		connectionErrorMsg: "connection_error", dataMsg: "data", completeMsg: "complete", errorMsg: "error"}
)

// The messages a client may send in each protocol.
var (
	transportWSMessages = map[string]bool{"connection_init": true, "ping": true, "pong": true, "subscribe": true, "complete": true}
	legacyWSMessages    = map[string]bool{"connection_init": true, "connection_terminate": true, "start": true, "stop": true}
)

// errInvalidMsg: not JSON, or a type that is not the protocol's.
var errInvalidMsg = errors.New("invalid message received")

// errClosed: the socket closed (the client's close, or one of ours).
var errClosed = errors.New("websocket closed")

type message struct {
	t       msgType
	id      string
	payload json.RawMessage
	op      *operation // a start's, once let through
}

// wire is a message as it is written and read; the type's validity is
// checked as it is decoded, as gqlgen does.
type wire[T any] struct {
	Payload json.RawMessage `json:"payload,omitempty"`
	ID      string          `json:"id,omitempty"`
	Type    T               `json:"type"`
}

type transportWSType string

func (t *transportWSType) UnmarshalText(b []byte) error {
	if _, ok := transportWSTypes[string(b)]; !ok {
		return errInvalidMsg
	}
	*t = transportWSType(b)
	return nil
}

type legacyWSType string

func (t *legacyWSType) UnmarshalText(b []byte) error {
	if _, ok := legacyWSTypes[string(b)]; !ok {
		return errInvalidMsg
	}
	*t = legacyWSType(b)
	return nil
}

// next returns the client's next message. A start beyond MaxSubscriptions
// is answered here and not returned; one with an id already running closes
// the socket with 4409.
func (c *wsConn) next() (message, error) {
	for {
		_, b, err := c.ws.Read(context.Background())
		if err != nil {
			if s := websocket.CloseStatus(err); s == websocket.StatusNormalClosure || s == websocket.StatusNoStatusRcvd {
				return message{}, errClosed
			}
			return message{}, err
		}
		id, op, verdict := c.note(b)
		switch verdict {
		case overLimit:
			if err := c.refuse(id); err != nil {
				return message{}, err
			}
			continue
		case duplicate:
			// Both would run under one id, and one could not be stopped.
			c.sendClose(4409, "Subscriber for "+id+" already exists")
			return message{}, errClosed
		}
		var m message
		var known bool
		if c.transportWS {
			var w wire[transportWSType]
			if jsonDecode(b, &w) != nil {
				return message{}, errInvalidMsg
			}
			m.t, known = transportWSTypes[string(w.Type)]
			m.id, m.payload = w.ID, w.Payload
		} else {
			var w wire[legacyWSType]
			if jsonDecode(b, &w) != nil {
				return message{}, errInvalidMsg
			}
			m.t, known = legacyWSTypes[string(w.Type)]
			m.id, m.payload = w.ID, w.Payload
		}
		if !known || m.t == invalidMsg {
			return message{}, fmt.Errorf("invalid client->server message type %q", m.t)
		}
		m.op = op
		return m, nil
	}
}

type verdict int

const (
	pass verdict = iota
	overLimit
	duplicate
)

// note records a client message and says whether it may go on: a start
// with an id already running may not, nor one beyond MaxSubscriptions; a
// stop cancels its operation.
func (c *wsConn) note(b []byte) (string, *operation, verdict) {
	var m struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
	err := json.Unmarshal(b, &m)
	start, stop := "start", "stop"
	if c.transportWS {
		start, stop = "subscribe", "complete"
	}
	known := legacyWSMessages[m.Type]
	if c.transportWS {
		known = transportWSMessages[m.Type]
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last, c.invalid = m.Type, err != nil || !known
	switch m.Type {
	case "connection_init":
		c.inits++
	case start:
		switch {
		case c.ops[m.ID] != nil:
			return m.ID, nil, duplicate
		case len(c.ops) >= MaxSubscriptions:
			return m.ID, nil, overLimit
		}
		op := &operation{}
		c.ops[m.ID] = op
		return m.ID, op, pass
	case stop:
		if op := c.ops[m.ID]; op != nil {
			delete(c.ops, m.ID)
			if op.cancel != nil {
				op.cancel()
			}
		}
	}
	return m.ID, nil, pass
}

// refuse answers a start beyond the limit with an error for its id, as an
// operation that fails is answered.
func (c *wsConn) refuse(id string) error {
	e := apperr.Limit("subscriptionsPerConnection", MaxSubscriptions,
		"at most %d subscriptions may run at once on one connection", MaxSubscriptions)
	b, err := json.Marshal(map[string]any{"id": id, "type": "error",
		"payload": []any{c.s.cfg.ErrorPresenter(context.Background(), e)}})
	if err != nil {
		return err
	}
	return c.WriteText(b)
}

func jsonDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// Writing.

// write writes a message of the connection's protocol; one the protocol
// does not have is not written.
func (c *wsConn) write(t msgType, id string, payload json.RawMessage) {
	names := legacyWSNames
	if c.transportWS {
		names = transportWSNames
	}
	name, ok := names[t]
	if !ok {
		return
	}
	b, err := json.Marshal(wire[string]{Payload: payload, ID: id, Type: name})
	if err != nil {
		panic(err)
	}
	_ = c.WriteText(b)
}

// WriteText writes one text frame of b, a whole JSON message (writeData's).
func (c *wsConn) WriteText(b []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.ws.Write(context.Background(), websocket.MessageText, b)
}

// sendResponse writes a result without encoding its payload again.
func (c *wsConn) sendResponse(id string, resp *graphql.Response) {
	b, err := responsePayload(resp)
	if err != nil {
		panic(err)
	}
	typ := "data"
	if c.transportWS {
		typ = "next"
	}
	_ = writeData(c, typ, id, b)
}

// complete writes the complete of id, which the client may then use again.
func (c *wsConn) complete(id string, op *operation) {
	c.mu.Lock()
	if c.ops[id] == op {
		delete(c.ops, id)
	}
	c.mu.Unlock()
	c.write(completeMsg, id, nil)
}

func (c *wsConn) sendError(id string, errs ...*gqlerror.Error) {
	list := make([]error, len(errs))
	for i, e := range errs {
		list[i] = e
	}
	b, err := json.Marshal(list)
	if err != nil {
		panic(err)
	}
	c.write(errorMsg, id, b)
}

// connectionError writes a graphql-ws connection_error (graphql-transport-ws has none).
func (c *wsConn) connectionError(message string) {
	if c.transportWS {
		return
	}
	b, err := json.Marshal(&gqlerror.Error{Message: message})
	if err != nil {
		panic(err)
	}
	c.write(connectionErrorMsg, "", b)
}

// Closing.

// close closes the socket with code, as writeClose names it, and ends its
// operations; the first call does.
func (c *wsConn) close(code websocket.StatusCode, reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.stopTimersLocked()
	cancel, stop := c.cancel, c.stop
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
	c.writeClose(code, reason)
	if cancel != nil {
		cancel()
	}
	c.sock.left()
}

func (c *wsConn) stopTimersLocked() {
	for _, t := range []*time.Timer{c.ping, c.keepAlive, c.deadline} {
		if t != nil {
			t.Stop()
		}
	}
}

// writeClose closes the socket with the code asked for (a revoked token's
// 4403, shutdown's 1012) where it would close normally, and names protocol
// errors as graphql-transport-ws does.
func (c *wsConn) writeClose(code websocket.StatusCode, reason string) {
	asked, why := c.sock.asked()
	c.mu.Lock()
	switch {
	case asked != 0 && code == websocket.StatusNormalClosure:
		code, reason = websocket.StatusCode(asked), why
	case c.transportWS && code == websocket.StatusProtocolError:
		code, reason = c.protocolCodeLocked(reason)
	case c.transportWS && code == websocket.StatusNormalClosure && c.invalid:
		code, reason = 4400, "Invalid message received"
	}
	c.mu.Unlock()
	c.sendClose(code, reason)
}

// protocolCodeLocked names a protocol error as graphql-transport-ws does.
func (c *wsConn) protocolCodeLocked(reason string) (websocket.StatusCode, string) {
	switch {
	case reason == "connection initialisation timeout":
		return 4408, "Connection initialisation timeout"
	case reason == "unexpected message" && c.last == "connection_init" && c.inits > 1:
		return 4429, "Too many initialisation requests"
	case reason == "unexpected message" && c.inits == 0 && c.last == "subscribe":
		return 4401, "Unauthorized"
	}
	return 4400, reason
}

// sendClose starts the close handshake, once, in the background:
// coder/websocket waits up to 5 seconds for the peer's close frame, and
// the socket's teardown must not wait for a slow or absent peer.
func (c *wsConn) sendClose(code websocket.StatusCode, reason string) {
	c.mu.Lock()
	if c.handshake {
		c.mu.Unlock()
		return
	}
	c.handshake = true
	if c.deadline != nil {
		c.deadline.Stop()
	}
	c.mu.Unlock()
	reason = closeReason(reason)
	go func() { _ = c.ws.Close(code, reason) }()
}

// maxCloseReason is what a close frame holds of its reason (RFC 6455 5.5:
// 125 bytes of payload, two of them the code).
const maxCloseReason = 123

// closeReason cuts a reason to what a close frame holds, at a character's
// boundary: coder/websocket refuses a longer one and drops the connection
// without a code (a reason that names a long subscription id).
func closeReason(reason string) string {
	if len(reason) <= maxCloseReason {
		return reason
	}
	cut := maxCloseReason
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut]
}
