package whatsapp

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"parley/server/channel"
)

// Bounds on the text kept of an inbound message.
const (
	maxText     = 16384 // runes of a message's text
	maxName     = 256   // runes of a name, filename or title
	maxMIME     = 128
	maxURL      = 2048
	maxCards    = 20 // shared contacts described
	maxPhones   = 10 // phones of one shared contact
	maxKindName = 32 // runes of an unknown type's name
)

// unreadable is the text of a message Parley has no way to show.
const unreadable = "The customer sent a message WhatsApp does not support"

// readMessage reads one message of a change. Every message with an id and
// a sender arrives: one of a type Parley does not know (or whose body it
// cannot read) with ProviderKind saying what it was.
func readMessage(raw json.RawMessage, senders []sender) (channel.InboundMessage, bool) {
	var h head
	if json.Unmarshal(raw, &h) != nil || !validID(h.ID) {
		return channel.InboundMessage{}, false
	}
	from, ok := contact(h, senders)
	if !ok {
		return channel.InboundMessage{}, false // no customer to put it under
	}
	m := channel.InboundMessage{ProviderID: h.ID, Contact: from}
	if validID(h.Context.ID) {
		m.ReplyToProviderID = h.Context.ID
	}
	var body message
	if json.Unmarshal(raw, &body) != nil {
		m.ProviderKind, m.Text = kindName(h.Type), unreadable
		return m, true
	}
	if !fill(&m, h.Type, body) {
		return channel.InboundMessage{}, false
	}
	m.Text = bound(m.Text, maxText)
	return m, true
}

// fill puts what a message of a type says into m; false drops an event
// that cannot stand (a reaction to no message).
func fill(m *channel.InboundMessage, typ string, b message) bool {
	switch typ {
	case "text":
		m.Kind = channel.KindText
		if b.Text != nil {
			m.Text = b.Text.Body
		}
	case "image":
		m.Kind = channel.KindImage
		attach(m, b.Image)
	case "sticker":
		m.Kind, m.ProviderKind = channel.KindImage, "sticker"
		attach(m, b.Sticker)
	case "audio", "voice": // a voice note is audio with voice:true
		m.Kind = channel.KindAudio
		attach(m, b.Audio)
	case "video":
		m.Kind = channel.KindVideo
		attach(m, b.Video)
	case "document":
		m.Kind = channel.KindFile
		attach(m, b.Document)
	case "reaction":
		if b.Reaction == nil || !validID(b.Reaction.MessageID) || len(b.Reaction.Emoji) > 64 {
			return false
		}
		m.Reaction = &channel.Reaction{ToProviderID: b.Reaction.MessageID, Emoji: b.Reaction.Emoji}
	case "location":
		m.ProviderKind, m.Text = "location", location(b)
	case "contacts":
		m.ProviderKind, m.Text = "contacts", cards(b.Contacts)
	case "button":
		m.ProviderKind = "button"
		if b.Button != nil {
			m.Text = first(b.Button.Text, b.Button.Payload)
		}
	case "interactive":
		m.ProviderKind, m.Text = "interactive", interactive(b)
	case "order":
		m.ProviderKind, m.Text = "order", order(b)
	case "system":
		m.ProviderKind, m.Text = "system", "WhatsApp says the customer's account changed"
		if b.System != nil && strings.TrimSpace(b.System.Body) != "" {
			m.Text = b.System.Body
		}
	default: // unsupported, unknown, and types newer than this code
		m.ProviderKind, m.Text = kindName(typ), unreadable
	}
	return true
}

// attach adds the file a media message carries, and its caption.
func attach(m *channel.InboundMessage, md *media) {
	if md == nil {
		return
	}
	m.Text = md.Caption
	ref := channel.MediaRef{ContentType: bound(md.MimeType, maxMIME), Filename: filename(md.Filename)}
	if validID(md.ID) {
		ref.ID = md.ID
	}
	if u, err := url.Parse(md.URL); err == nil && len(md.URL) <= maxURL && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		ref.URL = md.URL // newer payloads; id stays the way to fetch it
	}
	if ref.ID != "" || ref.URL != "" {
		m.Media = []channel.MediaRef{ref}
	}
}

