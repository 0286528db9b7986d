// Package demo fills an empty Parley with a small organisation — people,
// group and direct chats with history, one channel of each kind with
// customers writing in — so the playground has something to show. It goes
// through the same services as the API: the data is what real use makes.
package demo

import (
	"context"
	"fmt"
	"strings"

	"parley/ent"
	entchannel "parley/ent/channel"
	"parley/ent/schema"
	"parley/ent/schema/pulid"
	"parley/ent/setting"
	"parley/ent/user"
	"parley/server/auth"
	"parley/server/chat"
	"parley/server/inbox"
	"parley/server/users"
)

// Password is every demo user's password.
const Password = "parley-demo"

const seededKey = "demo.seeded"

// Deps are the services the seed uses.
type Deps struct {
	DB    *ent.Client
	Auth  *auth.Service
	Users *users.Service
	Chat  *chat.Service
	Inbox *inbox.Service
}

type person struct {
	name, email, ext string
	role             user.Role
}

var people = []person{
	{"Ada Admin", "admin@demo.parley", "100", user.RoleADMIN},
	{"Alex Agent", "alex@demo.parley", "201", user.RoleAGENT},
	{"Bea Agent", "bea@demo.parley", "202", user.RoleAGENT},
	{"Mo Member", "mo@demo.parley", "301", user.RoleMEMBER},
	{"Nia Member", "nia@demo.parley", "302", user.RoleMEMBER},
}

