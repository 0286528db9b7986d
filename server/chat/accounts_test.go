package chat_test

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"strings"
	"testing"
	"time"

	"parley/server/apitest"
)

// Accounts (README "Accounts"): passwords, deactivation, profiles, roles
// and avatars, through the API.

const (
	changePasswordQ = `mutation($c:String!,$n:String!){ changePassword(currentPassword:$c, newPassword:$n) }`
	resetPasswordQ  = `mutation($u:ID!,$n:String!){ resetPassword(userId:$u, newPassword:$n) }`
	deactivateQ     = `mutation($u:ID!){ deactivateUser(userId:$u){ id active } }`
	reactivateQ     = `mutation($u:ID!){ reactivateUser(userId:$u){ id active } }`
	updateProfileQ  = `mutation($in:ProfileInput!){ updateProfile(input:$in){ id name extension } }`
	updateUserQ     = `mutation($id:ID!,$in:UpdateUserInput!){ updateUser(id:$id, input:$in){ id name extension role } }`
	uploadAvatarQ   = `mutation($f:Upload!){ uploadAvatar(file:$f){ id avatarUrl } }`
)

func field(r *apitest.Response) string {
	if len(r.Errors) == 0 {
		return ""
	}
	f, _ := r.Errors[0].Extensions["field"].(string)
	return f
}

func mustFailOn(t *testing.T, c *apitest.Client, code, wantField, q string, vars Vars) {
	t.Helper()
	if r := c.MustFail(code, q, vars); field(r) != wantField {
		t.Fatalf("%s: field %q, want %q", q, field(r), wantField)
	}
}

// socketClosed waits for the socket to close and checks the code.
func socketClosed(t *testing.T, s *apitest.Socket, want int) {
	t.Helper()
	code, err := s.WaitClosed(wait)
	if err != nil || int(code) != want {
		t.Fatalf("socket closed with %d (%v), want %d", code, err, want)
	}
}

func TestChangePasswordKeepsThisTokenAndRevokesTheOthers(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("MEMBER", "Ann")
		phone := env.Login(ann.Email, "password-Ann")
		phoneSock := phone.Connect()
		phoneSock.Subscribe(`subscription { badgesUpdated { total } }`, nil)
		mySock := ann.Connect()
		mySub := mySock.Subscribe(eventsQuery, nil)

		mustFailOn(t, ann, "BAD_USER_INPUT", "currentPassword", changePasswordQ, Vars{"c": "wrong-password", "n": "a-new-password"})
		mustFailOn(t, ann, "BAD_USER_INPUT", "newPassword", changePasswordQ, Vars{"c": "password-Ann", "n": "short"})
		mustFailOn(t, ann, "BAD_USER_INPUT", "newPassword", changePasswordQ, Vars{"c": "password-Ann", "n": strings.Repeat("x", 73)})
		phone.MustDo(`{ me { id } }`, nil, nil) // nothing changed yet

		ann.MustDo(changePasswordQ, Vars{"c": "password-Ann", "n": "a-new-password"}, nil)
		ann.MustDo(`{ me { id } }`, nil, nil)
		phone.MustFail("UNAUTHENTICATED", `{ me { id } }`, nil)
		socketClosed(t, phoneSock, 4403)
		mySub.Quiet(200 * time.Millisecond) // this token's socket stays open
		if code, err := mySock.WaitClosed(10 * time.Millisecond); err == nil {
			t.Fatalf("this token's socket closed with %d", code)
		}
		env.Anonymous().MustFail("UNAUTHENTICATED", `mutation { login(email:"`+ann.Email+`", password:"password-Ann"){ token } }`, nil)
		env.Login(ann.Email, "a-new-password")
		env.Anonymous().MustFail("UNAUTHENTICATED", `mutation { changePassword(currentPassword:"a-new-password", newPassword:"another-one") }`, nil)
	})
}