// filename keeps the last element of a customer's filename, bounded and
// without control characters.
func filename(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return bound(strings.TrimSpace(s), maxName)
}

// contact is the customer who sent a message: its wa_id (or, when
// WhatsApp does not share the number, its user_id), with the profile name
// of the matching entry of value.contacts (or the first one).
func contact(h head, senders []sender) (channel.InboundContact, bool) {
	var match *sender
	for i := range senders {
		s := &senders[i]
		if h.From != "" && s.WaID == h.From || h.FromUserID != "" && s.UserID == h.FromUserID {
			match = s
			break
		}
	}
	if match == nil && len(senders) > 0 {
		match = &senders[0]
	}
	c := channel.InboundContact{ExternalID: first(h.From, h.FromUserID)}
	if match != nil {
		c.ExternalID = first(c.ExternalID, match.WaID, match.UserID)
		c.Name = bound(strings.TrimSpace(match.Profile.Name), maxName)
	}
	if !validID(c.ExternalID) {
		return channel.InboundContact{}, false
	}
	if digits(c.ExternalID) {
		c.Phone = "+" + c.ExternalID
	}
	return c, true
}

func digits(s string) bool {
	if len(s) < 3 || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func first(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

func kindName(typ string) string {
	typ = bound(strings.TrimSpace(typ), maxKindName)
	if typ == "" {
		return "unknown"
	}
	return typ
}

func location(b message) string {
	const shared = "📍 The customer shared a location"
	l := b.Location
	if l == nil {
		return shared
	}
	var place []string
	for _, s := range []string{l.Name, l.Address} {
		if s = strings.TrimSpace(s); s != "" {
			place = append(place, bound(s, maxName))
		}
	}
	text := strings.Join(place, ", ")
	if l.Latitude != "" && l.Longitude != "" {
		text = strings.TrimSpace(text + " (" + string(l.Latitude) + ", " + string(l.Longitude) + ")")
	}
	if text == "" {
		return shared
	}
	return "📍 " + text
}

// cards describes shared contacts, one a line: "👤 Name: +1 555…, …".
func cards(cs []card) string {
	var lines []string
	for i, c := range cs {
		if i >= maxCards {
			lines = append(lines, fmt.Sprintf("… and %d more", len(cs)-maxCards))
			break
		}
		name := first(c.Name.FormattedName, strings.TrimSpace(c.Name.FirstName+" "+c.Name.LastName), "(no name)")
		var phones []string
		for j, p := range c.Phones {
			if j >= maxPhones {
				break
			}
			if p := strings.TrimSpace(p.Phone); p != "" {
				phones = append(phones, bound(p, 32))
			}
		}
		line := "👤 " + bound(strings.TrimSpace(name), maxName)
		if len(phones) > 0 {
			line += ": " + strings.Join(phones, ", ")
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return "👤 The customer shared a contact"
	}
	return strings.Join(lines, "\n")
}

func interactive(b message) string {
	i := b.Interactive
	switch {
	case i == nil:
	case i.ButtonReply != nil:
		return first(i.ButtonReply.Title, i.ButtonReply.ID)
	case i.ListReply != nil:
		t := first(i.ListReply.Title, i.ListReply.ID)
		if d := strings.TrimSpace(i.ListReply.Description); d != "" {
			t += " — " + d
		}
		return t
	case i.NfmReply != nil:
		return first(i.NfmReply.Body, "The customer answered a form")
	}
	return "The customer answered an interactive message"
}

func order(b message) string {
	if b.Order == nil {
		return "🛒 The customer sent an order"
	}
	text := fmt.Sprintf("🛒 The customer sent an order of %d items", len(b.Order.ProductItems))
	if t := strings.TrimSpace(b.Order.Text); t != "" {
		text += ": " + t
	}
	return text
}
