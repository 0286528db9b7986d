package pubsub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"math"
	"sync"
	"time"

	"parley/ent"
	"parley/ent/call"
	"parley/ent/channel"
	"parley/ent/conversation"
	"parley/ent/member"
	"parley/ent/message"
	"parley/ent/schema/pulid"
	"parley/ent/user"
	"parley/server/access"
	"parley/server/db"
)

// relayBatch is how many log entries the relay reads at once.
const relayBatch = 500

// Relay reads the event log in commit order and publishes each entry to the
// principals allowed to see it. Writers call Notify after they commit; a
// slow poll also picks up what other instances wrote.
type Relay struct {
	db   *db.DB
	log  *Log
	hub  *Hub
	wake chan struct{}
	// committed tells the announcer (PostgreSQL) that local writers committed.
	committed chan struct{}
	// Poll is how often the log is read when nothing says to.
	Poll time.Duration
	logf *slog.Logger
	// instance names this process among the instances (Signal.From).
	instance string
	// OnSignal, when set, hears every signal before it is published here
	// (what presence caches may have changed). Set it before Run.
	OnSignal func(Signal)

	mu sync.Mutex
	// pos is where the relay has read the log to: everything up to it is
	// published, or being published.
	pos Cursor
	// behind is how many entries the log had past pos at the last read,
	// and behindSince when the relay first saw it behind (zero once caught up).
	behind      int64
	behindSince time.Time

	// Owned by the loop (step), PostgreSQL only: gap is the missing id the
	// relay is held at, since gapSince (zero when none); known is the
	// newest cursor the log's lock said is final.
	gap      int64
	gapSince time.Time
	known    Cursor
}

// NewRelay returns a relay; Run starts it.
func NewRelay(d *db.DB, log *Log, hub *Hub, logger *slog.Logger) *Relay {
	return &Relay{db: d, log: log, hub: hub, wake: make(chan struct{}, 1), committed: make(chan struct{}, 1),
		Poll: time.Second, logf: logger, instance: newInstanceID()}
}

// newInstanceID names a process: random, never reused.
func newInstanceID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Instance names this process among the instances sharing the database.
func (r *Relay) Instance() string { return r.instance }

// Notify tells the relay (and, on PostgreSQL, the other instances) that new
// entries are committed. It never blocks.
func (r *Relay) Notify() {
	r.wakeLocal()
	select {
	case r.committed <- struct{}{}:
	default:
	}
}

func (r *Relay) wakeLocal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Position returns where the relay has read the log to. A subscriber that
// reads it after subscribing finds every entry up to it in the log, and
// receives every later one.
func (r *Relay) Position() Cursor {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pos
}

// Lag says how far the relay is behind the log's head, as of its last
// read: in entries, and in seconds since it first saw itself behind (0
// when caught up; it keeps growing while the relay cannot publish).
func (r *Relay) Lag() (entries int64, seconds float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.behindSince.IsZero() {
		return r.behind, 0
	}
	return r.behind, time.Since(r.behindSince).Seconds()
}

// noteLag records how far pos is behind head.
func (r *Relay) noteLag(pos, head Cursor) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.behind = max(head.ID-pos.ID, 0)
	switch {
	case r.behind == 0:
		r.behindSince = time.Time{}
	case r.behindSince.IsZero():
		r.behindSince = time.Now()
	}
}

// Start sets the relay at the head of the log; entries older than that are
// for streams to read themselves.
func (r *Relay) Start(ctx context.Context) error {
	head, err := r.log.HeadWhenIdle(ctx, gapPatience)
	if err != nil {
		return err
	}
	r.setPos(head)
	return nil
}

