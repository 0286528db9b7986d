package chat_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/server/apitest"
)

func createCustomer(t *testing.T, c *apitest.Client, name string, phones, emails []string) string {
	t.Helper()
	var out struct{ CreateCustomer struct{ ID string } }
	c.MustDo(`mutation($n:String!,$p:[String!],$e:[String!]){ createCustomer(input:{name:$n, phones:$p, emails:$e}){ id } }`,
		Vars{"n": name, "p": phones, "e": emails}, &out)
	return out.CreateCustomer.ID
}

func TestCustomersLinksAndDocuments(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann, bob := env.NewUser("AGENT", "Ann"), env.NewUser("AGENT", "Bob")
		sms := createChannel(t, env, "SMS", "SMS", ann.ID, bob.ID)
		wa := createChannel(t, env, "WHATSAPP", "WA", ann.ID)
		carla := createCustomer(t, ann, "Carla Diaz", []string{"+1 (555) 010-0500"}, []string{"Carla@Example.com"})
		createCustomer(t, ann, "Dmitri Ivanov", []string{"+44 20 7946 0000"}, nil)
		ann.MustFail("BAD_USER_INPUT", `mutation{ createCustomer(input:{name:"x", phones:["call me"]}){ id } }`, nil)
		ann.MustFail("BAD_USER_INPUT", `mutation{ createCustomer(input:{name:" "}){ id } }`, nil)
		env.NewUser("MEMBER", "Mia").MustFail("FORBIDDEN", `{ customers { totalCount } }`, nil)
		search := func(q string) []string {
			var out struct {
				Customers struct {
					Edges []struct{ Node struct{ Name string } }
				}
			}
			ann.MustDo(`query($s:String){ customers(search:$s){ edges { node { name } } } }`, Vars{"s": q}, &out)
			var ns []string
			for _, e := range out.Customers.Edges {
				ns = append(ns, e.Node.Name)
			}
			return ns
		}
		for q, want := range map[string]string{"diaz": "Carla Diaz", "555-010-0500": "Carla Diaz", "15550100500": "Carla Diaz",
			"carla@example": "Carla Diaz", "7946": "Dmitri Ivanov"} {
			if got := search(q); len(got) != 1 || got[0] != want {
				t.Errorf("search %q = %v, want [%s]", q, got, want)
			}
		}
		if got := search(""); len(got) != 2 || got[0] != "Carla Diaz" {
			t.Errorf("all customers: %v", got)
		}
		// Carla writes on SMS and on WhatsApp; both sessions link to her record.
		s1, _ := customerWrites(t, env, sms, "+15550100500", "SM1", "hi from SMS")
		s2, _ := customerWrites(t, env, wa, "+15550100500", "wamid.1", "hi from WhatsApp")
		link := `mutation($s:ID!,$c:ID!){ linkCustomer(sessionId:$s, customerId:$c){ customer { id name } } }`
		ann.MustDo(link, Vars{"s": s1, "c": carla}, nil)
		ann.MustDo(link, Vars{"s": s2, "c": carla}, nil)
		if v := session(t, ann, s1); v.Customer == nil || v.Customer.Name != "Carla Diaz" {
			t.Fatalf("linked session: %+v", v.Customer)
		}
		sessionsOf := func(c *apitest.Client) int {
			var out struct {
				Node struct{ Sessions []struct{ ID string } }
			}
			c.MustDo(`query($id:ID!){ node(id:$id){ ... on Customer { sessions { id } } } }`, Vars{"id": carla}, &out)
			return len(out.Node.Sessions)
		}
		if n := sessionsOf(ann); n != 2 {
			t.Fatalf("Ann sees %d of Carla's sessions, want 2", n)
		}
		if n := sessionsOf(bob); n != 1 { // Bob has no access to WhatsApp
			t.Fatalf("Bob sees %d of Carla's sessions, want 1", n)
		}
		// Documents, numbered per kind, from a session.
		doc := `mutation($c:ID!,$k:DocumentKind!,$t:String!,$s:ID){ createDocument(input:{customerId:$c, kind:$k, title:$t, sessionId:$s}){ number session { id } customer { name } } }`
		var d struct {
			CreateDocument struct {
				Number   string
				Session  *struct{ ID string }
				Customer struct{ Name string }
			}
		}
		ann.MustDo(doc, Vars{"c": carla, "k": "ORDER", "t": "Blue sofa", "s": s1}, &d)
		if d.CreateDocument.Number != "ORD-000001" || d.CreateDocument.Session.ID != s1 || d.CreateDocument.Customer.Name != "Carla Diaz" {
			t.Fatalf("document: %+v", d.CreateDocument)
		}
		// A document names the chat it came from only if that chat is the customer's.
		var lena struct{ CreateCustomer struct{ ID string } }
		ann.MustDo(`mutation{ createCustomer(input:{name:"Lena Berg"}){ id } }`, nil, &lena)
		s3, _ := customerWrites(t, env, sms, "+15550100600", "sm-lena", "hi, Lena here")
		ann.MustFail("BAD_USER_INPUT", doc, Vars{"c": lena.CreateCustomer.ID, "k": "ORDER", "t": "Not Lena's", "s": s1})
		ann.MustFail("BAD_USER_INPUT", doc, Vars{"c": lena.CreateCustomer.ID, "k": "ORDER", "t": "Not linked yet", "s": s3})
		ann.MustDo(doc, Vars{"c": carla, "k": "ESTIMATE", "t": "Delivery"}, &d)
		if d.CreateDocument.Number != "EST-000001" {
			t.Fatalf("first estimate: %s", d.CreateDocument.Number)
		}
		// Numbers stay unique when documents are made at once.
		var wg sync.WaitGroup
		numbers := make([]string, 6)
		for i := range numbers {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				var out struct{ CreateDocument struct{ Number string } }
				r := ann.Do(doc, Vars{"c": carla, "k": "ORDER", "t": fmt.Sprintf("Order %d", i)})
				if len(r.Errors) == 0 {
					_ = jsonUnmarshal(r.Data, &out)
				}
				numbers[i] = out.CreateDocument.Number
				if len(r.Errors) > 0 {
					numbers[i] += jsonOf(r.Errors)
				}
			}(i)
		}
		wg.Wait()
		seen := map[string]bool{}
		for _, n := range numbers {
			if seen[n] || len(n) != len("ORD-000002") {
				t.Fatalf("numbers: %v", numbers)
			}
			seen[n] = true
		}
		var docs struct {
			Node struct{ Documents []struct{ Number string } }
		}
		ann.MustDo(`query($id:ID!){ node(id:$id){ ... on Customer { documents { number } } } }`, Vars{"id": carla}, &docs)
		if len(docs.Node.Documents) != 8 {
			t.Fatalf("Carla has %d documents", len(docs.Node.Documents))
		}
		ann.MustDo(`mutation($s:ID!){ unlinkCustomer(sessionId:$s){ id } }`, Vars{"s": s2}, nil)
		if v := session(t, ann, s2); v.Customer != nil {
			t.Fatal("unlink left the link")
		}
	})
}

