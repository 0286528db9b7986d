package chat_test

import (
	"fmt"
	"strings"
	"testing"

	"parley/server/apitest"
)

func TestDirectChatIsOnePerPair(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("AGENT", "Bob")
		id := directChat(t, ann, bob.ID)
		if again := directChat(t, ann, bob.ID); again != id {
			t.Fatalf("second createDirectChat made %s, want %s", again, id)
		}
		if fromBob := directChat(t, bob, ann.ID); fromBob != id {
			t.Fatalf("the other side got %s, want %s", fromBob, id)
		}
		// Each sees the other's name as the title; there is no admin.
		if s := state(t, ann, id); s.Title != "Bob" {
			t.Fatalf("Ann sees title %q", s.Title)
		}
		if s := state(t, bob, id); s.Title != "Ann" {
			t.Fatalf("Bob sees title %q", s.Title)
		}
		var out struct {
			Node struct {
				Kind    string
				Admin   *struct{ ID string }
				Members []struct{ Name string }
			}
		}
		ann.MustDo(`query($id:ID!){ node(id:$id){ ... on Chat { kind admin { id } members { name } } } }`, Vars{"id": id}, &out)
		if out.Node.Kind != "DIRECT" || out.Node.Admin != nil || len(out.Node.Members) != 2 {
			t.Fatalf("direct chat = %+v", out.Node)
		}
		ann.MustFail("BAD_USER_INPUT", `mutation($u:ID!){ createDirectChat(userId:$u){ id } }`, Vars{"u": ann.ID})
		ann.MustFail("NOT_FOUND", `mutation{ createDirectChat(userId:"us00000000000000000000000000"){ id } }`, nil)
		// A direct chat cannot be left, renamed or grown.
		ann.MustFail("BAD_USER_INPUT", `mutation($c:ID!){ leaveChat(chatId:$c) }`, Vars{"c": id})
		ann.MustFail("BAD_USER_INPUT", `mutation($c:ID!){ renameChat(chatId:$c, title:"x"){ id } }`, Vars{"c": id})
	})
}

func TestConcurrentDirectChatCreationMakesOne(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		ids := make(chan string, 8)
		for i := 0; i < 8; i++ {
			go func(i int) {
				a, b := ann, bob.ID
				if i%2 == 1 {
					a, b = bob, ann.ID
				}
				var out struct{ CreateDirectChat struct{ ID string } }
				r := a.Do(`mutation($u:ID!){ createDirectChat(userId:$u){ id } }`, Vars{"u": b})
				if len(r.Errors) > 0 {
					ids <- "error: " + jsonOf(r.Errors)
					return
				}
				_ = jsonUnmarshal(r.Data, &out)
				ids <- out.CreateDirectChat.ID
			}(i)
		}
		first := <-ids
		for i := 1; i < 8; i++ {
			if id := <-ids; id != first {
				t.Fatalf("concurrent creates gave %s and %s", first, id)
			}
		}
	})
}

