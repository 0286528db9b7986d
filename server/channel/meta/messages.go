package meta

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"parley/server/channel"
)

// Messages is the Send API Messenger and Instagram share, as one of them
// speaks it: POST /{account}/messages, one message per part.
type Messages struct {
	Graph Graph
	// Provider names the channel in errors ("Messenger").
	Provider string
	// Untagged is the messaging_type of a message without a tag ("" leaves it out).
	Untagged string
	// Tag is the tag sent for an Outbound's Tag (nil: the tag itself).
	Tag func(tag string) string
	// ReplyEdge is where a public answer to a comment is posted:
	// /{comment-id}/{ReplyEdge}.
	ReplyEdge string
	// MediaURL is a download URL of an attachment Meta fetches to send it.
	MediaURL func(attachmentID string) string
}

// Errors of a send Meta was never asked for.
var (
	ErrNoMedia       = errors.New("this reply cannot carry its files: no way to link them")
	ErrNothingToSend = errors.New("the message has neither text nor files")
	ErrNoRecipient   = errors.New("the customer has no id on this channel")
	ErrCommentFiles  = errors.New("a public answer to a comment carries text only")
)

type recipient struct {
	ID string `json:"id"`
}

type sendRequest struct {
	Recipient     recipient `json:"recipient"`
	MessagingType string    `json:"messaging_type,omitempty"`
	Tag           string    `json:"tag,omitempty"`
	Message       *outgoing `json:"message,omitempty"`
	SenderAction  string    `json:"sender_action,omitempty"`
}

type outgoing struct {
	Text       string         `json:"text,omitempty"`
	Attachment *outAttachment `json:"attachment,omitempty"`
	Metadata   string         `json:"metadata,omitempty"`
}

type outAttachment struct {
	Type    string `json:"type"`
	Payload struct {
		URL string `json:"url"`
		// Parley's URLs are short-lived: nothing for Meta to keep.
		IsReusable bool `json:"is_reusable"`
	} `json:"payload"`
}

// AttachmentType is the Send API's type of a file.
func AttachmentType(contentType string) string {
	for _, t := range []string{"image", "audio", "video"} {
		if strings.HasPrefix(contentType, t+"/") {
			return t
		}
	}
	return "file"
}

// Send implements channel.Provider's Send: the text as one message, then
// each file as one more, or (Comment) a public answer under the comment.
// It returns the id of the last message sent. Every message carries the
// metadata OwnMetadata+MessageID, so that its echo is known for Parley's.
func (m Messages) Send(ctx context.Context, out channel.Outbound) (string, error) {
	token, account := out.Channel.Credentials[AccessToken], out.Channel.ExternalID
	if token == "" || account == "" {
		return "", channel.ErrSyncLost
	}
	if out.Comment {
		return m.answerComment(ctx, token, out)
	}
	if out.Contact.ExternalID == "" {
		return "", ErrNoRecipient
	}
	if len(out.Attachments) > 0 && m.MediaURL == nil {
		return "", ErrNoMedia
	}
	var parts []*outgoing
	if out.Text != "" {
		parts = append(parts, &outgoing{Text: out.Text})
	}
	for _, a := range out.Attachments {
		att := &outAttachment{Type: AttachmentType(a.ContentType)}
		att.Payload.URL = m.MediaURL(a.ID)
		parts = append(parts, &outgoing{Attachment: att})
	}
	if len(parts) == 0 {
		return "", ErrNothingToSend
	}
	req := sendRequest{Recipient: recipient{ID: out.Contact.ExternalID}, MessagingType: m.Untagged}
	if out.Tag == "" && out.SinceCustomer > StandardWindow {
		// Past Meta's 24-hour window a person answering must say so: the
		// agents' replies Parley lets through there are a human agent's.
		out.Tag = channel.TagHumanAgent
	}
	if out.Tag != "" {
		req.MessagingType, req.Tag = "MESSAGE_TAG", out.Tag
		if m.Tag != nil {
			req.Tag = m.Tag(out.Tag)
		}
	}
	last := ""
	for i, part := range parts {
		part.Metadata = OwnMetadata + out.MessageID
		req.Message = part
		var resp struct {
			MessageID ID `json:"message_id"`
		}
		if err := m.Graph.Call(ctx, http.MethodPost, m.Graph.URL(account, "messages"), token, req, &resp); err != nil {
			err = Classify(err, m.Provider, ExplainMessaging)
			if i > 0 && channel.IsTemporary(err) {
				// Part of the message is out: sending it all again would repeat it.
				return "", fmt.Errorf("%s took %d of the %d parts of the message: %w", m.Provider, i, len(parts), errors.Unwrap(err))
			}
			return "", err
		}
		id, err := resp.MessageID.Check()
		if err != nil || id == "" {
			return "", fmt.Errorf("%s did not say the message's id", m.Provider)
		}
		last = id
	}
	return last, nil
}

