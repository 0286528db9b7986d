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
)

// MaxTranscriptionSeconds is the longest audio that can be transcribed.
const MaxTranscriptionSeconds = 300

// Transcribe asks for the text of an AUDIO message. Parley has no speech
// engine of its own: without one configured the transcription is FAILED.
func (s *Service) Transcribe(ctx context.Context, v *auth.Viewer, id pulid.ID) (_ *ent.Message, err error) {
	defer apperr.At("chat.Transcribe", &err)
	if err := access.Colleague(v); err != nil {
		return nil, err
	}
	m, err := s.access.Message(ctx, v, id)
	if err != nil {
		return nil, err
	}
	if m.Kind != message.KindAUDIO {
		return nil, apperr.BadInput("only AUDIO messages can be transcribed").With("field", "messageId")
	}
	atts, err := m.QueryAttachments().All(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range atts {
		if a.DurationSeconds != nil && *a.DurationSeconds > MaxTranscriptionSeconds {
			return nil, apperr.Limit("transcriptionSeconds", MaxTranscriptionSeconds,
				"audio longer than %d minutes cannot be transcribed", MaxTranscriptionSeconds/60)
		}
	}
	if m.Transcription != nil && m.Transcription.Status != schema.TranscriptionFailed {
		return m, nil
	}
	conv, err := s.db.Conversation.Get(ctx, m.ConversationID)
	if err != nil {
		return nil, err
	}
	status := schema.TranscriptionFailed
	if s.Transcriber != nil {
		status = schema.TranscriptionPending
	}
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		if err := tx.Message.UpdateOneID(id).SetTranscription(&schema.Transcription{Status: status}).Exec(ctx); err != nil {
			return err
		}
		e := history.ConversationEvent(events.MessageUpdated, conv)
		e.MessageID = id
		tx.Emit(e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.Transcriber != nil {
		s.Transcriber(id)
	}
	return s.db.Message.Get(ctx, id)
}