// Run publishes entries until ctx ends.
func (r *Relay) Run(ctx context.Context) {
	if r.db.IsPostgres() {
		go r.announce(ctx)
		go r.listen(ctx, r.db.DSN)
	}
	t := time.NewTicker(r.Poll)
	defer t.Stop()
	for {
		for {
			n, err := r.step(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				r.logf.Error("event relay", "err", err)
				break
			}
			if n < relayBatch {
				break
			}
		}
		var retry <-chan time.Time
		if r.gapPending() {
			retry = time.After(gapWait)
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-t.C:
		case <-retry:
		}
	}
}

func (r *Relay) setPos(c Cursor) {
	r.mu.Lock()
	r.pos = c
	r.mu.Unlock()
}

// How long the relay (PostgreSQL) waits on an id missing below visible
// ones before asking whether it is final: usually a commit in flight,
// which fills it within milliseconds and wakes the relay (Notify). After
// gapWait it tries the log's lock without queueing (tryHead), every
// gapWait; after gapPatience it waits for the lock (Head).
const (
	gapWait     = 5 * time.Millisecond
	gapPatience = 100 * time.Millisecond
)

// step publishes one batch and returns its size.
func (r *Relay) step(ctx context.Context) (int, error) {
	pos := r.Position()
	var head, logHead Cursor
	var entries []entry
	var err error
	if r.db.IsPostgres() {
		head, logHead, entries, err = r.final(ctx, pos)
	} else {
		if head, err = r.log.Head(ctx); err == nil && pos.Less(head) {
			entries, err = r.log.after(ctx, pos, head, relayBatch)
		}
		logHead = head
	}
	if err != nil {
		return 0, err
	}
	r.noteLag(pos, logHead)
	if !pos.Less(head) {
		return 0, nil
	}
	b, err := load(ctx, r.db.Client, entries, true)
	if err != nil {
		return 0, err
	}
	// The position moves before the batch is published, never after: a
	// stream that reads it after subscribing reads the log up to it, so an
	// entry is either in what it reads or published after it subscribed.
	if len(entries) == relayBatch {
		head = entries[len(entries)-1].Cursor
	}
	r.setPos(head)
	defer r.noteLag(head, logHead) // once published
	for _, e := range entries {
		for _, key := range b.audience(e) {
			if r.hub.Listening(key) {
				r.hub.Publish(key, b.delivery(e, key))
			}
		}
	}
	return len(entries), nil
}

// final reads the entries after pos up to head, a final cursor (pos if
// none can be published yet), on PostgreSQL; logHead is the newest id seen.
// Without a lock it reads what follows pos and keeps the run contiguous
// from it. An id missing below a visible one holds the rest back until it
// is committed or known never to be: the log's lock tells, asked for only
// once the id has been missing for gapWait.
func (r *Relay) final(ctx context.Context, pos Cursor) (head, logHead Cursor, entries []entry, err error) {
	if pos.Less(r.known) { // the rest of a gap resolved by the lock
		entries, err = r.log.after(ctx, pos, r.known, relayBatch)
		return r.known, r.known, entries, err
	}
	if entries, err = r.log.after(ctx, pos, Cursor{ID: math.MaxInt64}, relayBatch); err != nil || len(entries) == 0 {
		r.gapSince = time.Time{}
		return pos, pos, nil, err
	}
	logHead = entries[len(entries)-1].Cursor
	if n := contiguous(pos, entries); n > 0 {
		if n < len(entries) { // publish up to the gap, waited on from now
			r.gap, r.gapSince = entries[n-1].ID+1, time.Now()
		} else {
			r.gapSince = time.Time{}
		}
		return entries[n-1].Cursor, logHead, entries[:n], nil
	}
	// pos+1 is missing.
	if r.gapSince.IsZero() || r.gap != pos.ID+1 {
		r.gap, r.gapSince = pos.ID+1, time.Now()
	}
	waited := time.Since(r.gapSince)
	if waited < gapWait {
		return pos, logHead, nil, nil
	}
	known, ok, err := r.log.tryHead(ctx)
	if err == nil && !ok && waited >= gapPatience {
		known, err = r.log.Head(ctx) // waits for the commits in flight
		ok = true
	}
	if err != nil || !ok {
		return pos, logHead, nil, err
	}
	// Every id up to known is final: what is missing there never will be.
	r.known, r.gapSince = known, time.Time{}
	if !pos.Less(known) { // cannot be: an id above pos was visible before
		return pos, logHead, nil, nil
	}
	if logHead.Less(known) {
		logHead = known
	}
	entries, err = r.log.after(ctx, pos, known, relayBatch)
	return known, logHead, entries, err
}