func TestStartSessionAndEscalateToCall(t *testing.T) {
	runSMS(t, nil, func(t *testing.T, env *apitest.Env, rec *recorder) {
		ann := env.NewUser("AGENT", "Ann")
		sms := createChannel(t, env, "SMS", "SMS", ann.ID)
		fb := createChannel(t, env, "MESSENGER", "Page", ann.ID)
		carla := createCustomer(t, ann, "Carla Diaz", []string{"+15550100600"}, nil)
		start := `mutation($in:StartSessionInput!){ startSession(input:$in){ id assignee { id } customer { name } contact { phone displayName } lastMessage { id text status } } }`
		var out struct {
			StartSession struct {
				ID          string
				Assignee    struct{ ID string }
				Customer    *struct{ Name string }
				Contact     struct{ Phone, DisplayName string }
				LastMessage struct{ ID, Text, Status string }
			}
		}
		ann.MustDo(start, Vars{"in": Vars{"channelId": sms, "customerId": carla, "text": "Your sofa is ready"}}, &out)
		st := out.StartSession
		if st.Assignee.ID != ann.ID || st.Customer == nil || st.Contact.Phone != "+15550100600" || st.LastMessage.Text != "Your sofa is ready" {
			t.Fatalf("started: %+v", st)
		}
		waitStatus(t, ann, st.LastMessage.ID, "SENT")
		ann.MustFail("CANNOT_INITIATE", start, Vars{"in": Vars{"channelId": fb, "customerId": carla, "text": "hi"}})
		ann.MustFail("BAD_USER_INPUT", start, Vars{"in": Vars{"channelId": sms, "text": "to nobody"}})
		ann.MustFail("BAD_USER_INPUT", start, Vars{"in": Vars{"channelId": sms, "to": "+15550100601"}})
		ann.MustFail("BAD_USER_INPUT", start, Vars{"in": Vars{"channelId": sms, "to": "+15550100601", "text": "x", "template": Vars{"name": "t"}}})

		// Calling the customer uses the contact's number; the agent's devices hear of it.
		events := ann.Connect().Subscribe(`subscription { events { type call { id dialNumber media state startedBy { id } } } }`, nil)
		time.Sleep(100 * time.Millisecond)
		var call struct {
			EscalateToCall struct{ ID, DialNumber, Media, State string }
		}
		ann.MustDo(`mutation($s:ID!){ escalateToCall(sessionId:$s){ id dialNumber media state } }`, Vars{"s": st.ID}, &call)
		if c := call.EscalateToCall; c.DialNumber != "+15550100600" || c.Media != "PHONE" || c.State != "RINGING" {
			t.Fatalf("call: %+v", c)
		}
		for {
			r := events.Next(wait)
			var e struct {
				Events struct {
					Type string
					Call *struct{ ID string }
				}
			}
			r.Decode(t, &e)
			if e.Events.Type == "CALL_UPDATED" && e.Events.Call.ID == call.EscalateToCall.ID {
				break
			}
		}
		// A Messenger customer has no number until linked to a record with one.
		s, _ := customerWrites(t, env, fb, "psid-9", "m_9", "hello")
		rawContactPhone := env.App.DB.Contact.Update().ClearPhone().ExecX
		rawContactPhone(t.Context())
		ann.MustFail("BAD_USER_INPUT", `mutation($s:ID!){ escalateToCall(sessionId:$s){ id } }`, Vars{"s": s})
		ann.MustDo(`mutation($s:ID!,$c:ID!){ linkCustomer(sessionId:$s, customerId:$c){ id } }`, Vars{"s": s, "c": carla}, nil)
		ann.MustDo(`mutation($s:ID!){ escalateToCall(sessionId:$s){ dialNumber } }`, Vars{"s": s}, &call)
		if call.EscalateToCall.DialNumber != "+15550100600" {
			t.Fatalf("dialled %q", call.EscalateToCall.DialNumber)
		}
	})
}

