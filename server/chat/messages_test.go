package chat_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"parley/server/apitest"
)

func TestTextLimitIs10000Characters(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		q := `mutation($c:ID!,$t:String){ sendMessage(input:{conversationId:$c, text:$t}){ id text } }`
		ann.MustDo(q, Vars{"c": c, "t": strings.Repeat("a", 10000)}, nil)
		// Emoji are text: 10,000 of them are 10,000 characters.
		ann.MustDo(q, Vars{"c": c, "t": strings.Repeat("😀", 10000)}, nil)
		r := ann.MustFail("TEXT_TOO_LONG", q, Vars{"c": c, "t": strings.Repeat("a", 10001)})
		if r.Errors[0].Extensions["max"] != float64(10000) {
			t.Fatalf("extensions = %v", r.Errors[0].Extensions)
		}
		ann.MustFail("TEXT_TOO_LONG", q, Vars{"c": c, "t": strings.Repeat("😀", 10001)})
		ann.MustFail("BAD_USER_INPUT", q, Vars{"c": c, "t": "   "})
		ann.MustFail("BAD_USER_INPUT", q, Vars{"c": c, "t": nil})
		// Nothing of the refused ones was stored.
		var out struct {
			Node struct{ Messages struct{ TotalCount int } }
		}
		bob.MustDo(`query($id:ID!){ node(id:$id){ ... on Chat { messages { totalCount } } } }`, Vars{"id": c}, &out)
		if out.Node.Messages.TotalCount != 2 {
			t.Fatalf("messages = %d, want 2", out.Node.Messages.TotalCount)
		}
		if s := state(t, bob, c); s.UnreadCount != 2 {
			t.Fatalf("unread = %d", s.UnreadCount)
		}
	})
}

func TestClientMessageIDMakesOneMessage(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		q := `mutation($c:ID!,$t:String,$k:String){ sendMessage(input:{conversationId:$c, text:$t, clientMessageId:$k}){ id text clientMessageId } }`
		var first, retry struct {
			SendMessage struct{ ID, Text, ClientMessageID string }
		}
		ann.MustDo(q, Vars{"c": c, "t": "hello", "k": "k-1"}, &first)
		ann.MustDo(q, Vars{"c": c, "t": "hello (retry)", "k": "k-1"}, &retry)
		if retry.SendMessage.ID != first.SendMessage.ID || retry.SendMessage.Text != "hello" || first.SendMessage.ClientMessageID != "k-1" {
			t.Fatalf("first %+v, retry %+v", first.SendMessage, retry.SendMessage)
		}
		// The same key from someone else is their own message.
		var bobs struct{ SendMessage struct{ ID string } }
		bob.MustDo(q, Vars{"c": c, "t": "hello", "k": "k-1"}, &bobs)
		if bobs.SendMessage.ID == first.SendMessage.ID {
			t.Fatal("another sender's key returned Ann's message")
		}
		// Concurrent retries of one send make one message.
		var wg sync.WaitGroup
		ids := make([]string, 10)
		for i := range ids {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				r := ann.Do(q, Vars{"c": c, "t": "race", "k": "k-2"})
				var out struct{ SendMessage struct{ ID string } }
				if len(r.Errors) == 0 {
					_ = jsonUnmarshal(r.Data, &out)
				}
				ids[i] = out.SendMessage.ID + jsonOf(r.Errors)
			}(i)
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("concurrent retries: %v", ids)
			}
		}
		var n struct {
			Node struct{ Messages struct{ TotalCount int } }
		}
		ann.MustDo(`query($id:ID!){ node(id:$id){ ... on Chat { messages { totalCount } } } }`, Vars{"id": c}, &n)
		if n.Node.Messages.TotalCount != 3 {
			t.Fatalf("messages = %d, want 3", n.Node.Messages.TotalCount)
		}
		// Sending reads the chat up to one's own message: Bob has only Ann's
		// later "race" unread.
		if s := state(t, bob, c); s.UnreadCount != 1 {
			t.Fatalf("Bob's unread = %d, want 1", s.UnreadCount)
		}
	})
}

