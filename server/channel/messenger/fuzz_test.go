package messenger

import (
	"testing"

	"parley/server/channel"
)

// FuzzWebhook: any body either fails plainly or gives messages with ids
// and receipts that say what they are about.
func FuzzWebhook(f *testing.F) {
	for _, name := range []string{"text.json", "image.json", "audio.json", "delivery.json", "read.json", "echo.json", "feed_comment.json"} {
		f.Add(fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		parts, err := parse(body)
		if err != nil {
			return
		}
		for _, p := range parts {
			if p.Account == "" {
				t.Fatal("a part without its account")
			}
			for _, m := range p.Messages {
				if m.ProviderID == "" || len(m.ProviderID) > 400 {
					t.Fatalf("message id %q", m.ProviderID)
				}
				if m.Reaction != nil && m.Reaction.ToProviderID == "" {
					t.Fatal("a reaction to nothing")
				}
			}
			for _, s := range p.Statuses {
				valid := s.Status == channel.StatusDelivered || s.Status == channel.StatusRead
				if !valid || s.ProviderMessageID == "" && (s.Contact == "" || s.Watermark.IsZero()) {
					t.Fatalf("status %+v", s)
				}
			}
		}
	})
}
