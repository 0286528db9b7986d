// Package apperr is Parley's one error type: a machine code from API.md and a
// message that is safe to show. The GraphQL layer maps it to
// `extensions.code`; any other error becomes INTERNAL and is only logged.
package apperr

import (
	"errors"
	"fmt"
)

// Code is one of the codes API.md fixes.
type Code string

// The codes clients can rely on.
const (
	Unauthenticated    Code = "UNAUTHENTICATED"
	Forbidden          Code = "FORBIDDEN"
	NotFound           Code = "NOT_FOUND"
	BadUserInput       Code = "BAD_USER_INPUT"
	LimitExceeded      Code = "LIMIT_EXCEEDED"
	TextTooLong        Code = "TEXT_TOO_LONG"
	FileTooLarge       Code = "FILE_TOO_LARGE"
	ReplyWindowClosed  Code = "REPLY_WINDOW_CLOSED"
	MessageTagRequired Code = "MESSAGE_TAG_REQUIRED"
	CannotInitiate     Code = "CANNOT_INITIATE"
	ChannelSyncLost    Code = "CHANNEL_SYNC_LOST"
	PlanRequired       Code = "PLAN_REQUIRED"
	Conflict           Code = "CONFLICT"
	RateLimited        Code = "RATE_LIMITED"
	Internal           Code = "INTERNAL"
)

// Error is an error a client may see.
type Error struct {
	Code    Code
	Message string
	// Extensions are added to the GraphQL error's extensions next to the code.
	Extensions map[string]any
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// New returns an error with a code and a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// With returns the error with one more extension.
func (e *Error) With(key string, value any) *Error {
	ext := make(map[string]any, len(e.Extensions)+1)
	for k, v := range e.Extensions {
		ext[k] = v
	}
	ext[key] = value
	return &Error{Code: e.Code, Message: e.Message, Extensions: ext}
}

// Limit reports that a named limit was reached.
func Limit(name string, max int64, format string, args ...any) *Error {
	return New(LimitExceeded, format, args...).With("limit", name).With("max", max)
}

// Shorthands for the most common codes.
func Unauth(format string, args ...any) *Error   { return New(Unauthenticated, format, args...) }
func Forbid(format string, args ...any) *Error   { return New(Forbidden, format, args...) }
func Missing(format string, args ...any) *Error  { return New(NotFound, format, args...) }
func BadInput(format string, args ...any) *Error { return New(BadUserInput, format, args...) }

// As returns the *Error inside err, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// CodeOf returns the code of err: INTERNAL for anything that is not an *Error.
func CodeOf(err error) Code {
	if e, ok := As(err); ok {
		return e.Code
	}
	return Internal
}

// At names the operation an internal error came from, so its log line says
// where ("inbox.Forward: ..."): deferred at a service method's boundary
// with the method's named error result. Errors with a code pass unchanged,
// and whatever is wrapped stays reachable (errors.As, errors.Is, CodeOf).
func At(op string, err *error) {
	if *err == nil {
		return
	}
	if _, ok := As(*err); !ok {
		*err = fmt.Errorf("%s: %w", op, *err)
	}
}
