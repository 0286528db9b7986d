package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Client is a GraphQL client, logged in or not.
type Client struct {
	env   *Env
	Token string
	// The user behind the token, when it is a user's.
	ID, Name, Email string
	// Header is added to every GraphQL request over HTTP (an
	// X-Forwarded-For, say; see From).
	Header http.Header
}

// Response is a GraphQL response.
type Response struct {
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
	// HTTP status of the response (0 over WebSocket).
	Status int `json:"-"`
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns the code of the first error ("" if none).
func (r *Response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// Decode unmarshals the data into out.
func (r *Response) Decode(t testing.TB, out any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatalf("decoding %s: %v", r.Data, err)
	}
}

// Anonymous returns a client without a token.
func (e *Env) Anonymous() *Client { return &Client{env: e} }

// From returns a copy of the client whose requests come through a proxy on
// behalf of the client address addr (X-Forwarded-For): the server must
// trust loopback as a proxy (app.Config.TrustedProxies, see TrustLoopback).
func (c *Client) From(addr string) *Client {
	cp := *c
	cp.Header = c.Header.Clone()
	if cp.Header == nil {
		cp.Header = http.Header{}
	}
	cp.Header.Set("X-Forwarded-For", addr)
	return &cp
}

// WithToken returns a client that sends the given token.
func (e *Env) WithToken(token string) *Client { return &Client{env: e, Token: token} }

// Login logs in and returns the client.
func (e *Env) Login(email, password string) *Client {
	e.T.Helper()
	var out struct {
		Login struct {
			Token string
			User  struct{ ID, Name, Email string }
		}
	}
	e.Anonymous().MustDo(`mutation($e:String!,$p:String!){ login(email:$e,password:$p){ token user{ id name email } } }`,
		Vars{"e": email, "p": password}, &out)
	u := out.Login.User
	return &Client{env: e, Token: out.Login.Token, ID: u.ID, Name: u.Name, Email: u.Email}
}

// CreateUser creates a user through the admin and returns its id (no login).
func (e *Env) CreateUser(role, name string) string {
	e.T.Helper()
	n := e.users.Add(1)
	email := fmt.Sprintf("u%d.%s@parley.test", n, randomHex(3))
	var out struct{ CreateUser struct{ ID string } }
	e.Admin.MustDo(`mutation($in:CreateUserInput!){ createUser(input:$in){ id } }`,
		Vars{"in": Vars{"name": name, "email": email, "password": "password-x", "role": role}}, &out)
	return out.CreateUser.ID
}

// NewUser creates a user with the role (ADMIN, AGENT or MEMBER) through the
// admin and logs in as them. name may be "" for a generated one.
func (e *Env) NewUser(role, name string) *Client {
	e.T.Helper()
	n := e.users.Add(1)
	if name == "" {
		name = fmt.Sprintf("User %d", n)
	}
	email := fmt.Sprintf("%s.%d@parley.test", strings.ToLower(strings.ReplaceAll(name, " ", ".")), n)
	e.Admin.MustDo(`mutation($in:CreateUserInput!){ createUser(input:$in){ id } }`,
		Vars{"in": Vars{"name": name, "email": email, "password": "password-" + name, "role": role}}, nil)
	return e.Login(email, "password-"+name)
}

// Vars are GraphQL variables.
type Vars = map[string]any

// Do posts a query as JSON and returns the response; it fails the test only
// if the server does not answer with GraphQL.
func (c *Client) Do(query string, vars Vars) *Response {
	c.env.T.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, c.env.URL+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return c.send(req)
}

// Send sends a prepared request with the client's token and reads the GraphQL response.
func (c *Client) Send(req *http.Request) *Response {
	c.env.T.Helper()
	return c.send(req)
}

func (c *Client) send(req *http.Request) *Response {
	c.env.T.Helper()
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for k, vs := range c.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.env.T.Fatalf("POST /query: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var r Response
	if err := json.Unmarshal(raw, &r); err != nil {
		c.env.T.Fatalf("not a GraphQL response (HTTP %d): %s", res.StatusCode, raw)
	}
	r.Status = res.StatusCode
	return &r
}

// MustDo runs a query that must succeed and decodes its data into out (if not nil).
func (c *Client) MustDo(query string, vars Vars, out any) *Response {
	c.env.T.Helper()
	r := c.Do(query, vars)
	if len(r.Errors) > 0 {
		c.env.T.Fatalf("unexpected errors: %+v\nquery: %s", r.Errors, query)
	}
	if out != nil {
		r.Decode(c.env.T, out)
	}
	return r
}

// MustFail runs a query that must fail with the code and returns the response.
func (c *Client) MustFail(code, query string, vars Vars) *Response {
	c.env.T.Helper()
	r := c.Do(query, vars)
	if r.Code() != code {
		c.env.T.Fatalf("want error %s, got %+v (data %s)\nquery: %s", code, r.Errors, r.Data, query)
	}
	return r
}