func TestGroupAdminRules(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat")
		dan := env.NewUser("MEMBER", "Dan")
		g := groupChat(t, ann, "  Launch  ", bob.ID, bob.ID, cat.ID)
		var out struct {
			Node struct {
				Kind, Title string
				Admin       struct{ ID string }
				Members     []struct{ ID string }
			}
		}
		q := `query($id:ID!){ node(id:$id){ ... on Chat { kind title admin { id } members { id } } } }`
		bob.MustDo(q, Vars{"id": g}, &out)
		if out.Node.Kind != "GROUP" || out.Node.Title != "Launch" || out.Node.Admin.ID != ann.ID || len(out.Node.Members) != 3 {
			t.Fatalf("group = %+v", out.Node)
		}
		if got := texts(t, bob, g, 5); len(got) != 1 || !strings.Contains(got[0], `Ann created the group "Launch" with Bob and Cat`) {
			t.Fatalf("system messages = %q", got)
		}
		// Members who are not the admin may only leave.
		add := `mutation($c:ID!,$u:[ID!]!){ addChatMembers(chatId:$c, userIds:$u){ id } }`
		remove := `mutation($c:ID!,$u:ID!){ removeChatMember(chatId:$c, userId:$u){ id } }`
		rename := `mutation($c:ID!,$t:String!){ renameChat(chatId:$c, title:$t){ title } }`
		bob.MustFail("FORBIDDEN", add, Vars{"c": g, "u": []string{dan.ID}})
		bob.MustFail("FORBIDDEN", remove, Vars{"c": g, "u": cat.ID})
		bob.MustFail("FORBIDDEN", rename, Vars{"c": g, "t": "Mine"})
		// Non-members get nothing at all.
		dan.MustFail("FORBIDDEN", add, Vars{"c": g, "u": []string{dan.ID}})
		dan.MustFail("FORBIDDEN", `mutation($c:ID!){ leaveChat(chatId:$c) }`, Vars{"c": g})

		ann.MustDo(add, Vars{"c": g, "u": []string{dan.ID, bob.ID}}, nil)
		ann.MustDo(remove, Vars{"c": g, "u": cat.ID}, nil)
		ann.MustDo(rename, Vars{"c": g, "t": "Launch v2"}, nil)
		ann.MustFail("BAD_USER_INPUT", rename, Vars{"c": g, "t": "   "})
		ann.MustFail("BAD_USER_INPUT", remove, Vars{"c": g, "u": cat.ID})
		cat.MustFail("FORBIDDEN", `mutation($c:ID!,$t:String){ sendMessage(input:{conversationId:$c, text:$t}){ id } }`, Vars{"c": g, "t": "still here?"})
		want := []string{`Ann added Dan`, `Ann removed Cat`, `Ann renamed the group to "Launch v2"`}
		got := texts(t, dan, g, 3)
		for i := range want {
			if i >= len(got) || got[i] != want[i] {
				t.Fatalf("system messages = %q, want %q", got, want)
			}
		}
	})
}

func TestLeavingHandsOverAndTheLastOneOutEndsTheGroup(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat")
		g := groupChat(t, ann, "Team", bob.ID)
		ann.MustDo(`mutation($c:ID!,$u:[ID!]!){ addChatMembers(chatId:$c, userIds:$u){ id } }`, Vars{"c": g, "u": []string{cat.ID}}, nil)
		leave := `mutation($c:ID!){ leaveChat(chatId:$c) }`
		ann.MustDo(leave, Vars{"c": g}, nil)
		// Bob joined before Cat: he is the new admin.
		var out struct {
			Node struct {
				Admin   struct{ Name string }
				Members []struct{ Name string }
			}
		}
		cat.MustDo(`query($id:ID!){ node(id:$id){ ... on Chat { admin { name } members { name } } } }`, Vars{"id": g}, &out)
		if out.Node.Admin.Name != "Bob" || len(out.Node.Members) != 2 {
			t.Fatalf("after the admin left: %+v", out.Node)
		}
		if got := texts(t, cat, g, 1); got[0] != "Ann left; Bob is now the admin" {
			t.Fatalf("system message %q", got[0])
		}
		// Ann no longer sees the chat.
		var n struct{ Node *struct{ ID string } }
		ann.MustDo(`query($id:ID!){ node(id:$id){ id } }`, Vars{"id": g}, &n)
		if n.Node != nil {
			t.Fatal("a former member still sees the chat")
		}
		bob.MustDo(leave, Vars{"c": g}, nil)
		cat.MustDo(leave, Vars{"c": g}, nil)
		var chats struct{ Chats struct{ TotalCount int } }
		cat.MustDo(`{ chats { totalCount } }`, nil, &chats)
		if chats.Chats.TotalCount != 0 {
			t.Fatalf("an ended group is still listed: %d", chats.Chats.TotalCount)
		}
		cat.MustDo(`query($id:ID!){ node(id:$id){ id } }`, Vars{"id": g}, &n)
		if n.Node != nil {
			t.Fatal("an ended group still resolves")
		}
	})
}

