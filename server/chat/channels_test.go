package chat_test

import (
	"strings"
	"testing"

	"parley/server/apitest"
)

func TestChannelsAreManagedByAdmins(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		agent, member := env.NewUser("AGENT", "Agnes"), env.NewUser("MEMBER", "Mia")
		create := `mutation($in:CreateChannelInput!){ createChannel(input:$in){ id kind name connected maxFileSize autoCloseAfterHours fileRetentionHours agents { id } } }`
		agent.MustFail("FORBIDDEN", create, Vars{"in": Vars{"kind": "SMS", "name": "SMS"}})
		type chView struct {
			ID, Kind, Name      string
			Connected           bool
			MaxFileSize         int
			AutoCloseAfterHours *int
			FileRetentionHours  int
			Agents              []struct{ ID string }
		}
		defaults := map[string][2]int{ // max file size, auto-close hours (0: off)
			"SMS": {100 << 20, 0}, "WHATSAPP": {100 << 20, 24}, "MESSENGER": {25 << 20, 0},
			"INSTAGRAM": {10 << 20, 0}, "LIVE_CHAT": {10 << 20, 0},
		}
		ids := map[string]string{}
		for kind, want := range defaults {
			var out struct{ CreateChannel chView }
			env.Admin.MustDo(create, Vars{"in": Vars{"kind": kind, "name": kind + " line", "agentIds": []string{agent.ID},
				"credentials": Vars{"accessToken": "secret-" + kind}}}, &out)
			c := out.CreateChannel
			auto := 0
			if c.AutoCloseAfterHours != nil {
				auto = *c.AutoCloseAfterHours
			}
			if c.MaxFileSize != want[0] || auto != want[1] || c.FileRetentionHours != 72 || !c.Connected || len(c.Agents) != 1 {
				t.Errorf("%s defaults: %+v", kind, c)
			}
			ids[kind] = c.ID
		}
		// Credentials cannot be read back: the type has no such field.
		var intro struct {
			Type struct{ Fields []struct{ Name string } } `json:"__type"`
		}
		env.Admin.MustDo(`{ __type(name:"Channel"){ fields { name } } }`, nil, &intro)
		for _, f := range intro.Type.Fields {
			if strings.Contains(strings.ToLower(f.Name), "credential") || strings.Contains(strings.ToLower(f.Name), "token") {
				t.Fatalf("Channel exposes %s", f.Name)
			}
		}
		update := `mutation($id:ID!,$in:UpdateChannelInput!){ updateChannel(id:$id, input:$in){ name maxFileSize autoCloseAfterHours fileRetentionHours } }`
		var up struct{ UpdateChannel chView }
		env.Admin.MustDo(update, Vars{"id": ids["SMS"], "in": Vars{"name": "Support SMS", "maxFileSize": 5 << 20, "autoCloseAfterHours": 48, "fileRetentionHours": 24}}, &up)
		if u := up.UpdateChannel; u.Name != "Support SMS" || u.MaxFileSize != 5<<20 || *u.AutoCloseAfterHours != 48 || u.FileRetentionHours != 24 {
			t.Fatalf("updated: %+v", u)
		}
		env.Admin.MustDo(update, Vars{"id": ids["SMS"], "in": Vars{"autoCloseAfterHours": 0}}, &up)
		if up.UpdateChannel.AutoCloseAfterHours != nil {
			t.Fatal("autoCloseAfterHours 0 did not turn auto-close off")
		}
		env.Admin.MustFail("BAD_USER_INPUT", update, Vars{"id": ids["WHATSAPP"], "in": Vars{"autoCloseAfterHours": 48}})
		env.Admin.MustFail("BAD_USER_INPUT", update, Vars{"id": ids["SMS"], "in": Vars{"maxFileSize": 101 << 20}})
		env.Admin.MustFail("BAD_USER_INPUT", update, Vars{"id": ids["SMS"], "in": Vars{"name": " "}})
		agent.MustFail("FORBIDDEN", update, Vars{"id": ids["SMS"], "in": Vars{"name": "mine"}})

		setAgents := `mutation($c:ID!,$u:[ID!]!){ setChannelAgents(channelId:$c, userIds:$u){ agents { id } } }`
		env.Admin.MustFail("BAD_USER_INPUT", setAgents, Vars{"c": ids["SMS"], "u": []string{member.ID}})
		env.Admin.MustDo(setAgents, Vars{"c": ids["SMS"], "u": []string{}}, nil)
		// The agent now works in four channels; an admin sees all five; a member none.
		count := func(c *apitest.Client) int {
			var out struct{ Channels []struct{ ID string } }
			c.MustDo(`{ channels { id } }`, nil, &out)
			return len(out.Channels)
		}
		if n := count(agent); n != 4 {
			t.Fatalf("agent's channels = %d", n)
		}
		if n := count(env.Admin); n != 5 {
			t.Fatalf("admin's channels = %d", n)
		}
		member.MustFail("FORBIDDEN", `{ channels { id } }`, nil)

		reconnect := `mutation($id:ID!){ reconnectChannel(id:$id, input:{accessToken:"new"}){ connected } }`
		agent.MustFail("FORBIDDEN", reconnect, Vars{"id": ids["WHATSAPP"]})
		env.Admin.MustDo(reconnect, Vars{"id": ids["WHATSAPP"]}, nil)
	})
}

