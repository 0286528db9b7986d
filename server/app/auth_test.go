package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"parley/server/apitest"
)

type Vars = apitest.Vars

func TestLogin(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		anon := env.Anonymous()
		q := `mutation($e:String!,$p:String!){ login(email:$e,password:$p){ token user{ id role } } }`
		r := anon.MustFail("UNAUTHENTICATED", q, Vars{"e": "admin@parley.test", "p": "wrong-password"})
		if strings.Contains(r.Errors[0].Message, "admin-password") {
			t.Fatalf("error leaks the password: %q", r.Errors[0].Message)
		}
		anon.MustFail("UNAUTHENTICATED", q, Vars{"e": "nobody@parley.test", "p": "admin-password"})

		// E-mail is case-insensitive; the token works for me.
		var out struct{ Login struct{ Token string } }
		anon.MustDo(q, Vars{"e": "  ADMIN@Parley.test", "p": "admin-password"}, &out)
		var me struct{ Me struct{ Email, Role string } }
		env.WithToken(out.Login.Token).MustDo(`{ me { email role } }`, nil, &me)
		if me.Me.Email != "admin@parley.test" || me.Me.Role != "ADMIN" {
			t.Fatalf("me = %+v", me.Me)
		}
	})
}

func TestEveryOperationButLoginNeedsAToken(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		anon := env.Anonymous()
		for _, q := range []string{`{ me { id } }`, `{ users { totalCount } }`, `{ badges { total } }`,
			`mutation { logout }`, `{ node(id: "us01") { id } }`} {
			r := anon.MustFail("UNAUTHENTICATED", q, nil)
			if r.Status != 200 {
				t.Fatalf("%s: HTTP %d, want 200 with a GraphQL error", q, r.Status)
			}
		}
		env.WithToken("pt_not-a-real-token").MustFail("UNAUTHENTICATED", `{ me { id } }`, nil)
		// Introspection needs none.
		var intro struct {
			Schema struct{ QueryType struct{ Name string } } `json:"__schema"`
		}
		anon.MustDo(`{ __schema { queryType { name } } __typename }`, nil, &intro)
		if intro.Schema.QueryType.Name != "Query" {
			t.Fatalf("introspection: %+v", intro)
		}
		// ...but a document that mixes introspection with data does.
		anon.MustFail("UNAUTHENTICATED", `{ __typename me { id } }`, nil)
	})
}

func TestLogoutRevokesTheToken(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		u := env.NewUser("MEMBER", "Rita")
		sock := u.Connect()
		sub := sock.Subscribe(`subscription { badgesUpdated { total } }`, nil)
		_ = sub

		u.MustDo(`mutation { logout }`, nil, nil)
		u.MustFail("UNAUTHENTICATED", `{ me { id } }`, nil)

		// The open socket is closed with 4403, as a new one with the token is.
		if code, err := sock.WaitClosed(5 * time.Second); err != nil || code != 4403 {
			t.Fatalf("socket of a revoked token: closed with %d (%v), want 4403", code, err)
		}
		s2, err := u.Dial(apitest.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s2.WaitAck(5 * time.Second); err == nil {
			t.Fatal("a revoked token was acknowledged on a websocket")
		}
		if s2.CloseStatus != 4403 {
			t.Fatalf("close status %d, want 4403", s2.CloseStatus)
		}
		// Other sessions of the same user keep working.
		again := env.Login(u.Email, "password-Rita")
		again.MustDo(`{ me { id } }`, nil, nil)
	})
}

func TestWebsocketAuthentication(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		u := env.NewUser("MEMBER", "Sam")
		// Every key clients use for the token is accepted.
		for _, p := range []map[string]any{
			{"authorization": "Bearer " + u.Token},
			{"Authorization": "Bearer " + u.Token},
			{"authToken": u.Token},
			{"headers": map[string]any{"Authorization": "Bearer " + u.Token}}, // Apollo users' connectionParams
		} {
			s, err := u.Dial(apitest.DialOptions{InitPayload: p})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.WaitAck(5 * time.Second); err != nil {
				t.Fatalf("init payload %v: %v", keys(p), err)
			}
			var me struct{ Me struct{ ID string } }
			s.Subscribe(`{ me { id } }`, nil).Next(5*time.Second).Decode(t, &me)
			if me.Me.ID != u.ID {
				t.Fatalf("me over websocket = %q, want %q", me.Me.ID, u.ID)
			}
			s.Close()
		}
		// A bad token closes the socket with 4403.
		s, err := env.WithToken("pt_bad").Dial(apitest.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if code, err := s.WaitClosed(5 * time.Second); err != nil || code != 4403 {
			t.Fatalf("bad token: close status %d, %v; want 4403", code, err)
		}
		// The upgrade request's own header works too, and a bad one is refused like a bad payload.
		upgrade := func(token string) *apitest.Socket {
			s, err := u.Dial(apitest.DialOptions{InitPayload: map[string]any{}, Header: http.Header{"Authorization": {"Bearer " + token}}})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		s = upgrade(u.Token)
		if err := s.WaitAck(5 * time.Second); err != nil {
			t.Fatalf("token on the upgrade: %v", err)
		}
		var me struct{ Me struct{ ID string } }
		s.Subscribe(`{ me { id } }`, nil).Next(5*time.Second).Decode(t, &me)
		if me.Me.ID != u.ID {
			t.Fatalf("me with the upgrade's token = %q, want %q", me.Me.ID, u.ID)
		}
		if code, err := upgrade("pt_bad").WaitClosed(5 * time.Second); err != nil || code != 4403 {
			t.Fatalf("bad token on the upgrade: close status %d, %v; want 4403", code, err)
		}
		// No token: the socket opens, but operations that need one are refused.
		anon, err := env.Anonymous().Dial(apitest.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := anon.WaitAck(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		r := anon.Subscribe(`subscription { badgesUpdated { total } }`, nil).Next(5 * time.Second)
		if r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("anonymous subscription: %+v", r.Errors)
		}
	})
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestCreateUserIsForAdmins(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		create := `mutation($in:CreateUserInput!){ createUser(input:$in){ id name email role extension } }`
		in := func(email string) Vars {
			return Vars{"in": Vars{"name": "Nina", "email": email, "password": "long-enough", "role": "AGENT", "extension": "204"}}
		}
		for _, role := range []string{"MEMBER", "AGENT"} {
			env.NewUser(role, "").MustFail("FORBIDDEN", create, in("nina@parley.test"))
		}
		var out struct {
			CreateUser struct{ ID, Name, Email, Role, Extension string }
		}
		env.Admin.MustDo(create, in("Nina@Parley.test"), &out)
		if out.CreateUser.Email != "nina@parley.test" || out.CreateUser.Role != "AGENT" || out.CreateUser.Extension != "204" {
			t.Fatalf("created %+v", out.CreateUser)
		}
		env.Admin.MustFail("CONFLICT", create, in("nina@parley.test"))
		env.Admin.MustFail("BAD_USER_INPUT", create, in("not-an-email"))
		short := in("other@parley.test")
		short["in"].(Vars)["password"] = "short"
		short["in"].(Vars)["extension"] = "205"
		env.Admin.MustFail("BAD_USER_INPUT", create, short)
		// Nothing was half-written: only admin and Nina exist.
		var users struct{ Users struct{ TotalCount int } }
		env.Admin.MustDo(`{ users { totalCount } }`, nil, &users)
		if users.Users.TotalCount != 4 { // admin, the MEMBER and AGENT above, Nina
			t.Fatalf("users = %d", users.Users.TotalCount)
		}
		env.Login("nina@parley.test", "long-enough")
	})
}

