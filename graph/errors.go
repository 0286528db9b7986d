package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"parley/ent"
	"parley/server/apperr"
	"parley/server/logx"
)

// Complexity is the most a single operation may cost (see complexity.go).
const Complexity = 2000

// ErrorPresenter turns every error into one with an API.md code. Errors of
// the services keep their code and message; GraphQL's own (parse, validation,
// complexity, persisted queries) become BAD_USER_INPUT or LIMIT_EXCEEDED;
// anything else is logged and shown as INTERNAL "internal error". The code
// goes on the request's log line.
func ErrorPresenter(ctx context.Context, err error) *gqlerror.Error {
	out := present(ctx, err)
	code, _ := out.Extensions["code"].(string)
	logx.NoteCode(ctx, code)
	return out
}

func present(ctx context.Context, err error) *gqlerror.Error {
	var gqlErr *gqlerror.Error
	if errors.As(err, &gqlErr) && gqlErr.Err == nil {
		return presentProtocolError(gqlErr)
	}
	out := &gqlerror.Error{Path: graphql.GetPath(ctx)}
	if gqlErr != nil {
		out.Path, out.Locations = gqlErr.Path, gqlErr.Locations
		err = gqlErr.Err
	}
	if out.Path == nil {
		out.Path = graphql.GetPath(ctx)
	}
	e := classify(err)
	if e.Code == apperr.Internal && !errors.Is(err, context.Canceled) {
		logx.From(ctx).Error("internal error", "err", err, "path", out.Path.String())
	}
	out.Message = e.Message
	out.Extensions = map[string]any{"code": string(e.Code)}
	for k, v := range e.Extensions {
		out.Extensions[k] = v
	}
	return out
}

// classify maps an error of a service or of ent to a client error.
func classify(err error) *apperr.Error {
	if e, ok := apperr.As(err); ok {
		return e
	}
	var ve *ent.ValidationError
	switch {
	case errors.As(err, &ve):
		// ent names its own field (page_name) and wraps the validator's
		// reason ("at most 200 characters") in its own words.
		field, reason := lowerCamel(ve.Name), "invalid value"
		if inner := errors.Unwrap(errors.Unwrap(ve)); inner != nil {
			reason = inner.Error()
		}
		return apperr.BadInput("%s: %s", field, reason).With("field", field)
	case ent.IsNotFound(err):
		return apperr.Missing("not found")
	case ent.IsConstraintError(err):
		return apperr.New(apperr.Conflict, "the change conflicts with the current state")
	}
	return apperr.New(apperr.Internal, "internal error")
}

func presentProtocolError(e *gqlerror.Error) *gqlerror.Error {
	code, _ := e.Extensions["code"].(string)
	ext := map[string]any{}
	switch code {
	case errcode.ParseFailed, errcode.ValidationFailed:
		ext["code"] = string(apperr.BadUserInput)
		ext["reason"] = code
	case "COMPLEXITY_LIMIT_EXCEEDED":
		ext["code"] = string(apperr.LimitExceeded)
		ext["limit"] = "queryComplexity"
		ext["max"] = Complexity
	case "PERSISTED_QUERY_NOT_FOUND", "PERSISTED_QUERY_NOT_SUPPORTED":
		// Apollo clients look at the message ("PersistedQueryNotFound"), kept as is.
		ext["code"] = string(apperr.BadUserInput)
		ext["reason"] = code
	default:
		if apperr.Code(code) != "" && isKnownCode(apperr.Code(code)) {
			ext["code"] = code
		} else {
			ext["code"] = string(apperr.BadUserInput)
		}
	}
	for k, v := range e.Extensions {
		if k != "code" {
			if _, set := ext[k]; !set {
				ext[k] = v
			}
		}
	}
	return &gqlerror.Error{Message: e.Message, Path: e.Path, Locations: e.Locations, Extensions: ext, Rule: e.Rule}
}

func isKnownCode(c apperr.Code) bool {
	switch c {
	case apperr.Unauthenticated, apperr.Forbidden, apperr.NotFound, apperr.BadUserInput,
		apperr.LimitExceeded, apperr.TextTooLong, apperr.FileTooLarge, apperr.ReplyWindowClosed,
		apperr.MessageTagRequired, apperr.CannotInitiate, apperr.ChannelSyncLost, apperr.PlanRequired,
		apperr.Conflict, apperr.RateLimited, apperr.Internal:
		return true
	}
	return false
}

// Recover turns a panic in a resolver into INTERNAL, logging the stack.
func Recover(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logx.From(ctx).Error("panic in resolver", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return apperr.New(apperr.Internal, "internal error")
	}
}

// lowerCamel turns ent's snake_case field names into GraphQL's lowerCamelCase.
func lowerCamel(name string) string {
	parts := strings.Split(name, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
