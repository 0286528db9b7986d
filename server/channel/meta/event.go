package meta

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"parley/server/channel"
)

// Event is one messaging[] (or standby[]) item of Messenger or Instagram:
// a message, an edit, a receipt, a reaction or a postback.
type Event struct {
	Sender    party    `json:"sender"`
	Recipient party    `json:"recipient"`
	Timestamp Time     `json:"timestamp"` // ms
	Message   *message `json:"message"`
	Edit      *struct {
		Mid  ID     `json:"mid"`
		Text string `json:"text"`
	} `json:"message_edit"`
	Delivery *struct {
		Mids      []ID `json:"mids"`
		Watermark Time `json:"watermark"`
	} `json:"delivery"`
	Read *struct {
		Mid       ID   `json:"mid"` // Instagram's messaging_seen
		Watermark Time `json:"watermark"`
	} `json:"read"`
	Reaction *struct {
		Mid      ID     `json:"mid"`
		Action   string `json:"action"`
		Emoji    string `json:"emoji"`
		Reaction string `json:"reaction"`
	} `json:"reaction"`
	Postback *struct {
		Mid   ID     `json:"mid"`
		Title string `json:"title"`
	} `json:"postback"`
}

type party struct {
	ID ID `json:"id"`
}

type message struct {
	Mid       ID     `json:"mid"`
	Text      string `json:"text"`
	IsEcho    bool   `json:"is_echo"`
	IsDeleted bool   `json:"is_deleted"` // Instagram's unsend
	Metadata  string `json:"metadata"`
	ReplyTo   *struct {
		Mid ID `json:"mid"`
	} `json:"reply_to"`
	Attachments []attachment `json:"attachments"`
}

type attachment struct {
	Type    string `json:"type"`
	Payload struct {
		URL       string `json:"url"`
		Title     string `json:"title"`
		StickerID ID     `json:"sticker_id"`
	} `json:"payload"`
}

// read adds what the event says to the part; an event Parley has no use
// for adds nothing.
func (ev Event) read(account string, p *Part) error {
	sender, err := ev.Sender.ID.Check()
	if err != nil {
		return err
	}
	recipient, err := ev.Recipient.ID.Check()
	if err != nil {
		return err
	}
	// The customer is whoever is not the account: the recipient of what
	// the page or account itself sent.
	customer, fromAccount := sender, false
	if sender == account || ev.Message != nil && ev.Message.IsEcho {
		customer, fromAccount = recipient, true
	}
	if customer == "" {
		return nil
	}
	contact := channel.InboundContact{ExternalID: customer}
	ts := int64(ev.Timestamp)
	switch {
	case ev.Message != nil:
		m, err := ev.Message.inbound(contact, fromAccount)
		if err != nil || m == nil {
			return err
		}
		p.Messages = append(p.Messages, *m)
	case ev.Edit != nil:
		mid, err := ev.Edit.Mid.Check()
		if err != nil || mid == "" {
			return err
		}
		p.Messages = append(p.Messages, channel.InboundMessage{ProviderID: mid, Contact: contact,
			Text: Text(ev.Edit.Text), Change: channel.ChangeEdit, Echo: fromAccount})
	case ev.Delivery != nil:
		if ev.Delivery.Watermark > 0 {
			p.Statuses = append(p.Statuses, watermark(channel.StatusDelivered, customer, ev.Delivery.Watermark))
			return nil
		}
		for i, id := range ev.Delivery.Mids {
			mid, err := id.Check()
			if err != nil {
				return err
			}
			if mid != "" && i < maxMids {
				p.Statuses = append(p.Statuses, channel.StatusUpdate{ProviderMessageID: mid, Status: channel.StatusDelivered})
			}
		}
	case ev.Read != nil:
		mid, err := ev.Read.Mid.Check()
		switch {
		case err != nil:
			return err
		case mid != "":
			p.Statuses = append(p.Statuses, channel.StatusUpdate{ProviderMessageID: mid, Status: channel.StatusRead, AndEarlier: true})
		case ev.Read.Watermark > 0:
			p.Statuses = append(p.Statuses, watermark(channel.StatusRead, customer, ev.Read.Watermark))
		}
	case ev.Reaction != nil:
		r := ev.Reaction
		mid, err := r.Mid.Check()
		if err != nil || mid == "" {
			return err
		}
		emoji := ""
		switch r.Action {
		case "react":
			if emoji = bounded(r.Emoji, 64); emoji == "" {
				emoji = reactionEmoji[r.Reaction]
			}
			if emoji == "" {
				return nil // a reaction Parley cannot show
			}
		case "unreact":
		default:
			return nil
		}
		id := "reaction:" + mid + ":" + digest(sender, recipient, r.Action, emoji, strconv.FormatInt(ts, 10))
		p.Messages = append(p.Messages, channel.InboundMessage{ProviderID: id, Contact: contact, Echo: fromAccount,
			Reaction: &channel.Reaction{ToProviderID: mid, Emoji: emoji}})
	case ev.Postback != nil:
		id, err := ev.Postback.Mid.Check()
		if err != nil {
			return err
		}
		if id == "" {
			if ts <= 0 {
				return nil // nothing to tell a retry from a new tap
			}
			id = "postback:" + customer + ":" + strconv.FormatInt(ts, 10)
		}
		p.Messages = append(p.Messages, channel.InboundMessage{ProviderID: id, Contact: contact, Echo: fromAccount,
			Text: Text(ev.Postback.Title), ProviderKind: "postback"})
	}
	return nil
}