func TestGroupMemberLimitIs200(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		admin := env.NewUser("MEMBER", "Admin")
		var ids []string
		for i := 0; i < 200; i++ {
			ids = append(ids, env.CreateUser("MEMBER", fmt.Sprintf("Member %03d", i)))
		}
		create := `mutation($t:String!,$m:[ID!]!){ createGroupChat(input:{title:$t, memberIds:$m}){ id members { id } } }`
		// 200 others plus the admin is 201: refused, and nothing is made.
		r := admin.MustFail("LIMIT_EXCEEDED", create, Vars{"t": "Too big", "m": ids})
		if ext := r.Errors[0].Extensions; ext["limit"] != "groupMembers" || ext["max"] != float64(200) {
			t.Fatalf("extensions = %v", ext)
		}
		var chats struct{ Chats struct{ TotalCount int } }
		admin.MustDo(`{ chats { totalCount } }`, nil, &chats)
		if chats.Chats.TotalCount != 0 {
			t.Fatal("a refused group was created")
		}
		// 199 others plus the admin is exactly 200: allowed.
		var out struct {
			CreateGroupChat struct {
				ID      string
				Members []struct{ ID string }
			}
		}
		admin.MustDo(create, Vars{"t": "Full", "m": ids[:199]}, &out)
		if n := len(out.CreateGroupChat.Members); n != 200 {
			t.Fatalf("members = %d", n)
		}
		// One more is refused, and no one is added.
		add := `mutation($c:ID!,$u:[ID!]!){ addChatMembers(chatId:$c, userIds:$u){ members { id } } }`
		r = admin.MustFail("LIMIT_EXCEEDED", add, Vars{"c": out.CreateGroupChat.ID, "u": ids[199:]})
		if r.Errors[0].Extensions["limit"] != "groupMembers" {
			t.Fatalf("extensions = %v", r.Errors[0].Extensions)
		}
		// Re-adding current members changes nothing and is fine.
		admin.MustDo(add, Vars{"c": out.CreateGroupChat.ID, "u": ids[:3]}, nil)
	})
}

func TestGroupsPerUserLimitIs100(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		busy := env.NewUser("MEMBER", "Busy")
		other := env.NewUser("MEMBER", "Other")
		for i := 0; i < 100; i++ {
			groupChat(t, busy, fmt.Sprintf("Group %d", i))
		}
		// Direct chats do not count.
		directChat(t, busy, other.ID)
		create := `mutation($m:[ID!]!){ createGroupChat(input:{title:"One more", memberIds:$m}){ id } }`
		r := busy.MustFail("LIMIT_EXCEEDED", create, Vars{"m": []string{}})
		if ext := r.Errors[0].Extensions; ext["limit"] != "groupsPerUser" || ext["max"] != float64(100) {
			t.Fatalf("extensions = %v", ext)
		}
		// Someone else cannot put Busy in a 101st group either, by creating or adding.
		other.MustFail("LIMIT_EXCEEDED", create, Vars{"m": []string{busy.ID}})
		g := groupChat(t, other, "Other's group")
		other.MustFail("LIMIT_EXCEEDED", `mutation($c:ID!,$u:[ID!]!){ addChatMembers(chatId:$c, userIds:$u){ id } }`,
			Vars{"c": g, "u": []string{busy.ID}})
		var chats struct{ Chats struct{ TotalCount int } }
		busy.MustDo(`{ chats { totalCount } }`, nil, &chats)
		if chats.Chats.TotalCount != 101 { // 100 groups and the direct chat
			t.Fatalf("chats = %d", chats.Chats.TotalCount)
		}
		// Leaving one makes room again.
		var list struct {
			Chats struct {
				Edges []struct{ Node struct{ ID, Kind string } }
			}
		}
		busy.MustDo(`{ chats(first: 5) { edges { node { id kind } } } }`, nil, &list)
		for _, e := range list.Chats.Edges {
			if e.Node.Kind == "GROUP" {
				busy.MustDo(`mutation($c:ID!){ leaveChat(chatId:$c) }`, Vars{"c": e.Node.ID}, nil)
				break
			}
		}
		busy.MustDo(create, Vars{"m": []string{}}, nil)
	})
}
