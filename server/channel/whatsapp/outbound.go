package whatsapp

import (
	"mime"
	"strings"
)

// What the Cloud API's /{phone-number-id}/messages takes.
type outMessage struct {
	MessagingProduct string       `json:"messaging_product"`
	RecipientType    string       `json:"recipient_type"`
	To               string       `json:"to"`
	Context          *outContext  `json:"context,omitempty"`
	Type             string       `json:"type"`
	Text             *outText     `json:"text,omitempty"`
	Image            *outMedia    `json:"image,omitempty"`
	Audio            *outMedia    `json:"audio,omitempty"`
	Video            *outMedia    `json:"video,omitempty"`
	Document         *outMedia    `json:"document,omitempty"`
	Template         *outTemplate `json:"template,omitempty"`
}

type outContext struct {
	MessageID string `json:"message_id"`
}

type outText struct {
	PreviewURL bool   `json:"preview_url"`
	Body       string `json:"body"`
}

type outMedia struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	Filename string `json:"filename,omitempty"`
	Caption  string `json:"caption,omitempty"`
}

type outTemplate struct {
	Name     string `json:"name"`
	Language struct {
		Code string `json:"code"`
	} `json:"language"`
	Components []outComponent `json:"components,omitempty"`
}

type outComponent struct {
	Type       string         `json:"type"`
	Parameters []outParameter `json:"parameters"`
}

type outParameter struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type sendAnswer struct {
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
}

type readReceipt struct {
	MessagingProduct string `json:"messaging_product"`
	Status           string `json:"status"`
	MessageID        string `json:"message_id"`
}

// The types a file is sent as.
const (
	typeImage    = "image"
	typeAudio    = "audio"
	typeVideo    = "video"
	typeDocument = "document"
)

// mediaType is how WhatsApp is handed a file of a content type. Images
// other than JPEG and PNG are refused as images, so they go as documents,
// like anything else WhatsApp has no player for.
func mediaType(contentType string) string {
	t, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		t = strings.ToLower(strings.TrimSpace(contentType))
	}
	switch {
	case t == "image/jpeg" || t == "image/png":
		return typeImage
	case strings.HasPrefix(t, "audio/"):
		return typeAudio
	case strings.HasPrefix(t, "video/"):
		return typeVideo
	}
	return typeDocument
}

// captionable: every type but audio carries a caption.
func captionable(typ string) bool { return typ != typeAudio }
