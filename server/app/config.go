package app

import (
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"parley/graph/model"
	"parley/server/calls"
	"parley/server/channel"
	"parley/server/chat"
	"parley/server/inbox"
	"parley/server/logx"
	"parley/server/outbox"
	"parley/server/transcribe"
)

// Config is everything the server is told from outside (API.md "Running").
type Config struct {
	Addr          string
	DatabaseURL   string
	DataDir       string
	AdminEmail    string
	AdminPassword string
	Plan          model.Plan
	CORSOrigins   []string
	// TrustedProxies may name the client in X-Forwarded-For (rate limits).
	TrustedProxies []netip.Prefix
	PublicURL      string
	// TwilioAPIURL is Twilio's REST API (PARLEY_TWILIO_API_URL; "" is
	// https://api.twilio.com), replaced by a stand-in in tests.
	TwilioAPIURL string
	// MetaGraphURL is the Graph API of WhatsApp, Messenger and Instagram
	// (PARLEY_META_GRAPH_URL; "" is https://graph.facebook.com/v23.0).
	MetaGraphURL string
	Demo         bool
	// StorageURL is where attachments go (blob.Open): file://, mem://, or
	// s3://, gs://, azblob:// in a binary built with that driver's tag; ""
	// keeps them on local disk in DataDir/files.
	StorageURL string
	// FileURLSecret signs download URLs (at least 32 bytes). "" uses one
	// generated on first start and kept in the database, shared by every
	// instance on it.
	FileURLSecret string

	// MaxBodyBytes caps a JSON request body (PARLEY_MAX_BODY_BYTES; 0
	// means DefaultMaxBody). Uploads have their own, per-file, limits.
	MaxBodyBytes int64

	// Transcribe chooses the speech engine (PARLEY_TRANSCRIBE_URL, _KEY,
	// _MODEL): an OpenAI-compatible endpoint, else the local engine if
	// installed, else none.
	Transcribe transcribe.Config

	// MetricsAddr serves /metrics on an address of its own
	// (PARLEY_METRICS_ADDR, like 127.0.0.1:9090) instead of the main port.
	MetricsAddr string
	// LogLevel and LogFormat choose the logger (PARLEY_LOG_LEVEL,
	// PARLEY_LOG_FORMAT; see logx.New). main builds it.
	LogLevel, LogFormat string
	// DebugAddr is the loopback address serving net/http/pprof
	// (PARLEY_DEBUG_ADDR); "" serves none.
	DebugAddr string

	// DefaultRegion reads phone numbers written in national form
	// (PARLEY_DEFAULT_REGION, ISO 3166 such as DE); "" understands only
	// international ones (+49 …).
	DefaultRegion string
	// ICE are the STUN/TURN servers of calls (PARLEY_ICE_SERVERS,
	// PARLEY_TURN_SECRET, PARLEY_TURN_TTL).
	ICE calls.ICE

	// BcryptCost is the password hashing cost (PARLEY_BCRYPT_COST; 0 means
	// bcrypt's default). Lowering it is a load-testing knob, never for production.
	BcryptCost int

	// Set by tests; zero values mean production defaults.
	Now func() time.Time
	Log *slog.Logger
	// Senders replace the providers' senders by kind (a stand-in for a
	// provider's API in tests).
	Senders map[channel.Kind]channel.Sender
	// MediaRetry replaces the first wait before an inbound file is fetched again (default 2s).
	MediaRetry time.Duration
	// Outbox replaces the outbox's retry settings.
	Outbox *outbox.Config
	// TranscribeEngine replaces the engine Transcribe chooses.
	TranscribeEngine transcribe.Engine
	// TranscribeJob replaces the transcription job's timings.
	TranscribeJob *chat.TranscribeConfig
	// VisitorBurst is how many Live Chats one address may start at once (default 20).
	VisitorBurst int
	// VisitorWriteInterval replaces how often a Live Chat visitor may send
	// once past the burst (default graph.VisitorWriteInterval).
	VisitorWriteInterval time.Duration
	// RelayPoll is how often the event log is read without being told (default 1s).
	RelayPoll time.Duration
	// InternalFileLimit replaces the internal chat file limit (bytes).
	InternalFileLimit int64
	// RetentionInterval is how often the retention job runs (hourly by
	// default); negative turns the background runs off.
	RetentionInterval time.Duration
	// TokenCheck is how often open WebSockets' tokens are checked against
	// the database (default 10s), which closes the sockets of a token
	// revoked through another instance, or expired.
	TokenCheck time.Duration
	// WebsocketInitTimeout is how long a socket may wait before its
	// connection_init (default 15s).
	WebsocketInitTimeout time.Duration
	// PresenceHeartbeat is how often an instance refreshes its online users
	// in the database (default presence.Heartbeat); three missed, and
	// another instance takes them offline.
	PresenceHeartbeat time.Duration
}

// minSecretLen is what files.NewSigner needs.
const minSecretLen = 32