func TestWrongCurrentPasswordsAreThrottledAsLogins(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		bob := env.NewUser("MEMBER", "Bob")
		code := ""
		for i := 0; i < 20 && code != "RATE_LIMITED"; i++ {
			code = bob.Do(changePasswordQ, Vars{"c": "guess-" + string(rune('a'+i)), "n": "a-new-password"}).Code()
		}
		if code != "RATE_LIMITED" {
			t.Fatalf("20 wrong current passwords: %s, want RATE_LIMITED", code)
		}
		// While throttled even the right one waits.
		bob.MustFail("RATE_LIMITED", changePasswordQ, Vars{"c": "password-Bob", "n": "a-new-password"})
	})
}

func TestAdminResetsAPassword(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		cat, dan := env.NewUser("MEMBER", "Cat"), env.NewUser("AGENT", "Dan")
		sock := cat.Connect()
		sock.Subscribe(`subscription { badgesUpdated { total } }`, nil)
		dan.MustFail("FORBIDDEN", resetPasswordQ, Vars{"u": cat.ID, "n": "reset-password"})
		mustFailOn(t, env.Admin, "BAD_USER_INPUT", "newPassword", resetPasswordQ, Vars{"u": cat.ID, "n": "short"})
		mustFailOn(t, env.Admin, "NOT_FOUND", "userId", resetPasswordQ, Vars{"u": "us_nobody", "n": "reset-password"})

		env.Admin.MustDo(resetPasswordQ, Vars{"u": cat.ID, "n": "reset-password"}, nil)
		cat.MustFail("UNAUTHENTICATED", `{ me { id } }`, nil)
		socketClosed(t, sock, 4403)
		env.Login(cat.Email, "reset-password")
		env.Admin.MustDo(`{ me { id } }`, nil, nil)
	})
}

