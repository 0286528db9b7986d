package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"parley/server/channel"
	"parley/server/channel/meta"
)

// ErrNoMedia refuses a reply with files when Parley has no way to link them.
var ErrNoMedia = errors.New("this WhatsApp reply cannot carry its files")

// errNothing refuses a message with neither text nor files.
var errNothing = errors.New("a WhatsApp message needs text, a file or a template")

// errNoRecipient is a contact with no WhatsApp id or phone.
var errNoRecipient = errors.New("the customer has no WhatsApp number to write to")

// Send implements channel.Provider. A template is one message; text is one
// text message; files are one WhatsApp message each, linked with MediaURL,
// the text riding as the caption of the first that takes one (or sent
// alone first when none does, or it is longer than a caption). It returns
// the id of the last message sent.
//
// When a later message of several fails, those before it have reached
// WhatsApp: the error is then final, never Temporary, so a retry of the
// whole reply cannot send them twice (the customer gets part of it).
func (p Provider) Send(ctx context.Context, out channel.Outbound) (string, error) {
	msgs, err := p.plan(out)
	if err != nil {
		return "", err
	}
	tok, err := token(out.Channel)
	if err != nil {
		return "", err
	}
	if out.Channel.ExternalID == "" {
		return "", channel.ErrSyncLost // no phone number id to send from
	}
	endpoint := p.Graph.URL(out.Channel.ExternalID, "messages")
	var id string
	for i, m := range msgs {
		var answer sendAnswer
		err := p.Graph.Call(ctx, http.MethodPost, endpoint, tok, m, &answer)
		if err == nil && (len(answer.Messages) == 0 || !validID(answer.Messages[0].ID)) {
			err = errors.New("WhatsApp did not say the message's id")
		}
		if err != nil {
			err = meta.Classify(err, "WhatsApp", explain)
			if i > 0 {
				return "", partial(i, len(msgs), err)
			}
			return "", err
		}
		id = answer.Messages[0].ID
	}
	return id, nil
}

// partial is the error of a reply whose first sent parts reached WhatsApp.
func partial(sent, total int, err error) error {
	what := fmt.Sprintf("WhatsApp took %d of the reply's %d messages, then refused one", sent, total)
	if errors.Is(err, channel.ErrSyncLost) {
		return fmt.Errorf("%s: %w", what, channel.ErrSyncLost)
	}
	return fmt.Errorf("%s: %s", what, err.Error()) // not wrapped: never Temporary
}

// plan is the WhatsApp messages a reply is sent as, in order.
func (p Provider) plan(out channel.Outbound) ([]outMessage, error) {
	to := recipient(out.Contact)
	if to == "" {
		return nil, errNoRecipient
	}
	base := func() outMessage {
		return outMessage{MessagingProduct: "whatsapp", RecipientType: "individual", To: to}
	}
	var msgs []outMessage
	switch {
	case out.Template != nil:
		m := base()
		m.Type, m.Template = "template", template(*out.Template)
		msgs = append(msgs, m)
	case len(out.Attachments) == 0:
		if strings.TrimSpace(out.Text) == "" {
			return nil, errNothing
		}
		msgs = append(msgs, textMessage(base(), out.Text))
	default:
		if p.MediaURL == nil {
			return nil, ErrNoMedia // not sent at all rather than without its files
		}
		caption := out.Text
		if strings.TrimSpace(caption) != "" && (!anyCaptionable(out.Attachments) || utf8.RuneCountInString(caption) > MaxCaption) {
			msgs = append(msgs, textMessage(base(), caption))
			caption = ""
		}
		for _, a := range out.Attachments {
			m := base()
			m.Type = mediaType(a.ContentType)
			md := &outMedia{Link: p.MediaURL(a.ID)}
			if caption != "" && captionable(m.Type) {
				md.Caption, caption = caption, ""
			}
			switch m.Type {
			case typeImage:
				m.Image = md
			case typeAudio:
				m.Audio = md
			case typeVideo:
				m.Video = md
			default:
				md.Filename = bound(a.Filename, maxName)
				m.Document = md
			}
			msgs = append(msgs, m)
		}
	}
	if out.ReplyToProviderID != "" {
		msgs[0].Context = &outContext{MessageID: out.ReplyToProviderID} // the first part quotes
	}
	return msgs, nil
}

// recipient is who a message goes to: the customer's wa_id, digits only.
func recipient(c channel.Contact) string {
	to := c.ExternalID
	if to == "" {
		to = c.Phone
	}
	return strings.TrimPrefix(strings.TrimSpace(to), "+")
}

func textMessage(m outMessage, text string) outMessage {
	m.Type, m.Text = "text", &outText{Body: text}
	return m
}

func template(t channel.Template) *outTemplate {
	tpl := &outTemplate{Name: t.Name}
	tpl.Language.Code = t.Language
	if len(t.Parameters) > 0 {
		c := outComponent{Type: "body"}
		for _, v := range t.Parameters {
			c.Parameters = append(c.Parameters, outParameter{Type: "text", Text: v})
		}
		tpl.Components = []outComponent{c}
	}
	return tpl
}

func anyCaptionable(files []channel.Attachment) bool {
	for _, a := range files {
		if captionable(mediaType(a.ContentType)) {
			return true
		}
	}
	return false
}

// MarkRead implements channel.Reader: the customer sees blue ticks on the
// message, and on everything they sent before it.
func (p Provider) MarkRead(ctx context.Context, ch channel.Channel, _ channel.Contact, lastInboundProviderID string) error {
	if !validID(lastInboundProviderID) {
		return errors.New("no WhatsApp message to mark read")
	}
	tok, err := token(ch)
	if err != nil {
		return err
	}
	if ch.ExternalID == "" {
		return channel.ErrSyncLost
	}
	body := readReceipt{MessagingProduct: "whatsapp", Status: "read", MessageID: lastInboundProviderID}
	err = p.Graph.Call(ctx, http.MethodPost, p.Graph.URL(ch.ExternalID, "messages"), tok, body, nil)
	return meta.Classify(err, "WhatsApp", explain)
}
