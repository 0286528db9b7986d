package messenger

import (
	"encoding/json"
	"net/http"

	"parley/server/apperr"
	"parley/server/channel"
	"parley/server/channel/meta"
)

// Webhook implements channel.Receiver: a signed batch of the Pages'
// messaging events and feed changes, one batch per channel.
func (Provider) Webhook(r *http.Request, channels channel.ChannelLookup) ([]channel.Batch, error) {
	return meta.Receive(r, channel.Messenger, channels, parse)
}

// Handshake implements channel.Handshaker.
func (Provider) Handshake(w http.ResponseWriter, r *http.Request, channels channel.ChannelLookup) {
	meta.Handshake(w, r, channel.Messenger, channels)
}

var parse = meta.Messaging("page", feedChange)

// feed is a Page feed change's value; only comments matter to Parley.
type feed struct {
	Item      string  `json:"item"`
	Verb      string  `json:"verb"`
	CommentID meta.ID `json:"comment_id"`
	PostID    meta.ID `json:"post_id"`
	ParentID  meta.ID `json:"parent_id"`
	From      struct {
		ID   meta.ID `json:"id"`
		Name string  `json:"name"`
	} `json:"from"`
	Message string `json:"message"`
	Photo   string `json:"photo"`
	Post    struct {
		PermalinkURL string `json:"permalink_url"`
		Message      string `json:"message"`
	} `json:"post"`
}

// maxName bounds a commenter's name.
const maxName = 256

// feedChange reads a comment on one of the Page's posts: added, edited or
// removed. Other feed items (posts, likes, reactions...) are skipped.
func feedChange(account string, _ meta.Entry, c meta.Change) (*channel.InboundMessage, error) {
	if c.Field != "feed" || len(c.Value) == 0 {
		return nil, nil
	}
	var v feed
	if err := json.Unmarshal(c.Value, &v); err != nil {
		return nil, apperr.BadInput("a feed change is not the JSON Meta sends")
	}
	if v.Item != "comment" {
		return nil, nil
	}
	var change channel.Change
	switch v.Verb {
	case "add":
		change = channel.ChangeNew
	case "edited", "edit":
		change = channel.ChangeEdit
	case "remove", "hide":
		change = channel.ChangeRemove
	default:
		return nil, nil
	}
	ids := make([]string, 4)
	for i, id := range []meta.ID{v.CommentID, v.PostID, v.ParentID, v.From.ID} {
		var err error
		if ids[i], err = id.Check(); err != nil {
			return nil, err
		}
	}
	comment, post, parent, from := ids[0], ids[1], ids[2], ids[3]
	if comment == "" {
		return nil, nil
	}
	m := &channel.InboundMessage{ProviderID: comment, Kind: channel.KindComment, Change: change,
		Text: meta.Text(v.Message), Echo: from == account}
	if name := v.From.Name; len(name) <= maxName {
		m.Contact = channel.InboundContact{ExternalID: from, Name: name}
	} else {
		m.Contact = channel.InboundContact{ExternalID: from}
	}
	if change == channel.ChangeRemove {
		m.Text = ""
		return m, nil
	}
	if post != "" {
		m.Post = &channel.Post{ID: post, URL: meta.WebURL(v.Post.PermalinkURL), Text: meta.Text(v.Post.Message)}
	}
	if parent != "" && parent != post {
		m.ReplyToProviderID = parent
	}
	if u := meta.WebURL(v.Photo); u != "" {
		m.Media = []channel.MediaRef{{URL: u}}
	}
	return m, nil
}