func TestHistoryPagesBackStably(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		for i := 1; i <= 12; i++ {
			send(t, ann, c, fmt.Sprintf("m%02d", i))
		}
		type page struct {
			Node struct {
				Messages struct {
					TotalCount int
					PageInfo   struct {
						HasPreviousPage bool
						StartCursor     string
					}
					Edges []struct{ Node struct{ Text string } }
				}
			}
		}
		q := `query($id:ID!,$n:Int,$b:Cursor){ node(id:$id){ ... on Chat { messages(last:$n, before:$b){ totalCount pageInfo { hasPreviousPage startCursor } edges { node { text } } } } } }`
		get := func(before any) page {
			var p page
			bob.MustDo(q, Vars{"id": c, "n": 5, "b": before}, &p)
			return p
		}
		textsOf := func(p page) string {
			var ts []string
			for _, e := range p.Node.Messages.Edges {
				ts = append(ts, e.Node.Text)
			}
			return strings.Join(ts, ",")
		}
		p1 := get(nil)
		if got := textsOf(p1); got != "m08,m09,m10,m11,m12" || !p1.Node.Messages.PageInfo.HasPreviousPage {
			t.Fatalf("newest page = %s (%+v)", got, p1.Node.Messages.PageInfo)
		}
		// New messages arrive while the user scrolls back: the older pages do not move.
		send(t, ann, c, "m13")
		send(t, ann, c, "m14")
		p2 := get(p1.Node.Messages.PageInfo.StartCursor)
		if got := textsOf(p2); got != "m03,m04,m05,m06,m07" {
			t.Fatalf("second page = %s", got)
		}
		p3 := get(p2.Node.Messages.PageInfo.StartCursor)
		if got := textsOf(p3); got != "m01,m02" || p3.Node.Messages.PageInfo.HasPreviousPage {
			t.Fatalf("last page = %s (%+v)", got, p3.Node.Messages.PageInfo)
		}
		bob.MustFail("BAD_USER_INPUT", `query($id:ID!){ node(id:$id){ ... on Chat { messages(last: 101){ totalCount } } } }`, Vars{"id": c})
	})
}

func TestReplyTo(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, cat := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("MEMBER", "Cat")
		c := directChat(t, ann, bob.ID)
		other := directChat(t, ann, cat.ID)
		orig := send(t, bob, c, "lunch?")
		elsewhere := send(t, cat, other, "not here")
		q := `mutation($c:ID!,$r:ID){ sendMessage(input:{conversationId:$c, text:"yes", replyToId:$r}){ replyTo { id text } } }`
		var out struct {
			SendMessage struct{ ReplyTo struct{ ID, Text string } }
		}
		// A message can be answered more than once, by anyone in the chat.
		for _, who := range []*apitest.Client{ann, bob, ann} {
			who.MustDo(q, Vars{"c": c, "r": orig}, &out)
			if out.SendMessage.ReplyTo.ID != orig || out.SendMessage.ReplyTo.Text != "lunch?" {
				t.Fatalf("replyTo = %+v", out.SendMessage.ReplyTo)
			}
		}
		ann.MustFail("BAD_USER_INPUT", q, Vars{"c": c, "r": elsewhere})
	})
}