func TestDeactivatedUserIsLockedOutButKeepsTheirHistory(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		admin := env.Admin
		eve, fay, gus := env.NewUser("AGENT", "Eve"), env.NewUser("AGENT", "Fay"), env.NewUser("MEMBER", "Gus")
		dm := directChat(t, eve, gus.ID)
		msg := send(t, eve, dm, "before I go")
		ch := createChannel(t, env, "SMS", "Support", fay.ID)
		ses, _ := customerWrites(t, env, ch, "+15550142", "SM42", "hello")
		fay.MustDo(`mutation($s:ID!,$u:ID!){ forwardSession(input:{sessionId:$s, toUserId:$u}){ id } }`, Vars{"s": ses, "u": eve.ID}, nil)
		sock := eve.Connect()
		sock.Subscribe(eventsQuery, nil)
		if err := sock.WaitAck(wait); err != nil {
			t.Fatal(err)
		}

		fay.MustFail("FORBIDDEN", deactivateQ, Vars{"u": eve.ID})
		admin.MustFail("FORBIDDEN", deactivateQ, Vars{"u": env.Admin.ID})
		mustFailOn(t, admin, "NOT_FOUND", "userId", deactivateQ, Vars{"u": "us_nobody"})
		var out struct{ DeactivateUser struct{ Active bool } }
		admin.MustDo(deactivateQ, Vars{"u": eve.ID}, &out)
		if out.DeactivateUser.Active {
			t.Fatal("deactivateUser returned an active user")
		}
		admin.MustDo(deactivateQ, Vars{"u": eve.ID}, nil) // again: no change

		// Locked out: the socket closes with 4403, the token is refused, a
		// login fails exactly as a wrong password does.
		socketClosed(t, sock, 4403)
		eve.MustFail("UNAUTHENTICATED", `{ me { id } }`, nil)
		login := `mutation($e:String!,$p:String!){ login(email:$e, password:$p){ token } }`
		right := env.Anonymous().MustFail("UNAUTHENTICATED", login, Vars{"e": eve.Email, "p": "password-Eve"})
		wrong := env.Anonymous().MustFail("UNAUTHENTICATED", login, Vars{"e": eve.Email, "p": "not-her-password"})
		nobody := env.Anonymous().MustFail("UNAUTHENTICATED", login, Vars{"e": "nobody@parley.test", "p": "password-Eve"})
		if right.Errors[0].Message != wrong.Errors[0].Message || right.Errors[0].Message != nobody.Errors[0].Message {
			t.Fatalf("a deactivated user's login tells: %q vs %q vs %q", right.Errors[0].Message, wrong.Errors[0].Message, nobody.Errors[0].Message)
		}

		// Pickers leave them out; admins may ask for everyone.
		users := func(c *apitest.Client, q string) []string {
			var u struct {
				Users struct {
					Edges []struct{ Node struct{ Name string } }
				}
			}
			c.MustDo(q, nil, &u)
			var names []string
			for _, e := range u.Users.Edges {
				names = append(names, e.Node.Name)
			}
			return names
		}
		if names := strings.Join(users(gus, `{ users(search:"Eve") { edges { node { name } } } }`), ","); names != "" {
			t.Fatalf("a deactivated user in the picker: %s", names)
		}
		if names := users(admin, `{ users(search:"Eve", includeInactive:true) { edges { node { name } } } }`); len(names) != 1 {
			t.Fatalf("includeInactive: %v", names)
		}
		gus.MustFail("FORBIDDEN", `{ users(includeInactive:true) { totalCount } }`, nil)

		// History keeps their name; they read as inactive.
		var m struct {
			Node struct {
				Sender struct {
					Name   string
					Active bool
				}
			}
		}
		gus.MustDo(`query($id:ID!){ node(id:$id){ ... on Message { sender { name active } } } }`, Vars{"id": msg}, &m)
		if m.Node.Sender.Name != "Eve" || m.Node.Sender.Active {
			t.Fatalf("sender after deactivation: %+v", m.Node.Sender)
		}
		// The existing direct chat stays; nothing new takes them.
		directChat(t, gus, eve.ID)
		mustFailOn(t, admin, "BAD_USER_INPUT", "userId", `mutation($u:ID!){ createDirectChat(userId:$u){ id } }`, Vars{"u": eve.ID})
		mustFailOn(t, admin, "BAD_USER_INPUT", "userIds", `mutation($m:[ID!]!){ createGroupChat(input:{title:"T", memberIds:$m}){ id } }`, Vars{"m": []string{eve.ID}})
		g := groupChat(t, admin, "Team", gus.ID)
		mustFailOn(t, admin, "BAD_USER_INPUT", "userIds", `mutation($c:ID!,$u:[ID!]!){ addChatMembers(chatId:$c, userIds:$u){ id } }`, Vars{"c": g, "u": []string{eve.ID}})
		mustFailOn(t, admin, "BAD_USER_INPUT", "userIds", `mutation($c:ID!,$u:[ID!]!){ setChannelAgents(channelId:$c, userIds:$u){ id } }`, Vars{"c": ch, "u": []string{eve.ID}})
		// Their session is handed on; it cannot be handed back to them.
		var fw struct {
			ForwardSession struct{ Assignee struct{ ID string } }
		}
		admin.MustDo(`mutation($s:ID!,$u:ID!){ forwardSession(input:{sessionId:$s, toUserId:$u}){ assignee { id } } }`, Vars{"s": ses, "u": fay.ID}, &fw)
		if fw.ForwardSession.Assignee.ID != fay.ID {
			t.Fatalf("reassigned to %s", fw.ForwardSession.Assignee.ID)
		}
		mustFailOn(t, fay, "BAD_USER_INPUT", "toUserId", `mutation($s:ID!,$u:ID!){ forwardSession(input:{sessionId:$s, toUserId:$u}){ id } }`, Vars{"s": ses, "u": eve.ID})

		// Reactivated, they log in again.
		fay.MustFail("FORBIDDEN", reactivateQ, Vars{"u": eve.ID})
		var re struct{ ReactivateUser struct{ Active bool } }
		admin.MustDo(reactivateQ, Vars{"u": eve.ID}, &re)
		if !re.ReactivateUser.Active {
			t.Fatal("reactivateUser returned an inactive user")
		}
		env.Login(eve.Email, "password-Eve").MustDo(`{ me { active } }`, nil, nil)
	})
}

