package inbox

import (
	"context"
	"fmt"
	"strings"
	"time"

	"parley/ent"
	"parley/server/blob"
	"parley/server/channel"
	"parley/server/files"
	"parley/server/history"
	"parley/server/history/events"
)

// Media is where the files of inbound messages go: the storage and the
// conversation's file rules (chat's), set by the app.
type Media struct {
	Store blob.Store
	Rules func(ctx context.Context, conv *ent.Conversation) (max int64, expires *time.Time, err error)
	// Fetchers fetch a kind's files from its provider.
	Fetchers map[channel.Kind]channel.MediaFetcher
	// Retry is the wait before the first retry, doubled each time (default 2s).
	Retry time.Duration
	// Duration reads how long a stored audio or video file plays (nil: unknown).
	Duration func(ctx context.Context, key, contentType string) *float64
}

// mediaAttempts is how often a file is fetched before it is given up.
const mediaAttempts = 5

// fetchMedia attaches an inbound message's files, in the background: the
// message is already stored, so a provider that is slow or down delays
// the files, never the message. A file still failing after the last
// attempt is logged and left out.
func (s *Service) fetchMedia(ch channel.Channel, msg *ent.Message, refs []channel.MediaRef) {
	f := s.Media.Fetchers[ch.Kind]
	if f == nil || s.Media.Store == nil || len(refs) == 0 {
		return
	}
	go func() {
		ctx := context.Background()
		for i, ref := range refs {
			wait := s.Media.Retry
			if wait <= 0 {
				wait = 2 * time.Second
			}
			for attempt := 1; ; attempt++ {
				err := s.attachMedia(ctx, f, ch, msg, ref, i)
				if err == nil {
					break
				}
				if !channel.IsTemporary(err) || attempt == mediaAttempts {
					s.log.Warn("an inbound file was not fetched", "message", msg.ID, "err", err)
					break
				}
				time.Sleep(wait)
				wait *= 2
			}
		}
	}()
}

func (s *Service) attachMedia(ctx context.Context, f channel.MediaFetcher, ch channel.Channel, msg *ent.Message, ref channel.MediaRef, i int) error {
	conv, err := s.db.Conversation.Get(ctx, msg.ConversationID)
	if err != nil {
		return channel.Temporary(err)
	}
	max, expires, err := s.Media.Rules(ctx, conv)
	if err != nil {
		return channel.Temporary(err)
	}
	body, err := f.FetchMedia(ctx, ch, ref)
	if err != nil {
		return err
	}
	now := s.now()
	key := files.NewKey(now)
	size, err := files.Store(ctx, s.Media.Store, key, body, max)
	if err != nil {
		return err // too large: final
	}
	name := files.SanitizeFilename(fmt.Sprintf("%s-%d%s", msg.ID, i+1, extension(ref.ContentType)))
	info, err := files.Inspect(ctx, s.Media.Store, key, name)
	if err == nil {
		err = s.history.Write(ctx, func(tx *history.Tx) error {
			c := tx.Attachment.Create().SetConversationID(conv.ID).SetMessageID(msg.ID).
				SetUploaderKey("contact:" + string(*conv.ContactID)).SetFilename(name).SetContentType(info.ContentType).
				SetSize(size).SetStorageKey(key).SetNillableExpiresAt(expires).SetCreatedAt(now)
			if info.Width > 0 && info.Height > 0 {
				c.SetWidth(info.Width).SetHeight(info.Height)
			}
			if s.Media.Duration != nil {
				c.SetNillableDurationSeconds(s.Media.Duration(ctx, key, info.ContentType))
			}
			if err := c.Exec(ctx); err != nil {
				return err
			}
			e := history.ConversationEvent(events.MessageUpdated, conv)
			e.MessageID = msg.ID
			tx.Emit(e)
			return nil
		})
	}
	if err != nil {
		_ = s.Media.Store.Delete(ctx, key)
		return channel.Temporary(err)
	}
	return nil
}

// extension names a file by its announced type (the stored type is sniffed).
func extension(contentType string) string {
	if _, sub, ok := strings.Cut(contentType, "/"); ok && sub != "" && len(sub) <= 10 && !strings.ContainsAny(sub, "/.;+ ") {
		return "." + sub
	}
	return ""
}
