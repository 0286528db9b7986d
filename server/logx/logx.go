// Package logx carries a request-scoped slog.Logger in the context, so every
// line logged while serving a request names its request id.
package logx

import (
	"context"
	"log/slog"
)

type ctxKey struct{}

// With returns a context carrying the logger.
func With(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the context's logger, or slog's default.
func From(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(ctxKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}
