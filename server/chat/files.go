package chat

import (
	"context"
	"errors"
	"io"
	"time"

	"parley/ent"
	"parley/ent/channel"
	"parley/ent/conversation"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/blob"
	provider "parley/server/channel"
	"parley/server/files"
	"parley/server/history"
	"parley/server/media"
)

// File sizes are in bytes. API.md's "100 MB" is read as 100 MiB
// (104,857,600 bytes), the more generous reading: a file that any operating
// system shows as "100 MB" fits. The same goes for the channels' 25 and 10 MB.
const (
	MiB = provider.MiB
	// DefaultInternalFileSize is the largest file in internal chat.
	DefaultInternalFileSize = 100 * MiB
	// MaxFileSize is the largest file any conversation takes: the upload
	// transport's cap. A channel's limit (which an admin may set) is capped
	// at it.
	MaxFileSize = provider.MaxFileSize
	// DefaultFileRetentionHours is how long a session's files are kept
	// unless its channel says otherwise.
	DefaultFileRetentionHours = 72
)

// DefaultChannelFileSize is the default file limit of a channel kind (its
// provider's Defaults): SMS and WhatsApp 100 MB, Messenger 25 MB,
// Instagram and Live Chat 10 MB.
func (s *Service) DefaultChannelFileSize(kind channel.Kind) int64 {
	p, err := s.providers.For(provider.Kind(kind))
	if err != nil {
		return MaxFileSize
	}
	return p.Defaults().MaxFileSize
}

// Files is what the core needs for attachments (set in app.go).
type Files struct {
	Store blob.Store
	// InternalMax is the largest file in internal chat;
	// 0 means DefaultInternalFileSize.
	InternalMax int64
}

func (f Files) internalMax() int64 {
	if f.InternalMax > 0 {
		return f.InternalMax
	}
	return DefaultInternalFileSize
}

// FileRules are the limits an upload to one conversation obeys.
type FileRules struct {
	MaxSize int64
	// ExpiresAt is when retention removes the file (sessions only).
	ExpiresAt *time.Time
}

// FileRulesFor returns the limit and expiry of a new upload to conv: the
// internal limit for a chat; for a session its channel's max_file_size
// (capped at MaxFileSize) and file_retention_hours.
func (s *Service) FileRulesFor(ctx context.Context, conv *ent.Conversation) (_ FileRules, err error) {
	defer apperr.At("chat.FileRulesFor", &err)
	if conv.Kind != conversation.KindEXTERNAL || conv.ChannelID == nil {
		return FileRules{MaxSize: s.Files.internalMax()}, nil
	}
	ch, err := s.db.Channel.Get(ctx, *conv.ChannelID)
	if err != nil {
		return FileRules{}, err
	}
	max := ch.MaxFileSize
	if max <= 0 {
		max = s.DefaultChannelFileSize(ch.Kind)
	}
	hours := ch.FileRetentionHours
	if hours <= 0 {
		hours = DefaultFileRetentionHours
	}
	exp := s.now().Add(time.Duration(hours) * time.Hour)
	return FileRules{MaxSize: min(max, MaxFileSize), ExpiresAt: &exp}, nil
}

