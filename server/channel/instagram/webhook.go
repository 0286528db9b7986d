package instagram

import (
	"encoding/json"
	"net/http"

	"parley/server/apperr"
	"parley/server/channel"
	"parley/server/channel/meta"
)

// Webhook implements channel.Receiver: a signed batch of the accounts'
// messaging events and comments, one batch per channel.
func (Provider) Webhook(r *http.Request, channels channel.ChannelLookup) ([]channel.Batch, error) {
	return meta.Receive(r, channel.Instagram, channels, parse)
}

// Handshake implements channel.Handshaker.
func (Provider) Handshake(w http.ResponseWriter, r *http.Request, channels channel.ChannelLookup) {
	meta.Handshake(w, r, channel.Instagram, channels)
}

var parse = meta.Messaging("instagram", commentChange)

// comment is the value of a comments or live_comments change.
type comment struct {
	ID       meta.ID `json:"id"`
	Text     string  `json:"text"`
	ParentID meta.ID `json:"parent_id"`
	From     struct {
		ID       meta.ID `json:"id"`
		Username string  `json:"username"`
	} `json:"from"`
	Media struct {
		ID meta.ID `json:"id"`
	} `json:"media"`
}

// maxUsername bounds a commenter's handle.
const maxUsername = 256

// commentChange reads a comment on the account's media; other fields
// (mentions, story insights...) are skipped.
func commentChange(account string, _ meta.Entry, c meta.Change) (*channel.InboundMessage, error) {
	if c.Field != "comments" && c.Field != "live_comments" || len(c.Value) == 0 {
		return nil, nil
	}
	var v comment
	if err := json.Unmarshal(c.Value, &v); err != nil {
		return nil, apperr.BadInput("a comment change is not the JSON Meta sends")
	}
	ids := make([]string, 4)
	for i, id := range []meta.ID{v.ID, v.ParentID, v.From.ID, v.Media.ID} {
		var err error
		if ids[i], err = id.Check(); err != nil {
			return nil, err
		}
	}
	id, parent, from, media := ids[0], ids[1], ids[2], ids[3]
	if id == "" {
		return nil, nil
	}
	username := v.From.Username
	if len(username) > maxUsername {
		username = ""
	}
	m := &channel.InboundMessage{ProviderID: id, Kind: channel.KindComment, Text: meta.Text(v.Text),
		ReplyToProviderID: parent, Echo: from == account,
		Contact: channel.InboundContact{ExternalID: from, Nickname: username, Name: username}}
	if media != "" {
		m.Post = &channel.Post{ID: media}
	}
	return m, nil
}
