// Package app wires Parley together: it opens the database, builds the
// services, and serves them over HTTP. main and the tests both start here.
package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"parley/ent"
	"parley/graph"
	"parley/server/access"
	"parley/server/auth"
	"parley/server/blob"
	"parley/server/calls"
	"parley/server/channel"
	"parley/server/channel/instagram"
	"parley/server/channel/livechat"
	"parley/server/channel/messenger"
	"parley/server/channel/meta"
	"parley/server/channel/sms"
	"parley/server/channel/whatsapp"
	"parley/server/chat"
	"parley/server/db"
	"parley/server/fanout"
	"parley/server/feed"
	"parley/server/files"
	"parley/server/history"
	"parley/server/inbox"
	"parley/server/jobs"
	"parley/server/live"
	"parley/server/logx"
	"parley/server/metrics"
	"parley/server/outbox"
	"parley/server/presence"
	"parley/server/pubsub"
	"parley/server/retention"
	"parley/server/settings"
	"parley/server/transcribe"
	"parley/server/users"
)

// App is a running Parley.
type App struct {
	cfg      Config
	log      *slog.Logger
	DB       *db.DB
	Auth     *auth.Service
	Users    *users.Service
	Live     *live.Server   // the WebSockets
	Presence *live.Presence // Live's: who is online here
	// Fanout executes a subscription's event once for all who share it.
	Fanout *fanout.Extension
	// Online is who is online on any instance, and who types.
	Online   *presence.Service
	Hub      *pubsub.Hub
	Relay    *pubsub.Relay
	Access   *access.Service
	History  *history.Writer // the one way to write events
	Chat     *chat.Service
	Inbox    *inbox.Service
	Feed     *feed.Service
	Calls    *calls.Service
	Outbox   *outbox.Service // delivers replies to customers
	Settings *settings.Service
	// Files is where attachments are stored; Signer signs their download URLs.
	Files  blob.Store
	Signer *files.Signer
	// AvatarSigner signs User.avatarUrl (AvatarPath).
	AvatarSigner *files.Signer
	Retention    *retention.Job
	// receivers are the providers whose webhooks Parley serves, by kind.
	receivers map[channel.Kind]channel.Receiver
	handler   http.Handler
	// metrics is this instance's registry, served at /metrics or on
	// metricsListener (PARLEY_METRICS_ADDR).
	metrics         *metrics.Metrics
	metricsListener net.Listener
}