// Upload stores a file for the viewer in a conversation they may write to
// and returns the attachment, unsent: it belongs to its uploader and
// conversation until a message carries it (sendMessage attachmentIds).
//
// Access is checked before a byte is read. The file streams to storage
// under the conversation's limit and fails with FILE_TOO_LARGE as soon as
// it is passed (before reading anything when the request's length tells);
// its type is sniffed from its content, never taken from the client. On any
// failure nothing is kept: no row and no blob. Upload consumes (and closes,
// if it can) r.
func (s *Service) Upload(ctx context.Context, v *auth.Viewer, convID pulid.ID, r io.Reader, filename string) (_ *ent.Attachment, err error) {
	defer apperr.At("chat.Upload", &err)
	if c, ok := r.(io.Closer); ok {
		// Tells the streaming transport to skip a file that is refused unread.
		defer c.Close()
	}
	if s.Files.Store == nil {
		return nil, errors.New("chat: no file storage configured")
	}
	conv, err := s.access.Conversation(ctx, v, convID)
	if err != nil {
		return nil, err
	}
	rules, err := s.FileRulesFor(ctx, conv)
	if err != nil {
		return nil, err
	}
	now := s.now()
	key := files.NewKey(now)
	size, err := files.Store(ctx, s.Files.Store, key, r, rules.MaxSize)
	if err != nil {
		return nil, err
	}
	name := files.SanitizeFilename(filename)
	att, err := s.saveAttachment(ctx, v, conv, key, name, size, rules, now)
	if err != nil {
		// The request may be gone; the blob must go all the same.
		_ = s.Files.Store.Delete(context.WithoutCancel(ctx), key)
		return nil, err
	}
	return att, nil
}

func (s *Service) saveAttachment(ctx context.Context, v *auth.Viewer, conv *ent.Conversation, key, name string, size int64, rules FileRules, now time.Time) (*ent.Attachment, error) {
	info, err := files.Inspect(ctx, s.Files.Store, key, name)
	if err != nil {
		return nil, err
	}
	var duration *float64
	if info.Kind == files.KindAudio || info.Kind == files.KindVideo {
		duration = s.Duration(ctx, key, info.ContentType)
	}
	var att *ent.Attachment
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		var err error
		att, err = tx.Attachment.Create().SetConversationID(conv.ID).SetUploaderKey(v.AuthorKey()).
			SetFilename(name).SetContentType(info.ContentType).SetSize(size).SetStorageKey(key).
			SetNillableExpiresAt(rules.ExpiresAt).SetCreatedAt(now).
			SetNillableWidth(positive(info.Width)).SetNillableHeight(positive(info.Height)).
			SetNillableDurationSeconds(duration).
			Save(ctx)
		return err
	})
	return att, err
}

// Duration is how long a stored audio or video file plays, read from its
// headers; nil when the file does not say (or cannot be read). Files that
// arrive from providers are measured by it too.
func (s *Service) Duration(ctx context.Context, key, contentType string) *float64 {
	o, err := s.Files.Store.Open(ctx, key)
	if err != nil {
		return nil
	}
	defer o.Close()
	ra, ok := o.(io.ReaderAt)
	if !ok {
		ra = &seekReaderAt{o}
	}
	d, ok, err := media.Duration(ra, o.Size(), contentType)
	if err != nil || !ok {
		return nil
	}
	return &d
}

// seekReaderAt reads at an offset by seeking (blobs need not be ReaderAts);
// media.Duration reads from one goroutine.
type seekReaderAt struct{ io.ReadSeeker }

func (r *seekReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if _, err := r.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.ReadFull(r, p)
}

func positive(n int) *int {
	if n <= 0 {
		return nil
	}
	return &n
}

// Attachment loads an attachment the viewer may read: one of a message
// they may read, or their own unsent upload.
func (s *Service) Attachment(ctx context.Context, v *auth.Viewer, id pulid.ID) (_ *ent.Attachment, err error) {
	defer apperr.At("chat.Attachment", &err)
	a, err := s.db.Attachment.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("no such attachment")
	}
	if err != nil {
		return nil, err
	}
	if a.MessageID == nil {
		// Unsent: its uploader's alone.
		if a.UploaderKey != v.AuthorKey() {
			return nil, apperr.Missing("no such attachment")
		}
		if _, err := s.access.Conversation(ctx, v, a.ConversationID); err != nil {
			return nil, err
		}
		return a, nil
	}
	if _, err := s.access.Message(ctx, v, *a.MessageID); err != nil {
		return nil, err
	}
	return a, nil
}

// FileExpired reports whether retention has removed, or is due to remove,
// the attachment's file: its url reads null from then on.
func (s *Service) FileExpired(a *ent.Attachment) bool {
	return a.Expired || (a.ExpiresAt != nil && !s.now().Before(*a.ExpiresAt))
}