func TestTheLastActiveAdminStays(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		admin := env.Admin
		admin.MustFail("CONFLICT", updateUserQ, Vars{"id": admin.ID, "in": Vars{"role": "AGENT"}})
		second := env.NewUser("ADMIN", "Hal")
		// With two admins one may step down, and the other may not then.
		admin.MustDo(updateUserQ, Vars{"id": admin.ID, "in": Vars{"role": "MEMBER"}}, nil)
		second.MustFail("CONFLICT", updateUserQ, Vars{"id": second.ID, "in": Vars{"role": "AGENT"}})
		second.MustDo(updateUserQ, Vars{"id": admin.ID, "in": Vars{"role": "ADMIN"}}, nil)
		// A deactivated admin does not count.
		second.MustDo(deactivateQ, Vars{"u": admin.ID}, nil)
		second.MustFail("CONFLICT", updateUserQ, Vars{"id": second.ID, "in": Vars{"role": "MEMBER"}})
	})
}

func TestProfilesAndRoles(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		admin := env.Admin
		ida, jon := env.NewUser("AGENT", "Ida"), env.NewUser("MEMBER", "Jon")
		var p struct {
			UpdateProfile struct {
				Name      string
				Extension *string
			}
		}
		ida.MustDo(updateProfileQ, Vars{"in": Vars{"name": "  Ida Lind ", "extension": " 201 "}}, &p)
		if p.UpdateProfile.Name != "Ida Lind" || p.UpdateProfile.Extension == nil || *p.UpdateProfile.Extension != "201" {
			t.Fatalf("profile: %+v", p.UpdateProfile)
		}
		mustFailOn(t, ida, "BAD_USER_INPUT", "name", updateProfileQ, Vars{"in": Vars{"name": "   "}})
		mustFailOn(t, ida, "BAD_USER_INPUT", "name", updateProfileQ, Vars{"in": Vars{"name": strings.Repeat("é", 201)}})
		mustFailOn(t, ida, "BAD_USER_INPUT", "extension", updateProfileQ, Vars{"in": Vars{"extension": strings.Repeat("1", 33)}})
		mustFailOn(t, jon, "CONFLICT", "extension", updateProfileQ, Vars{"in": Vars{"extension": "201"}})
		ida.MustDo(updateProfileQ, Vars{"in": Vars{"extension": ""}}, &p)
		if p.UpdateProfile.Extension != nil || p.UpdateProfile.Name != "Ida Lind" {
			t.Fatalf("after clearing the extension: %+v", p.UpdateProfile)
		}

		// Only an admin edits someone else, and changes roles.
		jon.MustFail("FORBIDDEN", updateUserQ, Vars{"id": ida.ID, "in": Vars{"name": "X"}})
		jon.MustFail("FORBIDDEN", updateUserQ, Vars{"id": jon.ID, "in": Vars{"role": "ADMIN"}})
		mustFailOn(t, admin, "NOT_FOUND", "id", updateUserQ, Vars{"id": "us_nobody", "in": Vars{"name": "X"}})
		mustFailOn(t, admin, "BAD_USER_INPUT", "name", updateUserQ, Vars{"id": jon.ID, "in": Vars{"name": ""}})
		var u struct{ UpdateUser struct{ Name, Role string } }
		admin.MustDo(updateUserQ, Vars{"id": jon.ID, "in": Vars{"name": "Jon Berg", "extension": "300"}}, &u)
		if u.UpdateUser.Name != "Jon Berg" || u.UpdateUser.Role != "MEMBER" {
			t.Fatalf("updateUser: %+v", u.UpdateUser)
		}

		// An agent made a member leaves their channels and sessions.
		ch := createChannel(t, env, "SMS", "Desk", ida.ID)
		ses, _ := customerWrites(t, env, ch, "+15550177", "SM77", "hi")
		session(t, ida, ses)
		sock := ida.Connect()
		sock.Subscribe(eventsQuery, nil)
		if err := sock.WaitAck(wait); err != nil {
			t.Fatal(err)
		}
		admin.MustDo(updateUserQ, Vars{"id": ida.ID, "in": Vars{"role": "MEMBER"}}, nil)
		var gone struct{ Node *struct{ ID string } }
		ida.MustDo(`query($id:ID!){ node(id:$id){ id } }`, Vars{"id": ses}, &gone)
		if gone.Node != nil {
			t.Fatal("a member still sees a session of their former channel")
		}
		ida.MustFail("FORBIDDEN", `{ channels { id } }`, nil)
		var agents struct {
			Node struct{ Agents []struct{ ID string } }
		}
		admin.MustDo(`query($id:ID!){ node(id:$id){ ... on Channel { agents { id } } } }`, Vars{"id": ch}, &agents)
		if len(agents.Node.Agents) != 0 {
			t.Fatalf("a member still an agent of the channel: %+v", agents)
		}
		// Their socket reconnects (1012) to run with the new role.
		socketClosed(t, sock, 1012)
		ida.MustDo(`{ me { id } }`, nil, nil)
	})
}