// gapPending reports whether the relay is held at a missing id, and so
// should look again soon even if nothing wakes it.
func (r *Relay) gapPending() bool { return !r.gapSince.IsZero() }

// batch holds what a set of entries refers to, loaded once and shared.
type batch struct {
	conversations map[pulid.ID]*ent.Conversation
	messages      map[pulid.ID]*ent.Message
	calls         map[pulid.ID]*ent.Call
	users         map[pulid.ID]*ent.User
	// members of each chat (and agents' own rows of sessions): who they
	// are, for the audience.
	members map[pulid.ID][]pulid.ID
	// rows reads the members' rows when a delivery first asks for one.
	rows *memberRows
	// who sees each channel's sessions: its agents; admins see all.
	channelAgents map[pulid.ID][]pulid.ID
	admins        []pulid.ID
	// every active colleague, when a USER_UPDATED is to be delivered.
	colleagues []pulid.ID
}

// load fetches what the entries mention. withAudience also loads who may
// see them (the relay needs it; a stream reading for one principal does not).
func load(ctx context.Context, c *ent.Client, entries []entry, withAudience bool) (*batch, error) {
	b := &batch{conversations: map[pulid.ID]*ent.Conversation{}, messages: map[pulid.ID]*ent.Message{},
		calls: map[pulid.ID]*ent.Call{}, members: map[pulid.ID][]pulid.ID{},
		channelAgents: map[pulid.ID][]pulid.ID{}, users: map[pulid.ID]*ent.User{}, rows: newMemberRows(ctx, c)}
	var convIDs, msgIDs, callIDs, subjectIDs []pulid.ID
	channels := map[pulid.ID]bool{}
	for _, e := range entries {
		if e.ConversationID != "" {
			convIDs = append(convIDs, e.ConversationID)
		}
		if e.MessageID != "" {
			msgIDs = append(msgIDs, e.MessageID)
		}
		if e.CallID != "" {
			callIDs = append(callIDs, e.CallID)
		}
		if e.ChannelID != "" {
			channels[e.ChannelID] = true
		}
		if e.SubjectID != "" {
			subjectIDs = append(subjectIDs, e.SubjectID)
		}
	}
	if len(subjectIDs) > 0 {
		us, err := c.User.Query().Where(user.IDIn(pulid.Uniq(subjectIDs)...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			b.users[u.ID] = u
		}
		if withAudience {
			if b.colleagues, err = c.User.Query().Where(user.Active(true)).IDs(ctx); err != nil {
				return nil, err
			}
		}
	}
	if len(convIDs) > 0 {
		convs, err := c.Conversation.Query().Where(conversation.IDIn(pulid.Uniq(convIDs)...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, cv := range convs {
			b.conversations[cv.ID] = cv
		}
		// Only who they are: their rows (counters, muted, pinned) are for
		// the few documents that read them (Delivery.Own).
		members, err := c.Member.Query().Where(member.ConversationIDIn(pulid.Uniq(convIDs)...)).
			Select(member.FieldConversationID, member.FieldUserID).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			b.members[m.ConversationID] = append(b.members[m.ConversationID], m.UserID)
		}
	}
	if len(msgIDs) > 0 {
		msgs, err := c.Message.Query().Where(message.IDIn(pulid.Uniq(msgIDs)...)).
			WithSender().WithAttachments().WithMentions().All(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			b.messages[m.ID] = m
		}
	}
	if len(callIDs) > 0 {
		calls, err := c.Call.Query().Where(call.IDIn(pulid.Uniq(callIDs)...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, cl := range calls {
			b.calls[cl.ID] = cl
		}
	}
	if withAudience && len(channels) > 0 {
		ids := make([]pulid.ID, 0, len(channels))
		for id := range channels {
			ids = append(ids, id)
		}
		chs, err := c.Channel.Query().Where(channel.IDIn(ids...)).WithAgents(func(q *ent.UserQuery) { q.Select(user.FieldID) }).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, ch := range chs {
			for _, a := range ch.Edges.Agents {
				b.channelAgents[ch.ID] = append(b.channelAgents[ch.ID], a.ID)
			}
		}
		if b.admins, err = c.User.Query().Where(user.RoleEQ(user.RoleADMIN)).IDs(ctx); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// audience lists the hub keys that receive an entry (access.Audience).
func (b *batch) audience(e entry) []string {
	f := access.EventFacts{Type: e.Type, UserID: e.UserID, ChannelID: e.ChannelID, AgentsOnly: e.AgentsOnly,
		ChannelAgents: b.channelAgents[e.ChannelID], Admins: b.admins, Colleagues: b.colleagues}
	f.Members = b.members[e.ConversationID]
	if cv := b.conversations[e.ConversationID]; cv != nil {
		f.AssigneeID, f.VisitorContact = cv.AssigneeID, cv.ContactID
	}
	users, visitor := access.Audience(f)
	keys := make([]string, 0, len(users)+1)
	for _, u := range users {
		keys = append(keys, string(u))
	}
	if visitor != nil {
		keys = append(keys, VisitorKey(*visitor))
	}
	return keys
}

// delivery builds what one principal receives for an entry.
func (b *batch) delivery(e entry, key string) *Delivery {
	d := &Delivery{Cursor: e.Cursor, Type: e.Type, ConversationID: e.ConversationID,
		Conversation: b.conversations[e.ConversationID], Message: b.messages[e.MessageID],
		Call: b.calls[e.CallID], User: b.users[e.SubjectID], AgentsOnly: e.AgentsOnly, Counted: e.Counted, cursorText: e.text}
	if b.rows != nil && e.ConversationID != "" { // nil for one who has no row
		d.own = b.rows.of(e.ConversationID, pulid.ID(key))
	}
	return d
}

// memberRows reads the rows of a batch's members, one conversation at a
// time and at most once, when a delivery first asks for one: most
// subscriptions select nothing of the reader's row, and reading a hundred
// rows per chat for each batch was most of what the relay read.
type memberRows struct {
	// ctx is the batch's: the rows are read as the batch would have, not
	// with the context of whichever receiver asks first.
	ctx    context.Context
	client *ent.Client
	mu     sync.Mutex
	convs  map[pulid.ID]*convRows
}

type convRows struct {
	once   sync.Once
	byUser map[pulid.ID]*ent.Member
	err    error
}

func newMemberRows(ctx context.Context, c *ent.Client) *memberRows {
	return &memberRows{ctx: ctx, client: c, convs: map[pulid.ID]*convRows{}}
}

// of returns what reads user's row of a conversation, shared by the
// deliveries of the batch.
func (m *memberRows) of(convID, userID pulid.ID) func() (*ent.Member, error) {
	return func() (*ent.Member, error) {
		m.mu.Lock()
		cr := m.convs[convID]
		if cr == nil {
			cr = &convRows{}
			m.convs[convID] = cr
		}
		m.mu.Unlock()
		cr.once.Do(func() {
			rows, err := m.client.Member.Query().Where(member.ConversationID(convID)).All(m.ctx)
			cr.byUser, cr.err = map[pulid.ID]*ent.Member{}, err
			for _, r := range rows {
				cr.byUser[r.UserID] = r
			}
		})
		return cr.byUser[userID], cr.err
	}
}