func TestTheStandardPlanHasNoExternalChat(t *testing.T) {
	apitest.RunWith(t, apitest.Options{Plan: "STANDARD"}, func(t *testing.T, env *apitest.Env) {
		agent := env.NewUser("AGENT", "Agnes")
		for _, q := range []string{
			`mutation { createChannel(input:{kind:SMS, name:"x"}){ id } }`,
			`{ sessions { totalCount } }`,
			`{ channels { id } }`,
			`{ customers { totalCount } }`,
			`mutation { createCustomer(input:{name:"x"}){ id } }`,
			`mutation { startLiveChat(channelId:"cn00000000000000000000000000"){ token } }`,
		} {
			for _, c := range []*apitest.Client{env.Admin, agent} {
				c.MustFail("PLAN_REQUIRED", q, nil)
			}
		}
		env.Anonymous().MustFail("PLAN_REQUIRED", `mutation { startLiveChat(channelId:"cn00000000000000000000000000"){ token } }`, nil)
		var plan struct{ Plan string }
		agent.MustDo(`{ plan }`, nil, &plan)
		if plan.Plan != "STANDARD" {
			t.Fatalf("plan = %s", plan.Plan)
		}
		// Internal chat works as ever.
		send(t, agent, directChat(t, agent, env.Admin.ID), "internal is fine")
		if b := badgesOf(t, env.Admin); b.InternalUnread != 1 {
			t.Fatalf("badges = %+v", b)
		}
	})
}