// New opens the database, migrates it and builds the HTTP handler.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Log == nil {
		cfg.Log, _ = logx.New(os.Stderr, "", "")
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC() }
	}
	database, err := db.Open(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := database.Migrate(ctx, cfg.Log); err != nil {
		database.Close()
		return nil, err
	}
	a := &App{cfg: cfg, log: cfg.Log, DB: database, metrics: metrics.New()}
	a.Auth = auth.New(database.Client, database.Rebind, cfg.BcryptCost, cfg.Now)
	a.Live = live.New(live.Config{Auth: socketAuth{a.Auth}, ErrorPresenter: a.presentError,
		Origins: cfg.CORSOrigins, InitTimeout: cfg.WebsocketInitTimeout, TokenCheck: cfg.TokenCheck, Log: cfg.Log,
		// Sockets open only once the handler exists, after a.Online is set.
		PresenceChanged: func(userID string, _ bool) { a.Online.Changed(userID) }})
	a.Presence = a.Live.Presence
	a.Fanout = fanout.New(graph.SharedAudience)
	a.Auth.OnRevoke, a.Auth.OnDrop = a.Presence.Revoke, a.Presence.Drop
	a.Hub = pubsub.NewHub()
	log := pubsub.NewLog(database)
	a.Relay = pubsub.NewRelay(database, log, a.Hub, cfg.Log)
	if cfg.RelayPoll > 0 {
		a.Relay.Poll = cfg.RelayPoll
	}
	if err := a.Relay.Start(ctx); err != nil {
		database.Close()
		return nil, err
	}
	a.Access = access.New(database.Client, access.Plan{External: cfg.Plan != "STANDARD"})
	a.Online = presence.New(database, a.Access, a.Relay, cfg.Now, cfg.Log)
	a.Online.Local, a.Online.Heartbeat = a.Presence.Online, cfg.PresenceHeartbeat
	a.Relay.OnSignal = a.Online.Heard
	a.History = history.New(database, cfg.Now, a.Relay.Notify)
	a.Users = users.New(database.Client, a.Auth, a.History)
	if err := a.Users.EnsureAdmin(ctx, cfg.Log, cfg.AdminEmail, cfg.AdminPassword); err != nil {
		database.Close()
		return nil, fmt.Errorf("creating the first admin: %w", err)
	}
	// The SMS provider links files by signed download URLs, made once the
	// signer exists (openFiles, below).
	reg, base := providers(cfg, func(id string) string { return a.Signer.URL(id) })
	a.receivers = implementing[channel.Receiver](base)
	a.Outbox = outbox.New(database, a.History, reg, cfg.Now, cfg.Log)
	if cfg.Outbox != nil {
		a.Outbox.Config = *cfg.Outbox
	}
	a.Chat = chat.New(database, a.Access, a.History, cfg.Now, cfg.Log, reg, a.Outbox.Wake)
	a.Inbox = inbox.New(database, a.Access, a.History, cfg.Now, cfg.Log, reg, a.Outbox.Wake)
	a.Calls = calls.New(database.Client, a.Access, a.History, cfg.Now)
	a.Calls.Relay, a.Calls.ICE = a.Relay, cfg.ICE
	a.Feed = feed.New(database, a.Access, pubsub.NewStreams(database, log, a.Hub, a.Relay, cfg.Log), cfg.Log)
	a.Settings = settings.New(database.Client)
	a.Inbox.Region = cfg.DefaultRegion
	a.Inbox.OverdueAfter = a.Settings.OverdueAfter
	a.Feed.Now, a.Feed.OverdueAfter = cfg.Now, a.Settings.OverdueAfter
	if err := a.openFiles(ctx); err != nil {
		database.Close()
		return nil, err
	}
	a.Chat.Files = chat.Files{Store: a.Files, InternalMax: cfg.InternalFileLimit}
	a.Users.Avatars = a.Files
	a.Inbox.Media = inbox.Media{Store: a.Files, Fetchers: implementing[channel.MediaFetcher](base), Retry: cfg.MediaRetry,
		Rules: func(ctx context.Context, conv *ent.Conversation) (int64, *time.Time, error) {
			r, err := a.Chat.FileRulesFor(ctx, conv)
			return r.MaxSize, r.ExpiresAt, err
		}, Duration: a.Chat.Duration}
	a.Inbox.PublicURL = cfg.PublicURL
	a.Inbox.Profilers = implementing[channel.Profiler](base)
	a.Inbox.Readers = implementing[channel.Reader](base)
	a.Online.Typers = implementing[channel.Typer](base)
	a.Chat.Transcriptions.Engine = cfg.TranscribeEngine
	if a.Chat.Transcriptions.Engine == nil {
		a.Chat.Transcriptions.Engine = transcribe.Choose(cfg.Transcribe)
		a.logEngine(a.Chat.Transcriptions.Engine)
	}
	if cfg.TranscribeJob != nil {
		a.Chat.Transcriptions.Config = *cfg.TranscribeJob
	}
	a.Retention = retention.New(database, a.History, a.Files, a.Settings, cfg.Log, cfg.Now)
	a.instrument()
	if err := a.listenMetrics(); err != nil {
		a.Files.Close()
		database.Close()
		return nil, fmt.Errorf("PARLEY_METRICS_ADDR: %w", err)
	}
	a.handler = a.routes()
	a.logCORS()
	return a, nil
}

// providers are the kinds of channel Parley speaks: a provider is one
// folder under server/channel and one entry here. It returns the registry
// and the providers themselves, whose webhooks and file fetching serve
// also when a test's stand-in replaces the sending.
func providers(cfg Config, mediaURL func(attachmentID string) string) (*channel.Registry, []channel.Provider) {
	graph := meta.Graph{Base: cfg.MetaGraphURL}
	all := []channel.Provider{sms.Provider{API: cfg.TwilioAPIURL, PublicURL: cfg.PublicURL, MediaURL: mediaURL},
		whatsapp.Provider{Graph: graph, MediaURL: mediaURL}, messenger.Provider{Graph: graph, MediaURL: mediaURL},
		instagram.Provider{Graph: graph, MediaURL: mediaURL}, livechat.Provider{}}
	r := channel.NewRegistry(all...)
	for kind, s := range cfg.Senders {
		if p, err := r.For(kind); err == nil {
			r.Register(channel.WithSender(p, s))
		}
	}
	return r, all
}

