package messenger

import (
	"context"
	"io"
	"strings"
	"unicode/utf8"

	"parley/server/apperr"
	"parley/server/channel"
	"parley/server/channel/meta"
)

// Messenger's limits on what it sends.
const (
	MaxText     = 2000 // characters
	MaxFileSize = 25 * channel.MiB
)

func (p Provider) messages() meta.Messages {
	return meta.Messages{Graph: p.Graph, Provider: "Messenger", Untagged: "RESPONSE", ReplyEdge: "comments", MediaURL: p.MediaURL}
}

// Send implements channel.Provider: POST /{page-id}/messages, the text
// then each file as a message of its own (a tag, if any, on each), or
// (Comment) a public reply, POST /{comment-id}/comments. It returns the
// id of the last message or the new comment's.
func (p Provider) Send(ctx context.Context, out channel.Outbound) (string, error) {
	return p.messages().Send(ctx, out)
}

// MarkRead implements channel.Reader with sender_action mark_seen.
func (p Provider) MarkRead(ctx context.Context, ch channel.Channel, to channel.Contact, _ string) error {
	return p.messages().MarkSeen(ctx, ch, to)
}

// Typing implements channel.Typer with sender_action typing_on.
func (p Provider) Typing(ctx context.Context, ch channel.Channel, to channel.Contact) error {
	return p.messages().TypingOn(ctx, ch, to)
}

// FetchMedia implements channel.MediaFetcher: attachments are CDN URLs
// that take no token.
func (p Provider) FetchMedia(ctx context.Context, _ channel.Channel, ref channel.MediaRef) (io.ReadCloser, error) {
	return p.messages().Download(ctx, ref)
}

// maxProfileField bounds what of a profile is kept.
const maxProfileField = 1024

// Profile implements channel.Profiler with the User Profile API.
func (p Provider) Profile(ctx context.Context, ch channel.Channel, psid string) (channel.InboundContact, error) {
	var prof struct {
		FirstName  string `json:"first_name"`
		LastName   string `json:"last_name"`
		ProfilePic string `json:"profile_pic"`
	}
	if err := p.messages().Lookup(ctx, ch, psid, "first_name,last_name,profile_pic", &prof); err != nil {
		return channel.InboundContact{}, err
	}
	c := channel.InboundContact{ExternalID: psid, AvatarURL: meta.WebURL(prof.ProfilePic)}
	if name := strings.TrimSpace(prof.FirstName + " " + prof.LastName); len(name) <= maxProfileField {
		c.Name = name
	}
	if c.Name == "" && c.AvatarURL == "" {
		return channel.InboundContact{}, channel.ErrPrivate
	}
	return c, nil
}

// CheckOutbound implements channel.Checker: at most 2,000 characters of
// text and 25 MB a file.
func (Provider) CheckOutbound(text string, files []channel.Attachment) error {
	if n := utf8.RuneCountInString(text); n > MaxText {
		return apperr.New(apperr.TextTooLong, "the text is %d characters; Messenger takes at most %d", n, MaxText).With("max", MaxText)
	}
	for _, f := range files {
		if f.Size > MaxFileSize {
			return apperr.New(apperr.FileTooLarge, "Messenger takes files of at most 25 MB").With("max", int64(MaxFileSize))
		}
	}
	return nil
}