func TestCannedResponses(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("AGENT", "Ann"), env.NewUser("AGENT", "Bob")
		create := `mutation($s:String!,$t:String!,$sh:Boolean){ createCannedResponse(input:{shortcut:$s, text:$t, shared:$sh}){ id shortcut shared } }`
		ann.MustFail("FORBIDDEN", create, Vars{"s": "hi", "t": "Hello!", "sh": true})
		var mine, shared struct{ CreateCannedResponse struct{ ID string } }
		ann.MustDo(create, Vars{"s": "/thanks", "t": "Thanks for waiting!"}, &mine)
		env.Admin.MustDo(create, Vars{"s": "/hours", "t": "We are open 9 to 5.", "sh": true}, &shared)
		ann.MustFail("CONFLICT", create, Vars{"s": "/THANKS", "t": "again"})
		ann.MustFail("BAD_USER_INPUT", create, Vars{"s": "two words", "t": "x"})
		list := func(c *apitest.Client, search string) []string {
			var out struct{ CannedResponses []struct{ Shortcut string } }
			c.MustDo(`query($s:String){ cannedResponses(search:$s){ shortcut } }`, Vars{"s": search}, &out)
			var ss []string
			for _, r := range out.CannedResponses {
				ss = append(ss, r.Shortcut)
			}
			return ss
		}
		if got := list(ann, ""); jsonOf(got) != `["/hours","/thanks"]` {
			t.Fatalf("Ann sees %v", got)
		}
		if got := list(bob, ""); jsonOf(got) != `["/hours"]` {
			t.Fatalf("Bob sees %v (personal responses are personal)", got)
		}
		if got := list(ann, "OPEN 9"); jsonOf(got) != `["/hours"]` {
			t.Fatalf("search by text: %v", got)
		}
		if got := list(ann, "/than"); jsonOf(got) != `["/thanks"]` {
			t.Fatalf("search by shortcut: %v", got)
		}
		del := `mutation($id:ID!){ deleteCannedResponse(id:$id) }`
		bob.MustFail("FORBIDDEN", del, Vars{"id": shared.CreateCannedResponse.ID})
		bob.MustFail("NOT_FOUND", del, Vars{"id": mine.CreateCannedResponse.ID})
		ann.MustDo(del, Vars{"id": mine.CreateCannedResponse.ID}, nil)
		env.Admin.MustDo(del, Vars{"id": shared.CreateCannedResponse.ID}, nil)
		if got := list(ann, ""); len(got) != 0 {
			t.Fatalf("after deleting: %v", got)
		}
	})
}

// A channel's id is public (it sits in the Live Chat snippet); who works it
// is for admins and those agents only.
func TestChannelAgentsOnlyForAdminsAndTheChannelsAgents(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		alex, bea := env.NewUser("AGENT", "Alex"), env.NewUser("AGENT", "Bea")
		site := createChannel(t, env, "LIVE_CHAT", "Site", alex.ID)
		type agents struct {
			Agents []struct{ Name, Email string }
		}
		var started struct {
			StartLiveChat struct {
				Token   string
				Session struct {
					ID      string
					Channel agents
				}
			}
		}
		env.Anonymous().MustDo(`mutation($c:ID!){ startLiveChat(channelId:$c){ token session { id channel { agents { name email } } } } }`,
			Vars{"c": site}, &started)
		if got := started.StartLiveChat.Session.Channel.Agents; len(got) != 0 {
			t.Fatalf("anyone lists the channel's agents: %+v", got)
		}
		s := started.StartLiveChat.Session.ID
		visitor := env.WithToken(started.StartLiveChat.Token)
		visitor.MustDo(`mutation($c:ID!){ sendMessage(input:{conversationId:$c, text:"hi"}){ id } }`, Vars{"c": s}, nil)
		// Bea has no access to the channel, but the session is forwarded to her.
		alex.MustDo(`mutation($s:ID!,$u:ID!){ forwardSession(input:{sessionId:$s, toUserId:$u}){ id } }`, Vars{"s": s, "u": bea.ID}, nil)
		q := `query($s:ID!){ node(id:$s){ ... on Session { channel { agents { name email } } } } }`
		for who, c := range map[string]*apitest.Client{"visitor": visitor, "Bea": bea} {
			var out struct{ Node *struct{ Channel agents } }
			c.MustDo(q, Vars{"s": s}, &out)
			if out.Node == nil || len(out.Node.Channel.Agents) != 0 {
				t.Fatalf("%s lists the channel's agents: %+v", who, out.Node)
			}
		}
		for who, c := range map[string]*apitest.Client{"Alex": alex, "admin": env.Admin} {
			var out struct{ Node *agents }
			c.MustDo(`query($c:ID!){ node(id:$c){ ... on Channel { agents { name email } } } }`, Vars{"c": site}, &out)
			if out.Node == nil || len(out.Node.Agents) != 1 || out.Node.Agents[0].Name != "Alex" {
				t.Fatalf("%s sees the agents as %+v", who, out.Node)
			}
		}
	})
}
