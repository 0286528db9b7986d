package inbox

import (
	"context"
	"time"

	"parley/ent"
	"parley/ent/message"
	"parley/server/channel"
)

// readReceiptTimeout bounds telling a provider a session was read.
const readReceiptTimeout = 15 * time.Second

// tellRead tells the customer's provider, in the background, that an agent
// read their messages up to seq (WhatsApp's blue ticks, Messenger's and
// Instagram's mark_seen), naming the newest message read. It is a courtesy:
// a provider that refuses it changes nothing in Parley, and it is not
// retried.
func (s *Service) tellRead(conv *ent.Conversation, seq int64) {
	if conv.ChannelID == nil || conv.ContactID == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), readReceiptTimeout)
		defer cancel()
		ch, err := s.db.Channel.Get(ctx, *conv.ChannelID)
		if err != nil || !ch.Connected {
			return
		}
		r := s.Readers[channel.Kind(ch.Kind)]
		if r == nil {
			return
		}
		last, err := s.db.Message.Query().Where(message.ConversationID(conv.ID), message.SeqLTE(seq),
			message.DirectionEQ(message.DirectionINBOUND), message.ProviderMessageIDNotNil()).
			Order(ent.Desc(message.FieldSeq)).First(ctx)
		if err != nil {
			return
		}
		ct, err := s.db.Contact.Get(ctx, *conv.ContactID)
		if err != nil {
			return
		}
		seam, _ := seamChannel(ch, nil)
		if err := r.MarkRead(ctx, seam, channel.Contact{ExternalID: ct.ExternalID, Phone: deref(ct.Phone)}, *last.ProviderMessageID); err != nil {
			s.log.Info("the provider was not told the session was read", "session", conv.ID, "err", err)
		}
	}()
}