func TestUsersSearchAndSettings(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		for _, u := range []Vars{
			{"name": "Olga Petrova", "email": "olga@parley.test", "password": "password1", "extension": "301"},
			{"name": "Omar Haddad", "email": "omar.h@parley.test", "password": "password1", "extension": "302"},
			{"name": "Pia Berg", "email": "pia@parley.test", "password": "password1"},
		} {
			env.Admin.MustDo(`mutation($in:CreateUserInput!){ createUser(input:$in){ id } }`, Vars{"in": u}, nil)
		}
		search := func(term string) []string {
			var out struct {
				Users struct {
					Edges []struct{ Node struct{ Name string } }
				}
			}
			env.Admin.MustDo(`query($s:String){ users(search:$s){ edges { node { name } } } }`, Vars{"s": term}, &out)
			var names []string
			for _, e := range out.Users.Edges {
				names = append(names, e.Node.Name)
			}
			return names
		}
		for term, want := range map[string]string{"olg": "Olga Petrova", "302": "Omar Haddad", "OMAR.H@": "Omar Haddad", "berg": "Pia Berg"} {
			if got := search(term); len(got) != 1 || got[0] != want {
				t.Errorf("search %q = %v, want [%s]", term, got, want)
			}
		}
		if got := search("o"); len(got) < 2 || got[0] > got[1] {
			t.Errorf("search results not sorted by name: %v", got)
		}

		olga := env.Login("olga@parley.test", "password1")
		var out struct {
			UpdateMySettings struct {
				Settings struct{ SoundEnabled, PopupEnabled bool }
			}
		}
		olga.MustDo(`mutation { updateMySettings(input:{soundEnabled:false}){ settings { soundEnabled popupEnabled } } }`, nil, &out)
		if s := out.UpdateMySettings.Settings; s.SoundEnabled || !s.PopupEnabled {
			t.Fatalf("settings = %+v", s)
		}
		// Settings are private: another user sees null.
		var other struct {
			Node struct{ Settings *struct{ SoundEnabled bool } }
		}
		env.Admin.MustDo(`query($id:ID!){ node(id:$id){ ... on User { settings { soundEnabled } } } }`, Vars{"id": olga.ID}, &other)
		if other.Node.Settings != nil {
			t.Fatal("another user's settings are visible")
		}
	})
}

func TestTokensExpireAfter30Days(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		u := env.NewUser("MEMBER", "Tom")
		env.Clock.Advance(30*24*time.Hour - time.Minute)
		u.MustDo(`{ me { id } }`, nil, nil)
		env.Clock.Advance(2 * time.Minute)
		r := u.MustFail("UNAUTHENTICATED", `{ me { id } }`, nil)
		if !strings.Contains(r.Errors[0].Message, "log in") {
			t.Fatalf("message %q", r.Errors[0].Message)
		}
	})
}

func TestWrongPasswordsAreRateLimitedPerAccount(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		u := env.NewUser("MEMBER", "Rex")
		q := `mutation($e:String!,$p:String!){ login(email:$e,password:$p){ token } }`
		for i := 0; i < 10; i++ {
			env.Anonymous().MustFail("UNAUTHENTICATED", q, Vars{"e": u.Email, "p": "guess"})
		}
		// Even the right password waits now; other accounts are not affected.
		r := env.Anonymous().MustFail("RATE_LIMITED", q, Vars{"e": u.Email, "p": "password-Rex"})
		if wait, _ := r.Errors[0].Extensions["retryAfter"].(float64); wait < 1 || wait > 30 {
			t.Fatalf("retryAfter %v, want the seconds until the next try (1 to 30)", r.Errors[0].Extensions["retryAfter"])
		}
		env.Anonymous().MustDo(q, Vars{"e": "admin@parley.test", "p": "admin-password"}, nil)
	})
}