// implementing are the providers with an optional part of the seam
// (webhooks, files), by kind.
func implementing[T any](providers []channel.Provider) map[channel.Kind]T {
	out := map[channel.Kind]T{}
	for _, p := range providers {
		if t, ok := p.(T); ok {
			out[p.Kind()] = t
		}
	}
	return out
}

// logEngine says at start which speech engine transcribes voice messages.
func (a *App) logEngine(e transcribe.Engine) {
	switch e.(type) {
	case *transcribe.OpenAI:
		a.log.Info("transcription: the OpenAI-compatible endpoint", "url", redactURL(a.cfg.Transcribe.URL), "model", cmp.Or(a.cfg.Transcribe.Model, transcribe.DefaultModel))
	case *transcribe.Local:
		a.log.Info("transcription: the local engine (pocketsphinx, English)")
	default:
		a.log.Warn("transcription: no speech engine configured; set PARLEY_TRANSCRIBE_URL or install pocketsphinx, pocketsphinx-en-us and ffmpeg")
	}
}

// redactURL drops any user and password from a URL before it is logged.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(not a URL)"
	}
	return u.Redacted()
}

// openFiles opens attachment storage (PARLEY_STORAGE_URL, or disk under
// PARLEY_DATA_DIR) and the download URL signer.
func (a *App) openFiles(ctx context.Context) error {
	location := a.cfg.StorageURL
	if location == "" {
		location = blob.DefaultLocation(a.cfg.DataDir)
	}
	store, err := blob.Open(ctx, location)
	if err != nil {
		return fmt.Errorf("opening file storage: %w", err)
	}
	secret := []byte(a.cfg.FileURLSecret)
	if len(secret) == 0 {
		if secret, err = a.Settings.Secret(ctx, settings.FileURLSecretKey, 32); err != nil {
			store.Close()
			return fmt.Errorf("reading the download URL secret: %w", err)
		}
	}
	signer, err := files.NewSigner(secret, a.cfg.PublicURL, 0)
	if err != nil {
		store.Close()
		return err
	}
	signer.SetClock(a.cfg.Now)
	a.Files, a.Signer = store, signer
	a.AvatarSigner = signer.For(AvatarPath, "parley avatar urls v1")
	return nil
}

// Handler serves the whole API.
func (a *App) Handler() http.Handler { return a.handler }

// ShutdownTimeout bounds a graceful shutdown: requests in flight finish,
// and WebSocket clients answer their close, within it.
const ShutdownTimeout = 15 * time.Second

// Serve serves the API on l until ctx ends, then shuts down gracefully: it
// stops accepting, lets the requests in flight finish, and closes every
// WebSocket with 1012 (service restart), on which clients reconnect.
// http.Server.Shutdown alone leaves WebSockets open: they are hijacked.
func (a *App) Serve(ctx context.Context, l net.Listener) error {
	// Cancelled last, for whatever a hijacked connection still runs.
	base, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	stop, cancelStop := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancelStop()
	err := srv.Shutdown(stop)
	// Every upgrade is now done or hijacked, so every socket is known.
	a.Live.CloseAll(stop)
	<-served
	return err
}

// Run runs the event relay and the background schedule until ctx ends.
func (a *App) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.Relay.Run(ctx) }()
	go func() { defer wg.Done(); a.serveMetrics(ctx) }()
	jobs.Schedule{Log: a.log, Outbox: a.Outbox, Sessions: a.Inbox, Retention: a.Retention,
		RetentionInterval: a.cfg.RetentionInterval, Tokens: a.Live, Transcriptions: a.Chat.Transcriptions,
		Presence: a.Online}.Run(ctx)
	wg.Wait()
	return nil
}

// Close releases the database, file storage and the metrics address.
func (a *App) Close() error {
	if a.metricsListener != nil {
		_ = a.metricsListener.Close() // closed already if Run served it
	}
	if a.Presence != nil {
		a.Presence.Wait() // the sockets' last presence changes write to the database
	}
	return errors.Join(a.Files.Close(), a.DB.Close())
}
