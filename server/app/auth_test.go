package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"parley/server/apitest"
	"parley/server/auth"
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

const loginQ = `mutation($e:String!,$p:String!){ login(email:$e,password:$p){ token } }`

// retryAfter is the RATE_LIMITED refusal's extensions.retryAfter, checked
// to lie in [1, max] seconds.
func retryAfter(t *testing.T, r *apitest.Response, max float64) float64 {
	t.Helper()
	wait, _ := r.Errors[0].Extensions["retryAfter"].(float64)
	if wait < 1 || wait > max {
		t.Fatalf("retryAfter %v, want 1 to %v seconds", r.Errors[0].Extensions["retryAfter"], max)
	}
	return wait
}

// Failed logins are throttled per account and client address: a guesser
// elsewhere cannot keep the owner out, and waits out its own window.
func TestAGuesserCannotLockTheOwnerOut(t *testing.T) {
	opts := apitest.Options{Configure: apitest.TrustLoopback}
	apitest.RunWith(t, opts, func(t *testing.T, env *apitest.Env) {
		owner := env.NewUser("MEMBER", "Rex")
		right, wrong := Vars{"e": owner.Email, "p": "password-Rex"}, Vars{"e": owner.Email, "p": "guess"}
		guesser := env.Anonymous().From("203.0.113.10")
		for i := 0; i < 10; i++ {
			guesser.MustFail("UNAUTHENTICATED", loginQ, wrong)
		}
		retryAfter(t, guesser.MustFail("RATE_LIMITED", loginQ, wrong), 30)
		// The guesser's address is refused even the right password...
		retryAfter(t, guesser.MustFail("RATE_LIMITED", loginQ, right), 30)
		// ...the owner, from their own address, gets in at once, and so
		// does the admin (one wrong try each 30 s used to lock any account).
		env.Anonymous().From("198.51.100.20").MustDo(loginQ, right, nil)
		guesser.MustFail("UNAUTHENTICATED", loginQ, Vars{"e": "admin@parley.test", "p": "guess"})
		env.Anonymous().From("198.51.100.21").MustDo(loginQ, Vars{"e": "admin@parley.test", "p": "admin-password"}, nil)

		// Once the window has passed, the guesser may try once more.
		env.Clock.Advance(auth.PairInterval)
		guesser.MustFail("UNAUTHENTICATED", loginQ, wrong)
		retryAfter(t, guesser.MustFail("RATE_LIMITED", loginQ, wrong), 30)
		env.Clock.Advance(auth.PairInterval)
		guesser.MustDo(loginQ, right, nil)
	})
}

// One address failing on many accounts (credential stuffing) is throttled
// as an address; many addresses failing on one account slow that account
// down for new addresses only for seconds, and not at all for an address
// it logged in from before.
func TestLoginThrottlesAddressesAndAccounts(t *testing.T) {
	opts := apitest.Options{Configure: apitest.TrustLoopback}
	apitest.RunWith(t, opts, func(t *testing.T, env *apitest.Env) {
		admin := Vars{"e": "admin@parley.test", "p": "admin-password"}
		stuffer := env.Anonymous().From("192.0.2.50")
		for i := 0; i < auth.AddressBurst; i++ {
			stuffer.MustFail("UNAUTHENTICATED", loginQ, Vars{"e": fmt.Sprintf("user%d@example.com", i), "p": "leaked-password"})
		}
		r := stuffer.MustFail("RATE_LIMITED", loginQ, admin)
		retryAfter(t, r, auth.AddressInterval.Seconds())
		if !strings.Contains(r.Errors[0].Message, "address") {
			t.Fatalf("message %q", r.Errors[0].Message)
		}
		env.Anonymous().From("192.0.2.51").MustDo(loginQ, admin, nil)
		env.Clock.Advance(auth.AddressInterval)
		stuffer.MustDo(loginQ, admin, nil)

		// The owner logs in from home; then ten addresses guess ten times each.
		owner := env.NewUser("MEMBER", "Rex")
		right := Vars{"e": owner.Email, "p": "password-Rex"}
		home := env.Anonymous().From("198.51.100.7")
		home.MustDo(loginQ, right, nil)
		for a := 0; a < auth.AccountBurst/auth.PairBurst; a++ {
			guesser := env.Anonymous().From(fmt.Sprintf("203.0.113.%d", 100+a))
			for i := 0; i < auth.PairBurst; i++ {
				guesser.MustFail("UNAUTHENTICATED", loginQ, Vars{"e": owner.Email, "p": "guess"})
			}
		}
		travelling := env.Anonymous().From("198.51.100.99")
		r = travelling.MustFail("RATE_LIMITED", loginQ, right)
		retryAfter(t, r, auth.AccountInterval.Seconds())
		if !strings.Contains(r.Errors[0].Message, "account") {
			t.Fatalf("message %q", r.Errors[0].Message)
		}
		home.MustDo(loginQ, right, nil)
		env.Clock.Advance(auth.AccountInterval)
		travelling.MustDo(loginQ, right, nil)
	})
}

// A token once resolved is kept for a moment (every request authenticates):
// what this instance changes applies at once — a logout, a deactivation, a
// new role — and what another instance writes to the database is seen
// within two seconds.
func TestCachedTokensFollowChanges(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		const updateUser = `mutation($id:ID!,$in:UpdateUserInput!){ updateUser(id:$id, input:$in){ id } }`
		const adminOnly = `mutation($id:ID!){ deactivateUser(userId:$id){ id } }`
		amy, ben := env.NewUser("ADMIN", "Amy"), env.NewUser("MEMBER", "Ben")
		amy.MustDo(`{ me { id } }`, nil, nil) // resolved once: now kept
		env.Admin.MustDo(updateUser, Vars{"id": amy.ID, "in": Vars{"role": "MEMBER"}}, nil)
		amy.MustFail("FORBIDDEN", adminOnly, Vars{"id": ben.ID})

		ben.MustDo(`{ me { id } }`, nil, nil)
		env.Admin.MustDo(adminOnly, Vars{"id": ben.ID}, nil)
		ben.MustFail("UNAUTHENTICATED", `{ me { id } }`, nil)

		// Another instance's logout: the row changes, this cache does not hear.
		cat := env.NewUser("MEMBER", "Cat")
		cat.MustDo(`{ me { id } }`, nil, nil)
		if _, err := env.App.DB.SQL.ExecContext(context.Background(),
			env.App.DB.Rebind(`UPDATE tokens SET revoked_at = $1 WHERE user_id = $2`), env.Clock.Now(), cat.ID); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(2 * time.Second)
		cat.MustFail("UNAUTHENTICATED", `{ me { id } }`, nil)
	})
}
