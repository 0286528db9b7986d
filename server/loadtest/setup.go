package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// user is one test user, logged in.
type user struct {
	idx   int
	id    string
	token string
}

// group is one group chat and the users in it (members[0] created it).
type group struct {
	idx     int
	id      string
	members []*user
	// subscribed counts members whose subscription started; ready, those
	// that have received something on it (so it is live).
	subscribed atomic.Int64
	ready      atomic.Int64
}

// parallel runs fn(i) for i in [0,n) on workers goroutines and returns the
// first error.
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return firstErr
}

const loginMutation = `mutation($e:String!,$p:String!){ login(email:$e,password:$p){ token user{ id } } }`

func login(ctx context.Context, g *gqlClient, email, password string) (*user, error) {
	var out struct {
		Login struct {
			Token string
			User  struct{ ID string }
		}
	}
	if err := g.do(ctx, "", loginMutation, map[string]any{"e": email, "p": password}, &out); err != nil {
		return nil, err
	}
	return &user{id: out.Login.User.ID, token: out.Login.Token}, nil
}

func (c *config) userEmail(i int) string {
	return fmt.Sprintf("%s-%05d@loadtest.invalid", c.userPrefix, i)
}

// setupUsers creates the N test users that do not exist yet and logs them
// in. It creates before it logs in: a login of a user not created yet is a
// failed login, and the server throttles failed logins per client address.
func setupUsers(ctx context.Context, c *config, g *gqlClient, admin *user) ([]*user, int, error) {
	users := make([]*user, c.n)
	var created atomic.Int64
	var done atomic.Int64
	stop := progress("users", c.n, &done)
	defer stop()
	err := parallel(ctx, c.n, c.setupWorkers, func(ctx context.Context, i int) error {
		defer done.Add(1)
		email := c.userEmail(i)
		err := g.do(ctx, admin.token, `mutation($in:CreateUserInput!){ createUser(input:$in){ id } }`,
			map[string]any{"in": map[string]any{"name": fmt.Sprintf("Load %05d", i), "email": email,
				"password": c.userPassword, "role": "MEMBER"}}, nil)
		switch {
		case err == nil:
			created.Add(1)
		case codeOf(err) != "CONFLICT": // CONFLICT: it exists from an earlier run
			return fmt.Errorf("creating %s: %w", email, err)
		}
		u, err := login(ctx, g, email, c.userPassword)
		if err != nil {
			return fmt.Errorf("logging in %s: %w (if it exists with another password, use another -user-prefix)", email, err)
		}
		u.idx = i
		users[i] = u
		return nil
	})
	return users, int(created.Load()), err
}

// setupGroups spreads the users over group chats of c.groupSize, in order:
// users [0,size) form group 0, and so on. The first member creates the
// group; a group of the same title and members from an earlier run is reused.
func setupGroups(ctx context.Context, c *config, g *gqlClient, users []*user) ([]*group, int, error) {
	var groups []*group
	for start := 0; start < len(users); start += c.groupSize {
		end := min(start+c.groupSize, len(users))
		groups = append(groups, &group{idx: len(groups), members: users[start:end]})
	}
	var created, done atomic.Int64
	stop := progress("groups", len(groups), &done)
	defer stop()
	err := parallel(ctx, len(groups), c.setupWorkers, func(ctx context.Context, i int) error {
		defer done.Add(1)
		gr := groups[i]
		title := fmt.Sprintf("%s g%d #%d", c.userPrefix, c.groupSize, gr.idx)
		creator := gr.members[0]
		var chats struct {
			Chats struct {
				Edges []struct {
					Node struct {
						ID, Title string
						Members   []struct{ ID string }
					}
				}
			}
		}
		if err := g.do(ctx, creator.token, `{ chats(first: 100){ edges{ node{ id title members{ id } } } } }`, nil, &chats); err != nil {
			return fmt.Errorf("listing chats: %w", err)
		}
		for _, e := range chats.Chats.Edges {
			if e.Node.Title == title && len(e.Node.Members) == len(gr.members) {
				gr.id = e.Node.ID
				return nil
			}
		}
		ids := make([]string, 0, len(gr.members)-1)
		for _, m := range gr.members[1:] {
			ids = append(ids, m.id)
		}
		var out struct{ CreateGroupChat struct{ ID string } }
		if err := g.do(ctx, creator.token, `mutation($t:String!,$m:[ID!]!){ createGroupChat(input:{title:$t, memberIds:$m}){ id } }`,
			map[string]any{"t": title, "m": ids}, &out); err != nil {
			return fmt.Errorf("creating group %q: %w", title, err)
		}
		gr.id = out.CreateGroupChat.ID
		created.Add(1)
		return nil
	})
	return groups, int(created.Load()), err
}

// progress prints how far a long step has come, every few seconds, until stopped.
func progress(what string, total int, done *atomic.Int64) func() {
	quit := make(chan struct{})
	go func() {
		t := time.NewTicker(3 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				logf("  %s: %d/%d", what, done.Load(), total)
			}
		}
	}()
	return func() { close(quit) }
}
