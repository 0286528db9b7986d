package whatsapp

import (
	"encoding/json"
	"strconv"
	"strings"
)

// The webhook body as the Cloud API sends it. The envelope down to each
// change's arrays must have this shape; each message, status and contact
// in them is read on its own, so one Parley cannot read spoils no other.
type envelope struct {
	Object string `json:"object"`
	Entry  []struct {
		Changes []struct {
			Field string          `json:"field"`
			Value json.RawMessage `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

type value struct {
	Metadata struct {
		PhoneNumberID string `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts []json.RawMessage `json:"contacts"`
	Messages []json.RawMessage `json:"messages"`
	Statuses []json.RawMessage `json:"statuses"`
	// errors[] may come too: they say nothing Parley acts on.
}

// sender is an entry of value.contacts: wa_id may be missing (newer
// payloads name some customers only by a business-scoped user_id).
type sender struct {
	WaID    string `json:"wa_id"`
	UserID  string `json:"user_id"`
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
}

// head is what every message has, read first so a message whose body
// Parley cannot read still arrives.
type head struct {
	ID         string `json:"id"`
	From       string `json:"from"`
	FromUserID string `json:"from_user_id"`
	Type       string `json:"type"`
	Context    struct {
		ID string `json:"id"`
	} `json:"context"`
}

type message struct {
	Text *struct {
		Body string `json:"body"`
	} `json:"text"`
	Image    *media `json:"image"`
	Audio    *media `json:"audio"`
	Video    *media `json:"video"`
	Document *media `json:"document"`
	Sticker  *media `json:"sticker"`
	Reaction *struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction"`
	Location *struct {
		Latitude  number `json:"latitude"`
		Longitude number `json:"longitude"`
		Name      string `json:"name"`
		Address   string `json:"address"`
	} `json:"location"`
	Contacts []card `json:"contacts"`
	Button   *struct {
		Text    string `json:"text"`
		Payload string `json:"payload"`
	} `json:"button"`
	Interactive *struct {
		ButtonReply *choice `json:"button_reply"`
		ListReply   *choice `json:"list_reply"`
		NfmReply    *struct {
			Name string `json:"name"`
			Body string `json:"body"`
		} `json:"nfm_reply"`
	} `json:"interactive"`
	Order *struct {
		Text         string            `json:"text"`
		ProductItems []json.RawMessage `json:"product_items"`
	} `json:"order"`
	System *struct {
		Body string `json:"body"`
	} `json:"system"`
}

type media struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	MimeType string `json:"mime_type"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
	Voice    bool   `json:"voice"`
}

type choice struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

// card is a contact the customer shared.
type card struct {
	Name struct {
		FormattedName string `json:"formatted_name"`
		FirstName     string `json:"first_name"`
		LastName      string `json:"last_name"`
	} `json:"name"`
	Phones []struct {
		Phone string `json:"phone"`
	} `json:"phones"`
}

type status struct {
	ID     string        `json:"id"`
	Status string        `json:"status"`
	Errors []statusError `json:"errors"`
}

type statusError struct {
	Code    code   `json:"code"`
	Title   string `json:"title"`
	Message string `json:"message"`
}

// code is an error code, a number or a numeric string; anything else is 0
// rather than a status lost.
type code int

func (c *code) UnmarshalJSON(b []byte) error {
	if n, err := strconv.Atoi(strings.Trim(string(b), `"`)); err == nil && n >= 0 && n < 1e9 {
		*c = code(n)
	}
	return nil
}

// number is a coordinate, a JSON number or a numeric string; "" when it is
// neither.
type number string

func (n *number) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= -180 && f <= 180 {
		*n = number(strconv.FormatFloat(f, 'f', -1, 64))
	}
	return nil
}
