package channel

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// Receiver is a provider whose webhooks Parley serves: POST /webhooks/{kind}
// and /webhooks/{kind}/{channelId}/... reach Webhook, which finds the
// channels, checks the request is the provider's, and says what it carries:
// one batch per channel (one Meta request may carry events of several pages
// or numbers). Parley stores every batch, and only then answers with the
// Reply of the first.
type Receiver interface {
	Webhook(r *http.Request, channels ChannelLookup) ([]Batch, error)
}

// Handshaker is a provider whose webhook subscription is verified by a GET
// (Meta's hub.challenge): it answers the GET itself.
type Handshaker interface {
	Handshake(w http.ResponseWriter, r *http.Request, channels ChannelLookup)
}

// ChannelLookup finds the channel a webhook is for. ByID and ByExternalID
// return ErrUnknownChannel when there is none.
type ChannelLookup interface {
	ByID(ctx context.Context, id string) (Channel, error)
	ByExternalID(ctx context.Context, kind Kind, externalID string) (Channel, error)
	// OfKind is every channel of a kind (Meta's handshake on the bare
	// /webhooks/{kind} names none).
	OfKind(ctx context.Context, kind Kind) ([]Channel, error)
}

// Webhook errors: a Receiver wraps them so the route answers 404 or 401.
var (
	ErrUnknownChannel = errors.New("no such channel")
	ErrBadSignature   = errors.New("the request is not signed by the provider")
)

// Batch is what one webhook request carries for one channel.
type Batch struct {
	Channel  Channel
	Messages []InboundMessage
	Statuses []StatusUpdate
	// Reply is what the provider expects back once the batch is stored.
	Reply Reply
}

// Reply is a webhook's success answer (an empty body is a plain 200).
type Reply struct {
	ContentType string
	Body        []byte
}

// MessageKind is a kind of message, spelled as the API's MessageKind.
type MessageKind string

// The kinds an inbound message can be.
const (
	KindText    MessageKind = "TEXT"
	KindImage   MessageKind = "IMAGE"
	KindFile    MessageKind = "FILE"
	KindAudio   MessageKind = "AUDIO"
	KindVideo   MessageKind = "VIDEO"
	KindComment MessageKind = "COMMENT"
)

// InboundMessage is a customer's message, or (Echo) one the business sent
// from outside Parley, or a change to one already received (Change).
type InboundMessage struct {
	ProviderID string
	Contact    InboundContact
	// Kind is what the message is ("": TEXT, or what its first file is).
	Kind MessageKind
	Text string
	// ProviderKind is the provider's own name for what the message is when
	// Parley has no kind of its own for it ("location", "contacts",
	// "sticker", "unsupported", ...); Text then says what can be said of it.
	ProviderKind string
	Media        []MediaRef
	// ReplyToProviderID is the provider's id of the message (or, for a
	// comment, the comment) this one answers.
	ReplyToProviderID string
	// Post is the post a COMMENT was left under.
	Post *Post
	// Reaction, when set, makes this event an emoji on another message,
	// not a message of its own.
	Reaction *Reaction
	// Change says whether the event is a new message or edits or removes
	// the one with ProviderID (a comment edited or deleted on the page).
	Change Change
	// Echo: the business sent it, from outside Parley (an agent in Meta's
	// own inbox). Parley's own sends never come back as messages.
	Echo bool
	// Consent is what the message says of the customer's consent to be
	// written to (SMS keywords: STOP, START).
	Consent Consent
}

// Change is what an event does to the message it names.
type Change int

// The changes an event can make.
const (
	ChangeNew Change = iota
	ChangeEdit
	ChangeRemove
)

// Post is what a provider says of the post a comment is under.
type Post struct {
	ID   string
	URL  string
	Text string
}

// Reaction is an emoji a customer put on a message; Emoji "" takes it off.
type Reaction struct {
	ToProviderID string
	Emoji        string
}

// Consent is a customer's word on being written to.
type Consent int

// What a message can say of consent.
const (
	ConsentUnchanged Consent = iota
	OptOut                   // nothing more may be sent until OptIn
	OptIn
)

// InboundContact is the customer as the webhook (or the profile API) names them.
type InboundContact struct {
	ExternalID string
	Phone      string
	Name       string // "" when the provider does not say
	Nickname   string // the customer's handle (Instagram username)
	AvatarURL  string
	// PrivacyRestricted: the provider would not say who the customer is.
	PrivacyRestricted bool
}

// MediaRef is a file the provider holds for an inbound message: a URL, or
// a provider's id of it (WhatsApp media ids).
type MediaRef struct {
	URL         string
	ID          string
	ContentType string
	Filename    string
}

// Status is a delivery status, spelled as the API's MessageStatus.
type Status string

// The delivery statuses a receipt can report.
const (
	StatusSent      Status = "SENT"
	StatusDelivered Status = "DELIVERED"
	StatusRead      Status = "READ"
	StatusFailed    Status = "FAILED"
)

// StatusUpdate is a receipt for a message Parley sent: one message's, by
// its provider id, or (Watermark) every message sent to Contact up to a
// moment.
type StatusUpdate struct {
	ProviderMessageID string
	Status            Status
	// Reason says why a message FAILED.
	Reason string
	// OptedOut: it failed because the customer opted out of the channel.
	OptedOut bool
	// AndEarlier: the messages sent to the same customer before this one
	// reached the status too (a customer who saw the last saw them all).
	AndEarlier bool
	// Contact and Watermark: every message sent to this customer at or
	// before Watermark reached Status (Messenger's receipts).
	Contact   string
	Watermark time.Time
}

// MediaFetcher is a provider whose inbound messages point at files it
// holds: Parley fetches each once the message is stored. An error wrapped
// with Temporary is tried again.
type MediaFetcher interface {
	FetchMedia(ctx context.Context, ch Channel, ref MediaRef) (io.ReadCloser, error)
}

// Profiler is a provider that names a customer on request (Messenger's and
// Instagram's profile API): Parley asks once a new customer writes. An
// error wrapped with Temporary is tried again; ErrPrivate means the
// provider will not say.
type Profiler interface {
	Profile(ctx context.Context, ch Channel, externalID string) (InboundContact, error)
}

// ErrPrivate is a profile the provider keeps to itself.
var ErrPrivate = errors.New("the provider does not share this customer's profile")

// Reader is a provider that tells the customer their messages were seen
// (WhatsApp's blue ticks, Messenger's mark_seen): Parley calls it when an
// agent reads the session, with the provider's id of the newest message
// the customer sent. Failing changes nothing in Parley.
type Reader interface {
	MarkRead(ctx context.Context, ch Channel, to Contact, lastInboundProviderID string) error
}

// Typer is a provider that shows the customer an agent is typing
// (Messenger's and Instagram's sender_action typing_on). Parley calls it in
// the background, as often as an agent's typing is said in Parley (a few
// seconds apart at most); failing changes nothing in Parley.
type Typer interface {
	Typing(ctx context.Context, ch Channel, to Contact) error
}

// Checker is a provider with limits of its own on what it sends: Parley
// asks before a reply is stored, and refuses the reply with the error
// (TEXT_TOO_LONG, FILE_TOO_LARGE).
type Checker interface {
	CheckOutbound(text string, files []Attachment) error
}
