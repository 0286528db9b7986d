package chat_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"parley/server/apitest"
	"parley/server/app"
	"parley/server/inbox"
)

// inboxOptions deliver replies and read national phone numbers as German.
func inboxOptions() apitest.Options {
	o := deliveringProviders()
	senders := o.Configure
	o.Configure = func(c *app.Config) {
		senders(c)
		c.DefaultRegion = "DE"
	}
	return o
}

type customerView struct {
	ID             string
	Name           string
	Phones, Emails []string
	Sessions       []struct{ ID string }
	Documents      []struct{ Number string }
}

const customerFields = `id name phones emails sessions { id } documents { number }`

func customerNode(t *testing.T, c *apitest.Client, id string) *customerView {
	t.Helper()
	var out struct{ Node *customerView }
	c.MustDo(`query($id:ID!){ node(id:$id){ ... on Customer { `+customerFields+` } } }`, Vars{"id": id}, &out)
	return out.Node
}

func TestCustomersUpdateDeleteAndMerge(t *testing.T) {
	apitest.RunWith(t, inboxOptions(), func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		mia := env.NewUser("MEMBER", "Mia")
		sms := createChannel(t, env, "SMS", "SMS", ann.ID)
		carla := createCustomer(t, ann, "Carla", []string{"0170 1234567"}, []string{"carla@example.com"})
		if c := customerNode(t, ann, carla); len(c.Phones) != 1 || c.Phones[0] != "+491701234567" {
			t.Fatalf("stored phone: %+v", c.Phones)
		}
		update := `mutation($id:ID!,$in:UpdateCustomerInput!){ updateCustomer(id:$id, input:$in){ ` + customerFields + ` } }`
		var up struct{ UpdateCustomer customerView }
		ann.MustDo(update, Vars{"id": carla, "in": Vars{"name": " Carla Diaz ", "phones": []string{"+49 170 1234567", "0049 30 1234567"},
			"emails": []string{"Carla@Example.com", "carla@example.com"}}}, &up)
		if c := up.UpdateCustomer; c.Name != "Carla Diaz" || strings.Join(c.Phones, ",") != "+491701234567,+49301234567" ||
			strings.Join(c.Emails, ",") != "carla@example.com" {
			t.Fatalf("updated: %+v", c)
		}
		// Who may, and what is refused.
		mia.MustFail("FORBIDDEN", update, Vars{"id": carla, "in": Vars{"name": "x"}})
		mia.MustFail("FORBIDDEN", `mutation($id:ID!){ deleteCustomer(id:$id) }`, Vars{"id": carla})
		mia.MustFail("FORBIDDEN", `mutation($a:ID!,$b:ID!){ mergeCustomers(keepId:$a, mergeId:$b){ id } }`, Vars{"a": carla, "b": carla})
		ann.MustFail("BAD_USER_INPUT", update, Vars{"id": carla, "in": Vars{"name": ""}})
		ann.MustFail("BAD_USER_INPUT", update, Vars{"id": carla, "in": Vars{"name": "x", "phones": []string{"call me"}}})
		ann.MustFail("BAD_USER_INPUT", update, Vars{"id": carla, "in": Vars{"name": "x", "emails": []string{"nope"}}})
		ann.MustFail("NOT_FOUND", update, Vars{"id": "cu_01J00000000000000000000000", "in": Vars{"name": "x"}})
		ann.MustFail("BAD_USER_INPUT", `mutation($a:ID!){ mergeCustomers(keepId:$a, mergeId:$a){ id } }`, Vars{"a": carla})

		// A duplicate record with its own session, link and document.
		dup := createCustomer(t, ann, "C. Diaz", []string{"+4915112345678"}, []string{"cd@example.com"})
		s1, _ := customerWrites(t, env, sms, "+491701234567", "SM1", "hallo")
		s2, _ := customerWrites(t, env, sms, "+4915112345678", "SM2", "hallo again")
		link := `mutation($s:ID!,$c:ID!){ linkCustomer(sessionId:$s, customerId:$c){ id } }`
		ann.MustDo(link, Vars{"s": s1, "c": carla}, nil)
		ann.MustDo(link, Vars{"s": s2, "c": dup}, nil)
		ann.MustDo(`mutation($c:ID!,$s:ID!){ createDocument(input:{customerId:$c, kind:ORDER, title:"Sofa", sessionId:$s}){ id } }`,
			Vars{"c": dup, "s": s2}, nil)
		ann.MustFail("CONFLICT", `mutation($id:ID!){ deleteCustomer(id:$id) }`, Vars{"id": dup})
		var merged struct{ MergeCustomers customerView }
		ann.MustDo(`mutation($a:ID!,$b:ID!){ mergeCustomers(keepId:$a, mergeId:$b){ `+customerFields+` } }`, Vars{"a": carla, "b": dup}, &merged)
		m := merged.MergeCustomers
		if m.ID != carla || len(m.Phones) != 3 || len(m.Emails) != 2 || len(m.Sessions) != 2 || len(m.Documents) != 1 {
			t.Fatalf("merged: %+v", m)
		}
		if customerNode(t, ann, dup) != nil {
			t.Fatal("the merged record is still there")
		}
		for _, s := range []string{s1, s2} {
			if v := session(t, ann, s); v.Customer == nil || v.Customer.ID != carla {
				t.Fatalf("session %s shows %+v, want the kept customer", s, v.Customer)
			}
		}
		// Deleting unlinks; with no documents it goes.
		lone := createCustomer(t, ann, "Lone", nil, nil)
		s3, _ := customerWrites(t, env, sms, "+491709999999", "SM3", "hi")
		ann.MustDo(link, Vars{"s": s3, "c": lone}, nil)
		var del struct{ DeleteCustomer bool }
		ann.MustDo(`mutation($id:ID!){ deleteCustomer(id:$id) }`, Vars{"id": lone}, &del)
		if !del.DeleteCustomer || session(t, ann, s3).Customer != nil || customerNode(t, ann, lone) != nil {
			t.Fatal("delete left the customer or its link")
		}
		ann.MustFail("NOT_FOUND", `mutation($id:ID!){ deleteCustomer(id:$id) }`, Vars{"id": lone})
	})
}

