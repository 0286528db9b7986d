package chat

import (
	"context"

	"parley/ent"
	"parley/ent/message"
	"parley/ent/schema"
	"parley/ent/schema/pulid"
	"parley/server/access"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/history"
	"parley/server/history/events"
	"parley/server/transcribe"
)

// MaxTranscriptionSeconds is the longest audio that can be transcribed.
const MaxTranscriptionSeconds = transcribe.MaxSeconds

// Transcribe asks for the text of an AUDIO message: it answers PENDING at
// once and the transcription job (transcriptions.go) records DONE or FAILED
// later, telling the chat with MESSAGE_UPDATED. A PENDING or DONE
// transcription is returned as it is; a FAILED one is tried again.
func (s *Service) Transcribe(ctx context.Context, v *auth.Viewer, id pulid.ID) (_ *ent.Message, err error) {
	defer apperr.At("chat.Transcribe", &err)
	if err := access.Colleague(v); err != nil {
		return nil, err
	}
	m, err := s.access.Message(ctx, v, id)
	if err != nil {
		return nil, err
	}
	if m.DeletedAt != nil {
		return nil, apperr.New(apperr.Conflict, "a deleted message has nothing to transcribe")
	}
	if m.Kind != message.KindAUDIO {
		return nil, apperr.BadInput("only AUDIO messages can be transcribed").With("field", "messageId")
	}
	atts, err := m.QueryAttachments().All(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range atts {
		// An unknown length is the job's to fail (with a reason), not the caller's.
		if a.DurationSeconds != nil {
			if err := transcribe.CheckLength(*a.DurationSeconds, true); err != nil {
				return nil, err
			}
		}
	}
	if m.Transcription != nil && m.Transcription.Status != schema.TranscriptionFailed {
		return m, nil
	}
	conv, err := s.db.Conversation.Get(ctx, m.ConversationID)
	if err != nil {
		return nil, err
	}
	pending := &schema.Transcription{Status: schema.TranscriptionPending}
	written := false
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		// Only from FAILED or none: a concurrent ask that got here first wins.
		n, err := tx.Message.Update().Where(message.ID(id), transcriptionIs(m.Transcription)).
			SetTranscription(pending).Save(ctx)
		if err != nil || n == 0 {
			return err
		}
		written = true
		e := history.ConversationEvent(events.MessageUpdated, conv)
		e.MessageID = id
		tx.Emit(e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !written {
		return s.db.Message.Get(ctx, id)
	}
	s.Transcriptions.Wake()
	// The answer is the state written (PENDING), not whatever a quick
	// engine made of it since.
	m.Transcription = pending
	return m, nil
}
