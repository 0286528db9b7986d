package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// target is everything that differs between the servers this tool drives:
// who the subscribers are, what they subscribe to and how a message is
// sent. Pacing, latency, histograms and the /proc readings are shared, so
// two targets' numbers come from the same code.
type target interface {
	// setup returns the groups the subscribers join, each with its members.
	setup(ctx context.Context, c *config, g *gqlClient) ([]*group, error)
	// initPayload is the connection_init payload of u's socket.
	initPayload(u *user) json.RawMessage
	// subscription is the operation a member of gr subscribes with.
	subscription(c *config, gr *group) (query string, vars map[string]any)
	// send posts text to gr as from; key, if not empty, is an idempotency key.
	send(ctx context.Context, g *gqlClient, from *user, gr *group, text, key string) error
}

// targets are the values of -target.
var targets = map[string]target{
	"parley":      parleyTarget{},
	"gqlgen-chat": chatTarget{},
}

// parleyTarget is Parley: real users logged in, group chats, sendMessage.
type parleyTarget struct{}

func (parleyTarget) setup(ctx context.Context, c *config, g *gqlClient) ([]*group, error) {
	t0 := time.Now()
	admin, err := login(ctx, g, c.adminEmail, c.adminPassword)
	if err != nil {
		return nil, fmt.Errorf("logging in the admin %s: %w (set -admin-email/-admin-password or PARLEY_ADMIN_EMAIL/PASSWORD)", c.adminEmail, err)
	}
	logf("setting up %d users", c.n)
	users, created, err := setupUsers(ctx, c, g, admin)
	if err != nil {
		return nil, err
	}
	groups, gcreated, err := setupGroups(ctx, c, g, users)
	if err != nil {
		return nil, err
	}
	logf("setup: %d users (%d new), %d groups of %d (%d new) in %v", len(users), created, len(groups), c.groupSize, gcreated, since(t0))
	return groups, nil
}

func (parleyTarget) initPayload(u *user) json.RawMessage {
	b, _ := json.Marshal(map[string]string{"authorization": "Bearer " + u.token})
	return b
}

func (parleyTarget) subscription(c *config, gr *group) (string, map[string]any) {
	if c.subscription == "events" {
		return `subscription{ events{ cursor type message{ ` + c.messageFields + ` } } }`, nil
	}
	return `subscription($c:ID!){ messageAdded(conversationId:$c){ ` + c.messageFields + ` } }`,
		map[string]any{"c": gr.id}
}

func (parleyTarget) send(ctx context.Context, g *gqlClient, from *user, gr *group, text, key string) error {
	vars := map[string]any{"c": gr.id, "t": text}
	if key != "" {
		vars["k"] = key
	}
	return g.do(ctx, from.token, `mutation($c:ID!,$t:String,$k:String){ sendMessage(input:{conversationId:$c, text:$t, clientMessageId:$k}){ id } }`, vars, nil)
}

// chatTarget is gqlgen's _examples/chat server, the comparison peer: in
// memory, no accounts (a username is any string), rooms are names created
// on first use, post(text, username, roomName) and messageAdded(roomName).
type chatTarget struct{}

func (chatTarget) setup(_ context.Context, c *config, _ *gqlClient) ([]*group, error) {
	var groups []*group
	for start := 0; start < c.n; start += c.groupSize {
		gr := &group{idx: len(groups), id: fmt.Sprintf("%s g%d #%d", c.userPrefix, c.groupSize, len(groups))}
		for i := start; i < min(start+c.groupSize, c.n); i++ {
			gr.members = append(gr.members, &user{idx: i, id: fmt.Sprintf("%s-%05d", c.userPrefix, i)})
		}
		groups = append(groups, gr)
	}
	logf("setup: %d subscribers in %d rooms of %d (the peer has no users to create)", c.n, len(groups), c.groupSize)
	return groups, nil
}

func (chatTarget) initPayload(*user) json.RawMessage { return nil }

// subscription leaves out the @user directive, so each subscriber gets
// every message of its room, as a Parley group member does.
func (chatTarget) subscription(c *config, gr *group) (string, map[string]any) {
	return `subscription($r:String!){ messageAdded(roomName:$r){ ` + c.messageFields + ` } }`,
		map[string]any{"r": gr.id}
}

func (chatTarget) send(ctx context.Context, g *gqlClient, from *user, gr *group, text, _ string) error {
	return g.do(ctx, "", `mutation($t:String!,$u:String!,$r:String!){ post(text:$t, username:$u, roomName:$r){ id } }`,
		map[string]any{"t": text, "u": from.id, "r": gr.id}, nil)
}