func TestCustomerPhoneSearchFindsNationalForms(t *testing.T) {
	apitest.RunWith(t, inboxOptions(), func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		createCustomer(t, ann, "Greta", []string{"+49 170 1234567"}, nil)
		createCustomer(t, ann, "Other", []string{"+49 170 7654321"}, nil)
		for _, q := range []string{"0170 1234567", "0049 170 1234567", "+49 170 1234567", "01701234567", "1234567"} {
			var out struct {
				Customers struct {
					Edges []struct{ Node struct{ Name string } }
				}
			}
			ann.MustDo(`query($s:String){ customers(search:$s){ edges { node { name } } } }`, Vars{"s": q}, &out)
			if e := out.Customers.Edges; len(e) != 1 || e[0].Node.Name != "Greta" {
				t.Errorf("search %q: %+v", q, e)
			}
		}
	})
}

func TestNormalizePhone(t *testing.T) {
	for _, c := range []struct {
		in, region, want string
		ok               bool
	}{
		{"+49 170 1234567", "", "+491701234567", true},
		{"0170 1234567", "", "", false}, // no region: international forms only
		{"0170 1234567", "DE", "+491701234567", true},
		{"0049 (170) 123-4567", "de", "+491701234567", true},
		{"+1 (555) 010-0500", "DE", "+15550100500", true},
		{"(555) 010-0500", "US", "+15550100500", true},
		{"call me", "DE", "", false},
		{"+49 1", "", "", false},
		{strings.Repeat("1", 41), "DE", "", false},
	} {
		got, ok := inbox.NormalizePhone(c.in, c.region)
		if got != c.want || ok != c.ok {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q, %v", c.in, c.region, got, ok, c.want, c.ok)
		}
	}
}