func pngImage(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAvatarsUploadAndLoadForColleagues(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		kim, lea := env.NewUser("MEMBER", "Kim"), env.NewUser("MEMBER", "Lea")
		pic := pngImage(t, 4, 4)
		var up struct{ UploadAvatar struct{ AvatarURL *string } }
		r := kim.Upload(uploadAvatarQ, Vars{}, apitest.BytesFile("f", "me.png", pic))
		if len(r.Errors) > 0 {
			t.Fatalf("upload: %+v", r.Errors)
		}
		r.Decode(t, &up)
		if up.UploadAvatar.AvatarURL == nil || !strings.Contains(*up.UploadAvatar.AvatarURL, "/avatars/"+kim.ID+"?") {
			t.Fatalf("avatarUrl %v", up.UploadAvatar.AvatarURL)
		}
		// A colleague reads the URL and loads it, as an <img> does.
		var seen struct{ Node struct{ AvatarURL *string } }
		lea.MustDo(`query($id:ID!){ node(id:$id){ ... on User { avatarUrl } } }`, Vars{"id": kim.ID}, &seen)
		res, body := env.FetchAnonymously(*seen.Node.AvatarURL)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || !bytes.Equal(body, pic) {
			t.Fatalf("avatar: HTTP %d %s, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(body))
		}
		// Without a signature, any colleague's token does; nothing else.
		if res, _ := lea.Fetch("/avatars/" + kim.ID); res.StatusCode != 200 {
			t.Fatalf("with a token: HTTP %d", res.StatusCode)
		}
		if res, _ := env.FetchAnonymously("/avatars/" + kim.ID); res.StatusCode != 401 {
			t.Fatalf("anonymous: HTTP %d", res.StatusCode)
		}
		tampered := strings.Replace(*seen.Node.AvatarURL, "/avatars/"+kim.ID, "/avatars/"+lea.ID, 1)
		if res, _ := env.FetchAnonymously(tampered); res.StatusCode != 403 {
			t.Fatalf("another user's id under the signature: HTTP %d", res.StatusCode)
		}
		if res, _ := lea.Fetch("/avatars/" + lea.ID); res.StatusCode != 404 {
			t.Fatalf("no avatar: HTTP %d", res.StatusCode)
		}

		// A GIF replaces it under a new URL.
		var g bytes.Buffer
		if err := gif.Encode(&g, image.NewPaletted(image.Rect(0, 0, 2, 2), []color.Color{color.Black, color.White}), nil); err != nil {
			t.Fatal(err)
		}
		var up2 struct{ UploadAvatar struct{ AvatarURL *string } }
		kim.Upload(uploadAvatarQ, Vars{}, apitest.BytesFile("f", "me.gif", g.Bytes())).Decode(t, &up2)
		if up2.UploadAvatar.AvatarURL == nil || *up2.UploadAvatar.AvatarURL == *up.UploadAvatar.AvatarURL {
			t.Fatalf("a new avatar kept the URL: %v", up2.UploadAvatar.AvatarURL)
		}
		if res, _ := env.FetchAnonymously(*up2.UploadAvatar.AvatarURL); res.Header.Get("Content-Type") != "image/gif" {
			t.Fatalf("new avatar served as %s", res.Header.Get("Content-Type"))
		}

		// Not an image, or too large: refused, the avatar stays.
		for name, data := range map[string][]byte{
			"page.html": []byte("<html><script>alert(1)</script></html>"),
			"fake.png":  []byte("not really a png at all"),
			"art.svg":   []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`),
		} {
			if r := kim.Upload(uploadAvatarQ, Vars{}, apitest.BytesFile("f", name, data)); r.Code() != "BAD_USER_INPUT" || field(r) != "file" {
				t.Fatalf("%s: %s field %q, want BAD_USER_INPUT on file", name, r.Code(), field(r))
			}
		}
		big := append(pngImage(t, 4, 4), bytes.Repeat([]byte{0}, 5<<20)...)
		if r := kim.Upload(uploadAvatarQ, Vars{}, apitest.BytesFile("f", "big.png", big)); r.Code() != "FILE_TOO_LARGE" {
			t.Fatalf("6 MB avatar: %s", r.Code())
		}
		if res, _ := lea.Fetch("/avatars/" + kim.ID); res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/gif" {
			t.Fatalf("after refused uploads: HTTP %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}

		var rm struct{ RemoveAvatar struct{ AvatarURL *string } }
		kim.MustDo(`mutation { removeAvatar { avatarUrl } }`, nil, &rm)
		if rm.RemoveAvatar.AvatarURL != nil {
			t.Fatalf("removed avatar: %v", *rm.RemoveAvatar.AvatarURL)
		}
		if res, _ := env.FetchAnonymously(*up2.UploadAvatar.AvatarURL); res.StatusCode != 404 {
			t.Fatalf("removed avatar's URL: HTTP %d", res.StatusCode)
		}
	})
}

type userEvent struct {
	Events struct {
		Type string
		User *struct {
			ID, Name  string
			Extension *string
			Role      string
			Active    bool
			AvatarURL *string
		}
	}
}

func nextUserEvent(t *testing.T, sub *apitest.Subscription) userEvent {
	t.Helper()
	for {
		r := sub.Next(wait)
		if len(r.Errors) > 0 {
			t.Fatalf("events: %+v", r.Errors)
		}
		var e userEvent
		r.Decode(t, &e)
		if e.Events.Type == "USER_UPDATED" {
			return e
		}
	}
}

func TestProfileChangesArriveLiveOnColleaguesSockets(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		max, nia := env.NewUser("AGENT", "Max"), env.NewUser("MEMBER", "Nia")
		const q = `subscription { events { type user { id name extension role active avatarUrl } } }`
		sub := nia.Connect().Subscribe(q, nil)
		time.Sleep(150 * time.Millisecond) // the subscription is registered

		max.MustDo(updateProfileQ, Vars{"in": Vars{"name": "Max Power", "extension": "42"}}, nil)
		e := nextUserEvent(t, sub)
		if u := e.Events.User; u == nil || u.ID != max.ID || u.Name != "Max Power" || u.Extension == nil || *u.Extension != "42" {
			t.Fatalf("profile event: %+v", e.Events.User)
		}
		max.Upload(uploadAvatarQ, Vars{}, apitest.BytesFile("f", "me.png", pngImage(t, 2, 2)))
		if u := nextUserEvent(t, sub).Events.User; u == nil || u.AvatarURL == nil {
			t.Fatalf("avatar event: %+v", u)
		}
		env.Admin.MustDo(updateUserQ, Vars{"id": max.ID, "in": Vars{"role": "MEMBER"}}, nil)
		if u := nextUserEvent(t, sub).Events.User; u == nil || u.Role != "MEMBER" {
			t.Fatalf("role event: %+v", u)
		}
		env.Admin.MustDo(deactivateQ, Vars{"u": max.ID}, nil)
		if u := nextUserEvent(t, sub).Events.User; u == nil || u.Active {
			t.Fatalf("deactivation event: %+v", u)
		}
		// The same change again tells nobody.
		env.Admin.MustDo(deactivateQ, Vars{"u": max.ID}, nil)
		sub.Quiet(300 * time.Millisecond)
	})
}