func TestMentions(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("MEMBER", "Ann Lee")
		annie := env.NewUser("MEMBER", "Ann")
		var bobID, bobEmail string
		{
			var out struct{ CreateUser struct{ ID, Email string } }
			env.Admin.MustDo(`mutation{ createUser(input:{name:"Robert Stone", email:"bob.s@parley.test", password:"password1", extension:"207"}){ id email } }`, nil, &out)
			bobID, bobEmail = out.CreateUser.ID, out.CreateUser.Email
		}
		bob := env.Login(bobEmail, "password1")
		outsider := env.NewUser("MEMBER", "Zed")
		g := groupChat(t, ann, "Team", annie.ID, bobID)
		q := `mutation($c:ID!,$t:String){ sendMessage(input:{conversationId:$c, text:$t}){ mentions { name } } }`
		mentioned := func(sender *apitest.Client, text string) string {
			var out struct {
				SendMessage struct{ Mentions []struct{ Name string } }
			}
			sender.MustDo(q, Vars{"c": g, "t": text}, &out)
			var ns []string
			for _, m := range out.SendMessage.Mentions {
				ns = append(ns, m.Name)
			}
			return strings.Join(ns, ",")
		}
		cases := []struct {
			sender *apitest.Client
			text   string
			want   string
		}{
			{bob, "@ann lee, can you?", "Ann Lee"},  // the longest match wins over "Ann"
			{bob, "@Ann can you?", "Ann"},           // not "Ann Lee"
			{ann, "ping @207", "Robert Stone"},      // extension
			{ann, "ping @BOB.S!", "Robert Stone"},   // e-mail local part, any case
			{ann, "mail me at me@bob.s please", ""}, // inside an address: not a mention
			{ann, "@annie is not Ann", ""},          // no word boundary
			{ann, "@zed is not a member", ""},       // only members
			{ann, "@Ann Lee talking to myself", ""}, // never the author
			{bob, "@all standup!", "Ann,Ann Lee"},   // everyone but the author (sorted by id)
		}
		for _, c := range cases {
			got := mentioned(c.sender, c.text)
			want := c.want
			if c.text == "@all standup!" {
				// Order by id is arbitrary: compare as sets.
				if len(strings.Split(got, ",")) != 2 || !strings.Contains(got, "Ann Lee") {
					t.Errorf("%q mentions %q, want Ann and Ann Lee", c.text, got)
				}
				continue
			}
			if got != want {
				t.Errorf("%q mentions %q, want %q", c.text, got, want)
			}
		}
		_ = outsider
	})
}

func TestNonMembersGetNothing(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob, eve := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob"), env.NewUser("ADMIN", "Eve")
		c := directChat(t, ann, bob.ID)
		m := send(t, ann, c, "secret plans")
		for _, id := range []string{c, m} {
			var out struct {
				Node  *struct{ ID string }
				Nodes []*struct{ ID string }
			}
			eve.MustDo(`query($id:ID!){ node(id:$id){ id } nodes(ids:[$id]){ id } }`, Vars{"id": id}, &out)
			if out.Node != nil || out.Nodes[0] != nil {
				t.Fatalf("a non-member (even an admin) resolved %s", id)
			}
		}
		eve.MustFail("FORBIDDEN", `mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"hi"}){ id } }`, Vars{"c": c})
		eve.MustFail("FORBIDDEN", `mutation($c:ID!){ markRead(conversationId:$c){ id } }`, Vars{"c": c})
		eve.MustFail("FORBIDDEN", `mutation($c:ID!){ setMuted(conversationId:$c, muted:true){ id } }`, Vars{"c": c})
		sock := eve.Connect()
		r := sock.Subscribe(`subscription($c:ID!){ messageAdded(conversationId:$c){ id } }`, Vars{"c": c}).Next(5e9)
		if r.Code() != "FORBIDDEN" {
			t.Fatalf("messageAdded for a non-member: %+v", r.Errors)
		}
		var chats struct{ Chats struct{ TotalCount int } }
		eve.MustDo(`{ chats { totalCount } }`, nil, &chats)
		if chats.Chats.TotalCount != 0 {
			t.Fatal("someone else's chat is listed")
		}
	})
}

// An empty list is an empty list: clients map over edges without checks.
func TestEmptyConnectionsHaveEmptyEdges(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		site := createChannel(t, env, "LIVE_CHAT", "Website")
		_, s := startLiveChat(t, env, site, "Vera")
		for _, q := range []string{
			`{ chats(archived: true) { totalCount edges { cursor } pageInfo { hasNextPage } } }`,
			`{ sessions { totalCount edges { cursor } } }`,
			`{ searchMessages(query: "nothing") { totalCount edges { cursor } } }`,
			`{ users(search: "nobody") { totalCount edges { cursor } } }`,
			`{ customers(search: "nobody") { totalCount edges { cursor } } }`,
		} {
			r := ann.Do(q, nil)
			if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"edges":[]`) {
				t.Errorf("%s: %s %+v", q, r.Data, r.Errors)
			}
		}
		r := env.Admin.Do(`query($s:ID!){ node(id:$s){ ... on Session { messages(last: 10) { edges { cursor } } } } }`, Vars{"s": s})
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"edges":[]`) {
			t.Errorf("an empty history: %s %+v", r.Data, r.Errors)
		}
	})
}

