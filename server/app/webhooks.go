package app

import (
	"errors"
	"net/http"
	"strings"

	"parley/server/apperr"
	"parley/server/channel"
	"parley/server/inbox"
	"parley/server/logx"
)

// maxWebhookBody bounds a provider's webhook request.
const maxWebhookBody = 1 << 20

// webhookRoutes serve the providers' webhooks: /webhooks/{kind} (the
// provider finds the channel in the body), /webhooks/{kind}/{channelId}
// and /webhooks/{kind}/{channelId}/{event} (e.g. sms/.../status).
func (a *App) webhookRoutes(mux *http.ServeMux) {
	for _, p := range []string{"/webhooks/{kind}", "/webhooks/{kind}/{channelId}", "/webhooks/{kind}/{channelId}/{event}"} {
		mux.HandleFunc("POST "+p, a.webhook)
		mux.HandleFunc("GET "+p, a.handshake)
	}
}

func (a *App) receiver(r *http.Request) (channel.Receiver, bool) {
	rc, ok := a.receivers[channel.Kind(strings.ToUpper(r.PathValue("kind")))]
	return rc, ok
}

// webhook hands the request to its kind's provider, stores what it
// carries, and only then answers the provider's success reply, so that a
// provider retries whatever Parley could not store.
func (a *App) webhook(w http.ResponseWriter, r *http.Request) {
	rc, ok := a.receiver(r)
	if !ok {
		writeText(w, http.StatusNotFound, "not found")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxWebhookBody)
	batches, err := rc.Webhook(r, a.Inbox.Webhooks())
	for _, b := range batches {
		if err == nil {
			err = a.Inbox.StoreWebhook(r.Context(), b)
		}
	}
	if err != nil {
		status, text := webhookStatus(err)
		switch {
		case status == http.StatusInternalServerError:
			logx.From(r.Context()).Error("webhook not stored", "err", err)
		case status >= 500:
			logx.From(r.Context()).Warn("webhook not stored", "err", err)
		}
		writeText(w, status, text)
		return
	}
	var reply channel.Reply
	if len(batches) > 0 {
		reply = batches[0].Reply
	}
	if reply.ContentType != "" {
		w.Header().Set("Content-Type", reply.ContentType)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(reply.Body)
}

// handshake answers a provider's GET verification, for kinds that have one.
func (a *App) handshake(w http.ResponseWriter, r *http.Request) {
	rc, ok := a.receiver(r)
	hs, isHS := rc.(channel.Handshaker)
	if !ok || !isHS {
		writeText(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	hs.Handshake(w, r, a.Inbox.Webhooks())
}

// webhookStatus is the HTTP answer to a webhook that failed.
func webhookStatus(err error) (int, string) {
	switch {
	case errors.Is(err, channel.ErrUnknownChannel):
		return http.StatusNotFound, "no such channel"
	case errors.Is(err, channel.ErrBadSignature):
		return http.StatusUnauthorized, "bad signature"
	case errors.Is(err, inbox.ErrStatusEarly):
		return http.StatusServiceUnavailable, "unknown message; try again"
	}
	switch apperr.CodeOf(err) {
	case apperr.BadUserInput:
		return http.StatusBadRequest, "bad request"
	case apperr.NotFound:
		return http.StatusNotFound, "not found"
	case apperr.Forbidden:
		return http.StatusForbidden, "forbidden"
	}
	return http.StatusInternalServerError, "internal error"
}