// answerComment posts out.Text under the comment out.ReplyToProviderID.
func (m Messages) answerComment(ctx context.Context, token string, out channel.Outbound) (string, error) {
	switch {
	case len(out.Attachments) > 0:
		return "", ErrCommentFiles
	case out.Text == "":
		return "", ErrNothingToSend
	case out.ReplyToProviderID == "":
		return "", errors.New("a public answer needs the comment it answers")
	}
	var resp struct {
		ID ID `json:"id"`
	}
	body := map[string]string{"message": out.Text}
	if err := m.Graph.Call(ctx, http.MethodPost, m.Graph.URL(out.ReplyToProviderID, m.ReplyEdge), token, body, &resp); err != nil {
		return "", Classify(err, m.Provider, ExplainMessaging)
	}
	id, err := resp.ID.Check()
	if err != nil || id == "" {
		return "", fmt.Errorf("%s did not say the comment's id", m.Provider)
	}
	return id, nil
}

// MarkSeen tells the customer their messages were seen (sender_action mark_seen).
func (m Messages) MarkSeen(ctx context.Context, ch channel.Channel, to channel.Contact) error {
	return m.senderAction(ctx, ch, to, "mark_seen")
}

// TypingOn shows the customer the business is typing (sender_action
// typing_on; it goes off by itself after a few seconds, or with a reply).
func (m Messages) TypingOn(ctx context.Context, ch channel.Channel, to channel.Contact) error {
	return m.senderAction(ctx, ch, to, "typing_on")
}

// senderAction POSTs {page-id}/messages with a sender_action.
func (m Messages) senderAction(ctx context.Context, ch channel.Channel, to channel.Contact, action string) error {
	token := ch.Credentials[AccessToken]
	if token == "" || ch.ExternalID == "" {
		return channel.ErrSyncLost
	}
	if to.ExternalID == "" {
		return ErrNoRecipient
	}
	req := sendRequest{Recipient: recipient{ID: to.ExternalID}, SenderAction: action}
	if err := m.Graph.Call(ctx, http.MethodPost, m.Graph.URL(ch.ExternalID, "messages"), token, req, nil); err != nil {
		return Classify(err, m.Provider, ExplainMessaging)
	}
	return nil
}

// Lookup reads fields of a customer's profile into out. A refusal is
// channel.ErrPrivate, unless the token itself was refused
// (channel.ErrSyncLost) or Graph is busy (channel.Temporary).
func (m Messages) Lookup(ctx context.Context, ch channel.Channel, externalID, fields string, out any) error {
	token := ch.Credentials[AccessToken]
	if token == "" {
		return channel.ErrSyncLost
	}
	if externalID == "" || len(externalID) > maxID {
		return channel.ErrPrivate
	}
	endpoint := m.Graph.URL(externalID) + "?fields=" + url.QueryEscape(fields)
	err := m.Graph.Call(ctx, http.MethodGet, endpoint, token, nil, out)
	var ge *Error
	if err == nil || !errors.As(err, &ge) {
		return err
	}
	switch err := Classify(err, m.Provider, nil); {
	case errors.Is(err, channel.ErrSyncLost), channel.IsTemporary(err):
		return err
	}
	return channel.ErrPrivate
}

// Download opens a file a Messenger or Instagram webhook points at: CDN
// URLs take no token.
func (m Messages) Download(ctx context.Context, ref channel.MediaRef) (io.ReadCloser, error) {
	if ref.URL == "" {
		return nil, errors.New("the file has no URL")
	}
	return m.Graph.Download(ctx, ref.URL, "")
}

// ExplainMessaging says what the Send API's refusals mean ("" for the
// ones Meta's own words say best).
func ExplainMessaging(e *Error) string {
	switch {
	case e.Code == 10 && e.Subcode == 2018278:
		return "the message is outside the window in which the customer may be written to"
	case e.Code == 10 && e.Subcode == 1893063:
		return "the page is temporarily restricted from sending messages"
	case e.Code == 551:
		return "this person isn't available right now"
	}
	return ""
}
