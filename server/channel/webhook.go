package channel

import (
	"context"
	"errors"
	"io"
	"net/http"
)

// Receiver is a provider whose webhooks Parley serves: POST /webhooks/{kind}
// and /webhooks/{kind}/{channelId}/... reach Webhook, which finds the
// channel, checks the request is the provider's, and says what it carries.
// Parley stores the batch, and only then answers with its Reply.
type Receiver interface {
	Webhook(r *http.Request, channels ChannelLookup) (Batch, error)
}

// Handshaker is a provider whose webhook subscription is verified by a GET
// (Meta's hub.challenge): it answers the GET itself.
type Handshaker interface {
	Handshake(w http.ResponseWriter, r *http.Request, channels ChannelLookup)
}

// ChannelLookup finds the channel a webhook is for. Both return
// ErrUnknownChannel when there is none.
type ChannelLookup interface {
	ByID(ctx context.Context, id string) (Channel, error)
	ByExternalID(ctx context.Context, kind Kind, externalID string) (Channel, error)
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

// InboundMessage is a customer's message.
type InboundMessage struct {
	ProviderID string
	Contact    InboundContact
	Text       string
	Media      []MediaRef
	// Consent is what the message says of the customer's consent to be
	// written to (SMS keywords: STOP, START).
	Consent Consent
}

// Consent is a customer's word on being written to.
type Consent int

// What a message can say of consent.
const (
	ConsentUnchanged Consent = iota
	OptOut                   // nothing more may be sent until OptIn
	OptIn
)

// InboundContact is the customer as the webhook names them.
type InboundContact struct {
	ExternalID string
	Phone      string
	Name       string // "" when the provider does not say
}

// MediaRef is a file the provider holds for an inbound message.
type MediaRef struct {
	URL         string
	ContentType string
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

// StatusUpdate is a receipt for a message Parley sent.
type StatusUpdate struct {
	ProviderMessageID string
	Status            Status
	// Reason says why a message FAILED.
	Reason string
	// OptedOut: it failed because the customer opted out of the channel.
	OptedOut bool
}

// MediaFetcher is a provider whose inbound messages point at files it
// holds: Parley fetches each once the message is stored. An error wrapped
// with Temporary is tried again.
type MediaFetcher interface {
	FetchMedia(ctx context.Context, ch Channel, ref MediaRef) (io.ReadCloser, error)
}