func watermark(st channel.Status, customer string, ms Time) channel.StatusUpdate {
	return channel.StatusUpdate{Status: st, Contact: customer, Watermark: time.UnixMilli(int64(ms))}
}

// reactionEmoji are Messenger's named reactions, for an event without its emoji.
var reactionEmoji = map[string]string{
	"smile": "😆", "angry": "😠", "sad": "😢", "wow": "😮", "love": "😍", "like": "👍", "dislike": "👎",
}

// digest is a short stable hash of parts: synthetic ids stay the same on
// Meta's retries and differ between events.
func digest(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:8])
}

func bounded(s string, max int) string {
	if len(s) > max {
		return ""
	}
	return s
}

// inbound is a message event as Parley keeps it (nil: drop it).
func (m *message) inbound(contact channel.InboundContact, fromAccount bool) (*channel.InboundMessage, error) {
	mid, err := m.Mid.Check()
	if err != nil || mid == "" {
		return nil, err
	}
	if fromAccount && strings.HasPrefix(m.Metadata, OwnMetadata) {
		return nil, nil // Parley's own send coming back
	}
	in := &channel.InboundMessage{ProviderID: mid, Contact: contact, Echo: fromAccount}
	if m.IsDeleted {
		in.Change = channel.ChangeRemove
		return in, nil
	}
	if m.ReplyTo != nil {
		if in.ReplyToProviderID, err = m.ReplyTo.Mid.Check(); err != nil {
			return nil, err
		}
	}
	texts := []string{}
	if m.Text != "" {
		texts = append(texts, m.Text)
	}
	stickers, urls := map[string]bool{}, map[string]bool{}
	for _, a := range m.Attachments {
		if a.Type == "sticker" && a.Payload.StickerID != "" {
			stickers[string(a.Payload.StickerID)] = true
		}
	}
	for _, a := range m.Attachments {
		u := WebURL(a.Payload.URL)
		kind, file := fileKind(a.Type)
		sticker := a.Type == "sticker" || a.Type == "image" && a.Payload.StickerID != ""
		if a.Type == "image" && stickers[string(a.Payload.StickerID)] {
			continue // the old image twin of a new sticker attachment
		}
		if file && u != "" {
			if urls[u] || len(in.Media) >= maxMedia {
				continue
			}
			urls[u] = true
			if in.Kind == "" {
				in.Kind = kind
			}
			if sticker && in.ProviderKind == "" {
				in.ProviderKind = "sticker"
			}
			in.Media = append(in.Media, channel.MediaRef{URL: u, Filename: filename(a.Type, u)})
			continue
		}
		// A share, post, story mention, template...: what can be said of it.
		if in.ProviderKind == "" {
			in.ProviderKind = providerKind(a.Type)
		}
		if t := a.Payload.Title; t != "" && len(texts) < maxMedia {
			texts = append(texts, t)
		}
		if u != "" && len(texts) < maxMedia {
			texts = append(texts, u)
		}
	}
	in.Text = Text(strings.Join(texts, "\n"))
	if in.Text == "" && len(in.Media) == 0 && in.ProviderKind == "" {
		in.ProviderKind = "unsupported"
	}
	return in, nil
}

// fileKind is the kind of an attachment Parley fetches as a file.
func fileKind(t string) (channel.MessageKind, bool) {
	switch t {
	case "image", "sticker":
		return channel.KindImage, true
	case "video", "reel", "ig_reel":
		return channel.KindVideo, true
	case "audio":
		return channel.KindAudio, true
	case "file":
		return channel.KindFile, true
	}
	return "", false
}

// providerKind is Meta's attachment type when it is a plain word, else "unsupported".
func providerKind(t string) string {
	if t == "" || len(t) > 32 {
		return "unsupported"
	}
	for _, r := range t {
		if (r < 'a' || r > 'z') && r != '_' {
			return "unsupported"
		}
	}
	return t
}

// filename is a file attachment's name as its CDN URL spells it.
func filename(kind, u string) string {
	if kind != "file" {
		return ""
	}
	parsed, err := url.Parse(u)
	if err != nil {
		return ""
	}
	name := path.Base(parsed.Path)
	if !strings.Contains(name, ".") || len(name) > 200 {
		return ""
	}
	return name
}