func TestContactEmailIsForAgentsOnly(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		lc := createChannel(t, env, "LIVE_CHAT", "Site", ann.ID)
		vera, s := startLiveChat(t, env, lc, "Vera")
		vera.MustDo(`mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"hello"}){ id } }`, Vars{"c": s}, nil)
		q := `query($id:ID!){ node(id:$id){ ... on Session { contact { email } suggestedCustomer { id } } } }`
		var out struct {
			Node struct {
				Contact           struct{ Email *string }
				SuggestedCustomer *struct{ ID string }
			}
		}
		ann.MustDo(q, Vars{"id": s}, &out)
		if out.Node.Contact.Email == nil || *out.Node.Contact.Email != "vera@example.com" {
			t.Fatalf("the agent sees e-mail %v", out.Node.Contact.Email)
		}
		vera.MustDo(q, Vars{"id": s}, &out)
		if out.Node.Contact.Email != nil || out.Node.SuggestedCustomer != nil {
			t.Fatalf("the visitor sees %+v", out.Node)
		}
		// Another visitor reaches nobody else's session at all.
		other, _ := startLiveChat(t, env, lc, "Otto")
		if r := other.Do(q, Vars{"id": s}); strings.Contains(string(r.Data), "vera@example.com") {
			t.Fatalf("another visitor reads %s", r.Data)
		}
	})
}

func TestSuggestedCustomerArrivesOnAnotherDevice(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("AGENT", "Ann"), env.NewUser("AGENT", "Bob")
		lc := createChannel(t, env, "LIVE_CHAT", "Site", ann.ID, bob.ID)
		vera, s := startLiveChat(t, env, lc, "Vera")
		vera.MustDo(`mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"hello"}){ id } }`, Vars{"c": s}, nil)
		suggested := func(c *apitest.Client) *struct{ ID, Name string } {
			var out struct {
				Node struct{ SuggestedCustomer *struct{ ID, Name string } }
			}
			c.MustDo(`query($id:ID!){ node(id:$id){ ... on Session { suggestedCustomer { id name } } } }`, Vars{"id": s}, &out)
			return out.Node.SuggestedCustomer
		}
		if suggested(ann) != nil {
			t.Fatal("a suggestion before any customer")
		}
		events := bob.Connect().Subscribe(`subscription { events { type conversation { id ... on Session { suggestedCustomer { name } } } } }`, nil)
		time.Sleep(100 * time.Millisecond) // the subscription starts
		first := createCustomer(t, ann, "Vera Lind", nil, []string{"VERA@example.com"})
		createCustomer(t, ann, "Vera, a newer record", nil, []string{"vera@example.com"})
		for deadline := time.Now().Add(wait); ; {
			if time.Now().After(deadline) {
				t.Fatal("Bob's device never heard of the suggestion")
			}
			var e struct {
				Events struct {
					Type         string
					Conversation *struct {
						ID                string
						SuggestedCustomer *struct{ Name string }
					}
				}
			}
			events.Next(wait).Decode(t, &e)
			if c := e.Events.Conversation; e.Events.Type == "CONVERSATION_UPDATED" && c != nil && c.ID == s && c.SuggestedCustomer != nil {
				if c.SuggestedCustomer.Name != "Vera Lind" {
					t.Fatalf("suggested %q, want the first match", c.SuggestedCustomer.Name)
				}
				break
			}
		}
		if sc := suggested(bob); sc == nil || sc.ID != first {
			t.Fatalf("suggested %+v", sc)
		}
		ann.MustDo(`mutation($s:ID!,$c:ID!){ linkCustomer(sessionId:$s, customerId:$c){ id } }`, Vars{"s": s, "c": first}, nil)
		if suggested(ann) != nil {
			t.Fatal("a linked session still suggests")
		}
	})
}

func TestSessionsSuggestByPhone(t *testing.T) {
	apitest.RunWith(t, inboxOptions(), func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		sms := createChannel(t, env, "SMS", "SMS", ann.ID)
		s, _ := customerWrites(t, env, sms, "+491701234567", "SM1", "hallo")
		c := createCustomer(t, ann, "Greta", []string{"0170 1234567"}, nil)
		var out struct {
			Node struct{ SuggestedCustomer *struct{ ID string } }
		}
		ann.MustDo(`query($id:ID!){ node(id:$id){ ... on Session { suggestedCustomer { id } } } }`, Vars{"id": s}, &out)
		if out.Node.SuggestedCustomer == nil || out.Node.SuggestedCustomer.ID != c {
			t.Fatalf("suggested %+v", out.Node.SuggestedCustomer)
		}
	})
}

type waitView struct {
	Node struct {
		WaitingSince *time.Time
		ReplyState   string
	}
}

