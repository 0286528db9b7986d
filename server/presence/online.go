package presence

import (
	"context"
	"sync"
	"time"

	"parley/ent/presence"
	"parley/ent/schema/pulid"
	"parley/ent/user"
	"parley/server/history/events"
	"parley/server/pubsub"
)

// changeTimeout bounds recording one user's change of presence.
const changeTimeout = 10 * time.Second

// Changed records that the user's first socket on this instance opened or
// its last closed (live.Config.PresenceChanged); Local says which, now. A
// user online nowhere else before, or no longer online anywhere, is said
// with PRESENCE_UPDATED to those who share a conversation with them; going
// offline sets users.last_seen_at.
func (s *Service) Changed(userID string) {
	id := pulid.ID(userID)
	defer s.lock(id)()
	online := s.Local(userID)
	s.mu.Lock()
	same := s.written[id] == online
	s.mu.Unlock()
	if same {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), changeTimeout)
	defer cancel()
	elsewhere, err := s.onlineElsewhere(ctx, id)
	if err == nil {
		if online {
			err = s.db.Presence.Create().SetUserID(id).SetInstance(s.relay.Instance()).SetHeartbeatAt(s.now()).
				OnConflictColumns(presence.FieldUserID, presence.FieldInstance).UpdateHeartbeatAt().Exec(ctx)
		} else {
			_, err = s.db.Presence.Delete().Where(presence.UserID(id), presence.Instance(s.relay.Instance())).Exec(ctx)
			if err == nil && !elsewhere {
				err = s.db.User.UpdateOneID(id).SetLastSeenAt(s.now()).Exec(ctx)
			}
		}
	}
	if err != nil {
		s.log.Warn("recording who is online", "err", err)
		return // the heartbeat and the sweep mend it
	}
	s.mu.Lock()
	s.written[id] = online
	if !online {
		delete(s.written, id)
	}
	s.mu.Unlock()
	if !elsewhere {
		s.relay.Say(ctx, pubsub.Signal{Type: events.PresenceUpdated, UserID: id})
	}
}

// onlineElsewhere reports whether another instance has a live row for the user.
func (s *Service) onlineElsewhere(ctx context.Context, id pulid.ID) (bool, error) {
	return s.db.Presence.Query().Where(presence.UserID(id), presence.InstanceNEQ(s.relay.Instance()),
		presence.HeartbeatAtGT(s.now().Add(-s.expiry()))).Exist(ctx)
}

// Online reports whether the user has a socket open on any instance: here,
// or by another's row (read at most every cacheFor).
func (s *Service) Online(ctx context.Context, userID string) bool {
	if s.Local(userID) {
		return true
	}
	elsewhere, err := s.cache.get(ctx, s)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("reading who is online", "err", err)
		}
		return false
	}
	return elsewhere[pulid.ID(userID)]
}

// Heard forgets what is cached of the other instances when one says a
// presence changed (pubsub.Relay.OnSignal), so the event reads the news.
func (s *Service) Heard(sig pubsub.Signal) {
	if sig.Type == events.PresenceUpdated {
		s.cache.mu.Lock()
		s.cache.online = nil
		s.cache.mu.Unlock()
	}
}

// cacheFor is how long the other instances' online users are reused.
const cacheFor = time.Second

// onlineCache holds the users other instances have online.
type onlineCache struct {
	mu     sync.Mutex
	at     time.Time
	online map[pulid.ID]bool
}

func (c *onlineCache) get(ctx context.Context, s *Service) (map[pulid.ID]bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); c.online == nil || now.Sub(c.at) > cacheFor {
		ids, err := s.db.Presence.Query().Where(presence.InstanceNEQ(s.relay.Instance()),
			presence.HeartbeatAtGT(s.now().Add(-s.expiry()))).Unique(true).Select(presence.FieldUserID).Strings(ctx)
		if err != nil {
			return nil, err
		}
		c.online = make(map[pulid.ID]bool, len(ids))
		for _, id := range ids {
			c.online[pulid.ID(id)] = true
		}
		c.at = now
	}
	return c.online, nil
}

// Run refreshes this instance's rows every heartbeat, and sweeps those of
// instances that died: their users, online nowhere else, go offline as of
// their last heartbeat. It returns when ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.heartbeat())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.db.Presence.Update().Where(presence.Instance(s.relay.Instance())).
			SetHeartbeatAt(s.now()).Save(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("refreshing who is online", "err", err)
		}
		if err := s.sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("sweeping who is online", "err", err)
		}
	}
}

// sweepBatch bounds the rows one sweep takes.
const sweepBatch = 500

func (s *Service) sweep(ctx context.Context) error {
	stale, err := s.db.Presence.Query().Where(presence.InstanceNEQ(s.relay.Instance()),
		presence.HeartbeatAtLTE(s.now().Add(-s.expiry()))).
		Limit(sweepBatch).All(ctx)
	if err != nil {
		return err
	}
	for _, p := range stale {
		// Instances sweep side by side: the one whose delete takes the row goes on.
		n, err := s.db.Presence.Delete().Where(presence.ID(p.ID)).Exec(ctx)
		if err != nil || n == 0 {
			continue
		}
		if s.Local(string(p.UserID)) {
			continue
		}
		if elsewhere, err := s.onlineElsewhere(ctx, p.UserID); err != nil || elsewhere {
			continue
		}
		if err := s.db.User.Update().Where(user.ID(p.UserID)).SetLastSeenAt(p.HeartbeatAt).Exec(ctx); err != nil {
			return err
		}
		s.relay.Say(ctx, pubsub.Signal{Type: events.PresenceUpdated, UserID: p.UserID})
	}
	return nil
}
