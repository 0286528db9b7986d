package instagram

import (
	"context"
	"io"
	"strings"

	"parley/server/apperr"
	"parley/server/channel"
	"parley/server/channel/meta"
)

// Instagram's limits on what it sends.
const (
	MaxTextBytes  = 1000 // bytes of UTF-8
	MaxImageSize  = 8 * channel.MiB
	MaxMediaSize  = 25 * channel.MiB // audio, video and other files
	maxProfileStr = 1024
)

func (p Provider) messages() meta.Messages {
	return meta.Messages{Graph: p.Graph, Provider: "Instagram", ReplyEdge: "replies", MediaURL: p.MediaURL,
		Tag: func(string) string { return channel.TagHumanAgent }} // the one tag Instagram takes
}

// Send implements channel.Provider: POST /{page-id}/messages, the text
// then each file as a message of its own (with the HUMAN_AGENT tag when
// the reply is tagged), or (Comment) a public reply, POST
// /{comment-id}/replies. It returns the id of the last message or the
// new comment's.
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

// Profile implements channel.Profiler: the customer's name and handle.
func (p Provider) Profile(ctx context.Context, ch channel.Channel, igsid string) (channel.InboundContact, error) {
	var prof struct {
		Name       string `json:"name"`
		Username   string `json:"username"`
		ProfilePic string `json:"profile_pic"`
	}
	if err := p.messages().Lookup(ctx, ch, igsid, "name,username,profile_pic", &prof); err != nil {
		return channel.InboundContact{}, err
	}
	c := channel.InboundContact{ExternalID: igsid, AvatarURL: meta.WebURL(prof.ProfilePic)}
	if u := strings.TrimSpace(prof.Username); len(u) <= maxProfileStr {
		c.Nickname = u
	}
	if n := strings.TrimSpace(prof.Name); n != "" && len(n) <= maxProfileStr {
		c.Name = n
	} else {
		c.Name = c.Nickname
	}
	if c.Name == "" && c.AvatarURL == "" {
		return channel.InboundContact{}, channel.ErrPrivate
	}
	return c, nil
}

// CheckOutbound implements channel.Checker: at most 1,000 bytes of text,
// images (PNG, JPEG, GIF) up to 8 MB, audio, video and other files up to 25 MB.
func (Provider) CheckOutbound(text string, files []channel.Attachment) error {
	if n := len(text); n > MaxTextBytes {
		return apperr.New(apperr.TextTooLong, "the text is %d bytes of UTF-8; Instagram takes at most %d bytes", n, MaxTextBytes).
			With("max", MaxTextBytes)
	}
	for _, f := range files {
		if meta.AttachmentType(f.ContentType) == "image" {
			if f.Size > MaxImageSize {
				return apperr.New(apperr.FileTooLarge, "Instagram takes images of at most 8 MB").With("max", int64(MaxImageSize))
			}
			continue
		}
		if f.Size > MaxMediaSize {
			return apperr.New(apperr.FileTooLarge, "Instagram takes audio, video and files of at most 25 MB").With("max", int64(MaxMediaSize))
		}
	}
	return nil
}