// pageInfo is exact whether or not edges are asked for, and edges may be
// aliased.
func TestPageInfoWithoutEdgesAndAliasedEdges(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
		c := directChat(t, ann, bob.ID)
		for i := 0; i < 3; i++ {
			send(t, ann, c, fmt.Sprintf("m%d", i))
		}
		type pageInfo struct {
			StartCursor, EndCursor       *string
			HasNextPage, HasPreviousPage bool
		}
		var withEdges, without struct {
			Users struct {
				PageInfo pageInfo
				Edges    []struct{ Cursor string }
			}
		}
		q := `{ users(first: 2) { pageInfo { startCursor endCursor hasNextPage hasPreviousPage } %s } }`
		env.Admin.MustDo(fmt.Sprintf(q, "edges { cursor }"), nil, &withEdges)
		env.Admin.MustDo(fmt.Sprintf(q, ""), nil, &without)
		if jsonOf(without.Users.PageInfo) != jsonOf(withEdges.Users.PageInfo) || without.Users.PageInfo.EndCursor == nil {
			t.Fatalf("pageInfo alone %s, with edges %s", jsonOf(without.Users.PageInfo), jsonOf(withEdges.Users.PageInfo))
		}
		var all struct {
			Users struct{ PageInfo pageInfo }
		}
		env.Admin.MustDo(`{ users(first: 50) { pageInfo { hasNextPage endCursor } } }`, nil, &all)
		if all.Users.PageInfo.HasNextPage {
			t.Fatal("hasNextPage on the only page")
		}

		var hist struct {
			Node struct {
				Messages struct {
					PageInfo pageInfo
					Items    []struct{ Node struct{ Text string } }
				}
			}
		}
		ann.MustDo(`query($c:ID!){ node(id:$c){ ... on Chat { messages(last: 2) {
			pageInfo { startCursor hasPreviousPage } items: edges { node { text } } } } } }`, Vars{"c": c}, &hist)
		m := hist.Node.Messages
		if len(m.Items) != 2 || m.Items[1].Node.Text != "m2" || m.PageInfo.StartCursor == nil || !m.PageInfo.HasPreviousPage {
			t.Fatalf("aliased edges: %s", jsonOf(m))
		}
	})
}

// Limits on names and titles count characters, as people do, not bytes.
func TestLimitsCountCharactersNotBytes(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		ja := func(n int) string { return strings.Repeat("語", n) }
		var g struct{ CreateGroupChat struct{ Title string } }
		ann.MustDo(`mutation($t:String!){ createGroupChat(input:{title:$t, memberIds:[]}){ title } }`, Vars{"t": ja(200)}, &g)
		if g.CreateGroupChat.Title != ja(200) {
			t.Fatal("a 200-character title did not round-trip")
		}
		ann.MustFail("BAD_USER_INPUT", `mutation($t:String!){ createGroupChat(input:{title:$t, memberIds:[]}){ title } }`, Vars{"t": ja(201)})
		ann.MustDo(`mutation($n:String!){ createCustomer(input:{name:$n}){ id } }`, Vars{"n": strings.Repeat("Ж", 200)}, nil)
		env.Admin.MustDo(`mutation($n:String!){ createUser(input:{name:$n, email:"zh@parley.test", password:"password1"}){ id } }`,
			Vars{"n": strings.Repeat("é", 200)}, nil)
		var ch struct{ CreateChannel struct{ ID string } }
		env.Admin.MustDo(`mutation($p:String!){ createChannel(input:{kind:LIVE_CHAT, name:"Site", pageName:$p}){ id } }`,
			Vars{"p": ja(200)}, &ch)
		var v struct{ StartLiveChat struct{ Token string } }
		env.Anonymous().MustDo(`mutation($c:ID!,$n:String){ startLiveChat(channelId:$c, name:$n){ token } }`,
			Vars{"c": ch.CreateChannel.ID, "n": ja(150)}, &v)
		// Over the limit, the error names the API's field and the limit.
		r := env.Admin.MustFail("BAD_USER_INPUT", `mutation($p:String!){ createChannel(input:{kind:LIVE_CHAT, name:"Site", pageName:$p}){ id } }`,
			Vars{"p": ja(201)})
		if e := r.Errors[0]; e.Message != "pageName: at most 200 characters" || e.Extensions["field"] != "pageName" {
			t.Fatalf("error %+v", e)
		}
	})
}