// Documents created at once all succeed, numbered without gaps or repeats.
func TestConcurrentDocumentsAreNumberedInTurn(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		carla := createCustomer(t, ann, "Carla Diaz", nil, nil)
		const n = 20
		numbers := make(chan string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var out struct{ CreateDocument struct{ Number string } }
				r := ann.Do(`mutation($c:ID!,$t:String!){ createDocument(input:{customerId:$c, kind:ORDER, title:$t}){ number } }`,
					Vars{"c": carla, "t": fmt.Sprintf("order %d", i)})
				if len(r.Errors) > 0 {
					t.Errorf("createDocument: %+v", r.Errors)
					return
				}
				r.Decode(t, &out)
				numbers <- out.CreateDocument.Number
			}()
		}
		wg.Wait()
		close(numbers)
		seen := map[string]bool{}
		for num := range numbers {
			seen[num] = true
		}
		for i := 1; i <= n; i++ {
			if want := fmt.Sprintf("ORD-%06d", i); !seen[want] {
				t.Errorf("no %s among %d documents", want, len(seen))
			}
		}
	})
}

// Free-text inputs without a limit of their own are bounded, with a clear
// BAD_USER_INPUT, on both databases.
func TestInputsAreBounded(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		ann := env.NewUser("AGENT", "Ann")
		long := strings.Repeat("a", 50000)
		for _, q := range []string{
			`query($s:String){ users(search:$s){ totalCount } }`,
			`query($s:String){ customers(search:$s){ totalCount } }`,
			`query($s:String){ cannedResponses(search:$s){ id } }`,
		} {
			ann.MustFail("BAD_USER_INPUT", q, Vars{"s": long})
			ann.MustDo(q, Vars{"s": strings.Repeat("語", 200)}, nil)
		}
		create := `mutation($e:[String!]){ createCustomer(input:{name:"Carla", emails:$e}){ id } }`
		ann.MustFail("BAD_USER_INPUT", create, Vars{"e": []string{strings.Repeat("c", 310) + "@example.com"}})
		many := make([]string, 21)
		for i := range many {
			many[i] = fmt.Sprintf("c%d@example.com", i)
		}
		ann.MustFail("BAD_USER_INPUT", create, Vars{"e": many})
		ann.MustDo(create, Vars{"e": many[:20]}, nil)

		wa := createChannel(t, env, "WHATSAPP", "WhatsApp", ann.ID)
		start := `mutation($c:ID!,$t:TemplateInput!){ startSession(input:{channelId:$c, to:"+15550100900", template:$t}){ id } }`
		for _, tpl := range []Vars{
			{"name": strings.Repeat("n", 513)},
			{"name": "order_update", "language": strings.Repeat("l", 36)},
			{"name": "order_update", "parameters": []string{strings.Repeat("p", 1025)}},
			{"name": "order_update", "parameters": make([]string, 101)},
		} {
			ann.MustFail("BAD_USER_INPUT", start, Vars{"c": wa, "t": tpl})
		}
		ann.MustDo(start, Vars{"c": wa, "t": Vars{"name": "order_update", "language": "pt_BR", "parameters": []string{"Carla", "#1042"}}}, nil)
	})
}