func waitingSince(t *testing.T, c *apitest.Client, s string) *time.Time {
	t.Helper()
	var out waitView
	c.MustDo(`query($id:ID!){ node(id:$id){ ... on Session { waitingSince replyState } } }`, Vars{"id": s}, &out)
	return out.Node.WaitingSince
}

func sessionIDs(t *testing.T, c *apitest.Client, args string, vars Vars) []string {
	t.Helper()
	var out struct {
		Sessions struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	c.MustDo(`query($after:Cursor){ sessions(`+args+` after:$after){ edges { node { id } } } }`, vars, &out)
	var ids []string
	for _, e := range out.Sessions.Edges {
		ids = append(ids, e.Node.ID)
	}
	return ids
}

func TestWaitingTimeAndOverdue(t *testing.T) {
	apitest.RunWith(t, deliveringProviders(), func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		bob := env.NewUser("AGENT", "Bob") // not on the channel
		sms := createChannel(t, env, "SMS", "SMS", ann.ID)
		a, _ := customerWrites(t, env, sms, "+15550100001", "A1", "first")
		if waitingSince(t, ann, a) == nil {
			t.Fatal("a customer's message starts no wait")
		}
		start := *waitingSince(t, ann, a)
		env.Clock.Advance(time.Minute)
		customerWrites(t, env, sms, "+15550100001", "A2", "second")
		if w := waitingSince(t, ann, a); w == nil || !w.Equal(start) {
			t.Fatalf("a second message moved the wait: %v, want %v", w, start)
		}
		// Reading does not answer; a private note does not either.
		ann.MustDo(`mutation($c:ID!){ markRead(conversationId:$c){ id } }`, Vars{"c": a}, nil)
		ann.MustDo(`mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"note", note:true}){ id } }`, Vars{"c": a}, nil)
		if waitingSince(t, ann, a) == nil {
			t.Fatal("reading or a note ended the wait")
		}
		env.Clock.Advance(time.Minute)
		b, _ := customerWrites(t, env, sms, "+15550100002", "B1", "hello?")
		// Longest wait first, only those waiting.
		if got := sessionIDs(t, ann, "sort: WAITING_LONGEST", nil); strings.Join(got, ",") != a+","+b {
			t.Fatalf("waiting longest: %v, want [%s %s]", got, a, b)
		}
		page := func(after *string) ([]string, *string) {
			var out struct {
				Sessions struct {
					Edges    []struct{ Node struct{ ID string } }
					PageInfo struct{ EndCursor *string }
				}
			}
			ann.MustDo(`query($after:Cursor){ sessions(sort: WAITING_LONGEST, first: 1, after: $after){ edges { node { id } } pageInfo { endCursor } } }`,
				Vars{"after": after}, &out)
			var ids []string
			for _, e := range out.Sessions.Edges {
				ids = append(ids, e.Node.ID)
			}
			return ids, out.Sessions.PageInfo.EndCursor
		}
		p1, cur := page(nil)
		p2, _ := page(cur)
		if len(p1) != 1 || p1[0] != a || len(p2) != 1 || p2[0] != b {
			t.Fatalf("pages: %v %v", p1, p2)
		}
		var def struct {
			Sessions struct{ PageInfo struct{ EndCursor string } }
		}
		ann.MustDo(`{ sessions(first:1){ pageInfo { endCursor } } }`, nil, &def)
		ann.MustFail("BAD_USER_INPUT", `query($c:Cursor){ sessions(sort: WAITING_LONGEST, after:$c){ totalCount } }`, Vars{"c": def.Sessions.PageInfo.EndCursor})

		// Overdue after 15 minutes by default.
		overdue := func(c *apitest.Client) (ids []string, badge int) {
			var bs struct{ Badges struct{ ExternalOverdue int } }
			c.MustDo(`{ badges { externalOverdue } }`, nil, &bs)
			return sessionIDs(t, c, "overdue: true", nil), bs.Badges.ExternalOverdue
		}
		if ids, n := overdue(ann); len(ids) != 0 || n != 0 {
			t.Fatalf("overdue too early: %v, %d", ids, n)
		}
		env.Clock.Advance(13*time.Minute + 30*time.Second) // a waits 15.5 minutes, b 13.5
		if ids, n := overdue(ann); strings.Join(ids, ",") != a || n != 1 {
			t.Fatalf("overdue: %v, badge %d; want [%s], 1", ids, n, a)
		}
		if ids, n := overdue(env.Admin); strings.Join(ids, ",") != a || n != 1 {
			t.Fatalf("admin's overdue: %v, badge %d", ids, n)
		}
		if got := sessionIDs(t, ann, "overdue: false", nil); strings.Join(got, ",") != b {
			t.Fatalf("not overdue: %v", got)
		}
		if _, n := overdue(bob); n != 0 {
			t.Fatalf("Bob's badge counts a session he cannot see: %d", n)
		}
		// The admin's threshold: 10 minutes makes b overdue too; agents cannot set it.
		set := `mutation($m:Int){ updateOrganizationSettings(input:{overdueAfterMinutes:$m}){ overdueAfterMinutes } }`
		ann.MustFail("FORBIDDEN", set, Vars{"m": 10})
		env.Admin.MustFail("BAD_USER_INPUT", set, Vars{"m": 0})
		env.Admin.MustFail("BAD_USER_INPUT", set, Vars{"m": 43201})
		var st struct {
			UpdateOrganizationSettings struct{ OverdueAfterMinutes int }
		}
		env.Admin.MustDo(set, Vars{"m": 10}, &st)
		if st.UpdateOrganizationSettings.OverdueAfterMinutes != 10 {
			t.Fatalf("setting: %+v", st)
		}
		if ids, n := overdue(ann); len(ids) != 2 || n != 2 {
			t.Fatalf("overdue after 10 minutes: %v, %d", ids, n)
		}
		// Overdue is not in the total: it is already counted as unread or unanswered.
		if bs := badgesOf(t, ann); bs.Total != 2 {
			t.Fatalf("total: %+v", bs)
		}
		// The agent's reply ends the wait.
		send(t, ann, a, "on it")
		if waitingSince(t, ann, a) != nil {
			t.Fatal("a reply left the wait")
		}
		if ids, n := overdue(ann); strings.Join(ids, ",") != b || n != 1 {
			t.Fatalf("overdue after replying: %v, %d", ids, n)
		}
		// A customer writing again waits from now.
		customerWrites(t, env, sms, "+15550100001", "A3", "thanks, and…")
		if w := waitingSince(t, ann, a); w == nil || !w.After(start.Add(15*time.Minute)) {
			t.Fatalf("new wait since %v", w)
		}
	})
}