// Seed creates the demo organisation unless it exists, and returns the
// logins to print.
func Seed(ctx context.Context, d Deps) (string, error) {
	done, err := d.DB.Setting.Query().Where(setting.Key(seededKey)).Exist(ctx)
	if err != nil {
		return "", err
	}
	if !done {
		if err := seed(ctx, d); err != nil {
			return "", err
		}
		if err := d.DB.Setting.Create().SetKey(seededKey).SetValue("1").Exec(ctx); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	b.WriteString("\nParley demo organisation — log in with any of these (password " + Password + "):\n")
	for _, p := range people {
		fmt.Fprintf(&b, "  %-7s %-12s %s\n", p.role, p.name, p.email)
	}
	b.WriteString("Open the playground at / and run:\n  mutation { login(email: \"alex@demo.parley\", password: \"" + Password + "\") { token } }\n\n")
	return b.String(), nil
}

func seed(ctx context.Context, d Deps) error {
	ids := map[string]*auth.Viewer{}
	for _, p := range people {
		u, err := d.DB.User.Query().Where(user.Email(p.email)).Only(ctx)
		if ent.IsNotFound(err) {
			hash, herr := d.Auth.HashPassword(Password)
			if herr != nil {
				return herr
			}
			u, err = d.DB.User.Create().SetName(p.name).SetEmail(p.email).SetExtension(p.ext).
				SetRole(p.role).SetPasswordHash(hash).Save(ctx)
		}
		if err != nil {
			return err
		}
		ids[p.email] = &auth.Viewer{UserID: u.ID, Role: u.Role}
	}
	ada, alex, bea := ids["admin@demo.parley"], ids["alex@demo.parley"], ids["bea@demo.parley"]
	mo, nia := ids["mo@demo.parley"], ids["nia@demo.parley"]
	say := func(v *auth.Viewer, conv pulid.ID, text string) error {
		in := chat.SendInput{ConversationID: conv, Text: &text}
		if conv.Prefix() == "se" {
			_, err := d.Inbox.Send(ctx, v, in)
			return err
		}
		_, err := d.Chat.Send(ctx, v, in)
		return err
	}

	// Internal chat: a team group, a direct chat, an @mention, some unread.
	team, err := d.Chat.CreateGroup(ctx, ada, "Launch team", []pulid.ID{alex.UserID, bea.UserID, mo.UserID, nia.UserID})
	if err != nil {
		return err
	}
	for _, m := range []struct {
		v    *auth.Viewer
		text string
	}{
		{ada, "Morning all! Launch is on Thursday 🚀"},
		{mo, "Slides are in the shared drive."},
		{nia, "@Alex Agent can you take the support rota on launch day?"},
		{alex, "Sure, Bea and I will split it."},
		{bea, "👍 I'll take the afternoon."},
	} {
		if err := say(m.v, team.ID, m.text); err != nil {
			return err
		}
	}
	dm, err := d.Chat.CreateDirect(ctx, alex, bea.UserID)
	if err != nil {
		return err
	}
	if err := say(alex, dm.ID, "Coffee at 3?"); err != nil {
		return err
	}
	if err := say(bea, dm.ID, "Yes please ☕"); err != nil {
		return err
	}

	// External chat: one channel of each kind, both agents granted.
	agents := []pulid.ID{alex.UserID, bea.UserID}
	channels := map[entchannel.Kind]pulid.ID{}
	for _, c := range Channels {
		name, page := c.Name, c.PageName
		in := inbox.ChannelInput{Kind: c.Kind, Name: &name, PageName: &page, AgentIDs: agents, Credentials: c.Credentials}
		if c.ExternalID != "" {
			ext := c.ExternalID
			in.ExternalID = &ext
		}
		ch, err := d.Inbox.CreateChannel(ctx, ada, in)
		if err != nil {
			return err
		}
		channels[c.Kind] = ch.ID
	}
	inbound := []struct {
		kind       entchannel.Kind
		who, name  string
		texts      []string
		answeredBy *auth.Viewer
		answer     string
	}{
		{entchannel.KindSMS, "+15550142", "Carla Diaz", []string{"Hi, is my sofa order shipped?", "Order 1042"}, alex, "It left the warehouse this morning, Carla!"},
		{entchannel.KindWHATSAPP, WhatsAppCustomer, "Dmitri Ivanov", []string{"Do you deliver on Saturdays?"}, nil, ""},
		{entchannel.KindMESSENGER, "psid-2001", "", []string{"Is the oak table still available?"}, bea, "Yes — in two sizes."},
		{entchannel.KindINSTAGRAM, "sophie.shops", "Sophie", []string{"Love this chair! Price?"}, nil, ""},
	}
	for i, in := range inbound {
		var sessionID pulid.ID
		for j, text := range in.texts {
			info := inbox.ContactInfo{ExternalID: in.who}
			if in.name != "" {
				info.DisplayName = &in.name
			} else {
				info.PrivacyRestricted = true
			}
			switch {
			case strings.HasPrefix(in.who, "+"):
				info.Phone = &in.who
			case in.kind == entchannel.KindWHATSAPP: // a wa_id: the number's digits
				phone := "+" + in.who
				info.Phone = &phone
			default:
				info.Nickname = &in.who
			}
			text := text
			m, err := d.Inbox.Receive(ctx, inbox.Inbound{ChannelID: channels[in.kind], Contact: info,
				ProviderMessageID: fmt.Sprintf("demo-%d-%d", i, j), Text: &text})
			if err != nil {
				return err
			}
			sessionID = m.ConversationID
		}
		if in.answeredBy != nil {
			if err := say(in.answeredBy, sessionID, in.answer); err != nil {
				return err
			}
		}
	}
	// A comment under an Instagram post, for replyToComment.
	url, caption, comment := "https://www.instagram.com/p/demo1/", "Our new oak chair", "Does it come in white?"
	nick := "sophie.shops"
	if _, err := d.Inbox.Receive(ctx, inbox.Inbound{ChannelID: channels[entchannel.KindINSTAGRAM], Kind: "COMMENT",
		Contact: inbox.ContactInfo{ExternalID: nick, Nickname: &nick}, ProviderMessageID: "demo-comment-1", Text: &comment,
		Post: &schema.Post{ID: "demo1", URL: &url, Text: &caption}}); err != nil {
		return err
	}
	carla, err := d.Inbox.CreateCustomer(ctx, alex, inbox.CustomerInput{Name: "Carla Diaz", Phones: []string{"+15550142"}, Emails: []string{"carla@example.com"}})
	if err != nil {
		return err
	}
	if _, err := d.Inbox.CreateDocument(ctx, alex, inbox.DocumentInput{CustomerID: carla.ID, Kind: "ORDER", Title: "Blue sofa, 3 seats"}); err != nil {
		return err
	}
	if _, err := d.Inbox.CreateCanned(ctx, ada, "/hours", "We're open Monday to Saturday, 9:00 to 18:00.", true); err != nil {
		return err
	}
	_, err = d.Inbox.CreateCanned(ctx, alex, "/thanks", "Thanks for your patience!", false)
	return err
}