// FromEnv reads the configuration from environment variables.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Addr:          or(getenv("PARLEY_ADDR"), ":8080"),
		DatabaseURL:   or(getenv("DATABASE_URL"), "sqlite://parley.db"),
		DataDir:       or(getenv("PARLEY_DATA_DIR"), "./data"),
		AdminEmail:    getenv("PARLEY_ADMIN_EMAIL"),
		AdminPassword: getenv("PARLEY_ADMIN_PASSWORD"),
		Plan:          model.Plan(strings.ToUpper(or(getenv("PARLEY_PLAN"), "ENTERPRISE"))),
		PublicURL:     strings.TrimRight(strings.TrimSpace(getenv("PARLEY_PUBLIC_URL")), "/"),
		StorageURL:    strings.TrimSpace(getenv("PARLEY_STORAGE_URL")),
		TwilioAPIURL:  strings.TrimRight(strings.TrimSpace(getenv("PARLEY_TWILIO_API_URL")), "/"),
		MetaGraphURL:  strings.TrimRight(strings.TrimSpace(getenv("PARLEY_META_GRAPH_URL")), "/"),
		FileURLSecret: getenv("PARLEY_FILE_URL_SECRET"),
		Transcribe:    transcribe.ConfigFromEnv(getenv),
		MetricsAddr:   strings.TrimSpace(getenv("PARLEY_METRICS_ADDR")),
		LogLevel:      strings.TrimSpace(getenv("PARLEY_LOG_LEVEL")),
		LogFormat:     strings.TrimSpace(getenv("PARLEY_LOG_FORMAT")),
		DebugAddr:     strings.TrimSpace(getenv("PARLEY_DEBUG_ADDR")),
		DefaultRegion: strings.ToUpper(strings.TrimSpace(getenv("PARLEY_DEFAULT_REGION"))),
	}
	ice, err := calls.ParseICE(getenv("PARLEY_ICE_SERVERS"), getenv("PARLEY_TURN_SECRET"), strings.TrimSpace(getenv("PARLEY_TURN_TTL")))
	if err != nil {
		return c, err
	}
	c.ICE = ice
	if c.DefaultRegion != "" && !inbox.ValidRegion(c.DefaultRegion) {
		return c, fmt.Errorf("PARLEY_DEFAULT_REGION must be a region code such as DE, US or GB (or unset, for international numbers only)")
	}
	if c.PublicURL == "" {
		c.PublicURL = DefaultPublicURL(c.Addr)
	}
	if _, err := logx.New(io.Discard, c.LogLevel, c.LogFormat); err != nil {
		return c, err
	}
	if c.DebugAddr != "" && !isLoopback(c.DebugAddr) {
		return c, fmt.Errorf("PARLEY_DEBUG_ADDR must be a loopback address such as 127.0.0.1:6060 or localhost:6060: profiles are never served beyond this machine")
	}
	if c.StorageURL != "" && !strings.Contains(c.StorageURL, "://") {
		return c, fmt.Errorf("PARLEY_STORAGE_URL must be a bucket URL such as s3://bucket?region=eu-west-1 (leave it unset to store files under PARLEY_DATA_DIR)")
	}
	if c.FileURLSecret != "" && len(c.FileURLSecret) < minSecretLen {
		return c, fmt.Errorf("PARLEY_FILE_URL_SECRET must be at least %d characters (or unset, to generate one)", minSecretLen)
	}
	if v := getenv("PARLEY_BCRYPT_COST"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < bcrypt.MinCost || n > bcrypt.MaxCost {
			return c, fmt.Errorf("PARLEY_BCRYPT_COST must be a number from %d to %d, not %q", bcrypt.MinCost, bcrypt.MaxCost, v)
		}
		c.BcryptCost = n
	}
	if v := getenv("PARLEY_MAX_BODY_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1024 {
			return c, fmt.Errorf("PARLEY_MAX_BODY_BYTES must be a number of bytes, at least 1024, not %q", v)
		}
		c.MaxBodyBytes = n
	}
	if !c.Plan.IsValid() {
		return c, fmt.Errorf("PARLEY_PLAN must be STANDARD, ENTERPRISE or ULTIMATE, not %q", c.Plan)
	}
	for _, o := range strings.Split(getenv("PARLEY_CORS_ORIGINS"), ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o == "" {
			continue
		}
		if o == anyOrigin {
			c.CORSOrigins = append(c.CORSOrigins, o)
			continue
		}
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" {
			return c, fmt.Errorf("PARLEY_CORS_ORIGINS: %q is not an origin like https://app.example.com (or * for every origin)", o)
		}
		c.CORSOrigins = append(c.CORSOrigins, o)
	}
	proxies, err := parseProxies(getenv("PARLEY_TRUSTED_PROXIES"))
	if err != nil {
		return c, fmt.Errorf("PARLEY_TRUSTED_PROXIES: %w (want addresses or prefixes like 10.0.0.0/8)", err)
	}
	c.TrustedProxies = proxies
	if u, err := url.Parse(c.PublicURL); err != nil || u.Scheme == "" || u.Host == "" {
		return c, fmt.Errorf("PARLEY_PUBLIC_URL: %q is not a URL like https://parley.example.com", c.PublicURL)
	}
	return c, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