func TestPinnedSessionsComeFirstForTheCaller(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("AGENT", "Ann"), env.NewUser("AGENT", "Bob")
		sms := createChannel(t, env, "SMS", "SMS", ann.ID, bob.ID)
		var ids []string
		for _, who := range []string{"+15550100011", "+15550100012", "+15550100013", "+15550100014"} {
			s, _ := customerWrites(t, env, sms, who, "P"+who, "hi")
			ids = append(ids, s)
			env.Clock.Advance(time.Second)
		}
		// Newest first: 3 2 1 0. Ann pins 1 and 0.
		pin := `mutation($c:ID!,$p:Boolean!){ setPinned(conversationId:$c, pinned:$p){ pinned } }`
		ann.MustDo(pin, Vars{"c": ids[1], "p": true}, nil)
		ann.MustDo(pin, Vars{"c": ids[0], "p": true}, nil)
		want := []string{ids[1], ids[0], ids[3], ids[2]}
		if got := sessionIDs(t, ann, "", nil); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("Ann's inbox: %v, want %v", got, want)
		}
		// Page by page, one at a time, the same order.
		var paged []string
		var after *string
		for range 5 {
			var out struct {
				Sessions struct {
					Edges    []struct{ Node struct{ ID string } }
					PageInfo struct {
						HasNextPage bool
						EndCursor   *string
					}
				}
			}
			ann.MustDo(`query($after:Cursor){ sessions(first:1, after:$after){ edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
				Vars{"after": after}, &out)
			for _, e := range out.Sessions.Edges {
				paged = append(paged, e.Node.ID)
			}
			if !out.Sessions.PageInfo.HasNextPage {
				break
			}
			after = out.Sessions.PageInfo.EndCursor
		}
		if strings.Join(paged, ",") != strings.Join(want, ",") {
			t.Fatalf("paged: %v, want %v", paged, want)
		}
		// Pins are Ann's: Bob sees newest first.
		if got := sessionIDs(t, bob, "", nil); strings.Join(got, ",") != strings.Join([]string{ids[3], ids[2], ids[1], ids[0]}, ",") {
			t.Fatalf("Bob's inbox: %v", got)
		}
		ann.MustDo(pin, Vars{"c": ids[1], "p": false}, nil)
		if got := sessionIDs(t, ann, "", nil); got[0] != ids[0] || got[1] != ids[3] {
			t.Fatalf("after unpinning: %v", got)
		}
	})
}

func TestMutedSessionsAreDotsInTheBadges(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		sms := createChannel(t, env, "SMS", "SMS", ann.ID)
		s1, _ := customerWrites(t, env, sms, "+15550100021", "M1", "hi")
		customerWrites(t, env, sms, "+15550100022", "M2", "hi")
		mute := `mutation($c:ID!,$m:Boolean!){ setMuted(conversationId:$c, muted:$m){ badge } }`
		for _, c := range []*apitest.Client{ann, env.Admin} {
			c.MustDo(mute, Vars{"c": s1, "m": true}, nil)
			if st := state(t, c, s1); st.Badge != "DOT" {
				t.Fatalf("a muted unread session shows %s", st.Badge)
			}
			if b := badgesOf(t, c); b.ExternalUnread != 1 || b.MutedWithUnread != 1 || b.Total != 1 {
				t.Fatalf("badges with a muted session: %+v", b)
			}
		}
		ann.MustDo(mute, Vars{"c": s1, "m": false}, nil)
		if b := badgesOf(t, ann); b.ExternalUnread != 2 || b.MutedWithUnread != 0 || b.Total != 2 {
			t.Fatalf("badges after unmuting: %+v", b)
		}
		if b := badgesOf(t, env.Admin); b.ExternalUnread != 1 || b.MutedWithUnread != 1 {
			t.Fatalf("the admin's mute is the admin's: %+v", b)
		}
	})
}

func TestBadgesHaveAStableIDLiveOnAnotherDevice(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		sms := createChannel(t, env, "SMS", "SMS", ann.ID)
		var q struct{ Badges struct{ ID string } }
		ann.MustDo(`{ badges { id } }`, nil, &q)
		if q.Badges.ID != "badges:"+ann.ID {
			t.Fatalf("badges id %q", q.Badges.ID)
		}
		var other struct{ Badges struct{ ID string } }
		env.Admin.MustDo(`{ badges { id } }`, nil, &other)
		if other.Badges.ID == q.Badges.ID {
			t.Fatal("two users share a badges id")
		}
		// Ann's phone hears what her desktop's query named.
		phone := ann.Connect().Subscribe(`subscription { badgesUpdated { id externalUnread } }`, nil)
		time.Sleep(100 * time.Millisecond)
		customerWrites(t, env, sms, "+15550100031", "B1", "hi")
		var b struct {
			BadgesUpdated struct {
				ID             string
				ExternalUnread int
			}
		}
		for deadline := time.Now().Add(wait); b.BadgesUpdated.ExternalUnread != 1; {
			if time.Now().After(deadline) {
				t.Fatal("no live badges")
			}
			phone.Next(wait).Decode(t, &b)
		}
		if b.BadgesUpdated.ID != q.Badges.ID {
			t.Fatalf("live badges id %q, query's %q", b.BadgesUpdated.ID, q.Badges.ID)
		}
	})
}

// TestReadmeFirstQueryWorksForEveryRole runs the README's first query
// (its first GraphQL block that is a query) as each role.
func TestReadmeFirstQueryWorksForEveryRole(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)[strings.Index(string(readme), "## A first query and a first subscription"):]
	var first string
	for _, block := range strings.Split(section, "```graphql\n")[1:] {
		if q := block[:strings.Index(block, "```")]; strings.HasPrefix(q, "{") {
			first = q
			break
		}
	}
	if !strings.Contains(first, "badges") {
		t.Fatalf("no first query in README: %q", first)
	}
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		for _, c := range []*apitest.Client{env.NewUser("MEMBER", "Mia"), env.NewUser("AGENT", "Ann"), env.Admin} {
			var out struct{ Me struct{ Role string } }
			c.MustDo(first, nil, &out)
			if out.Me.Role == "" {
				t.Fatal("no me")
			}
		}
	})
}
