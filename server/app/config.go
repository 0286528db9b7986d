package app

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"parley/graph/model"
	"parley/server/channel"
	"parley/server/chat"
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
	PublicURL     string
	Demo          bool

	// Set by tests; zero values mean production defaults.
	BcryptCost int
	Now        func() time.Time
	Log        *slog.Logger
	// Adapters replaces the providers' adapters by kind.
	Adapters channel.Registry
	// Outbox replaces the outbox's retry settings.
	Outbox *chat.OutboxConfig
	// VisitorBurst is how many Live Chats one address may start at once (default 20).
	VisitorBurst int
	// RelayPoll is how often the event log is read without being told (default 1s).
	RelayPoll time.Duration
}

// FromEnv reads the configuration from environment variables.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Addr:          or(getenv("PARLEY_ADDR"), ":8080"),
		DatabaseURL:   or(getenv("DATABASE_URL"), "sqlite://parley.db"),
		DataDir:       or(getenv("PARLEY_DATA_DIR"), "./data"),
		AdminEmail:    getenv("PARLEY_ADMIN_EMAIL"),
		AdminPassword: getenv("PARLEY_ADMIN_PASSWORD"),
		Plan:          model.Plan(strings.ToUpper(or(getenv("PARLEY_PLAN"), "ENTERPRISE"))),
		PublicURL:     strings.TrimRight(or(getenv("PARLEY_PUBLIC_URL"), "http://localhost:8080"), "/"),
	}
	if !c.Plan.IsValid() {
		return c, fmt.Errorf("PARLEY_PLAN must be STANDARD, ENTERPRISE or ULTIMATE, not %q", c.Plan)
	}
	for _, o := range strings.Split(getenv("PARLEY_CORS_ORIGINS"), ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o == "" {
			continue
		}
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" {
			return c, fmt.Errorf("PARLEY_CORS_ORIGINS: %q is not an origin like https://app.example.com", o)
		}
		c.CORSOrigins = append(c.CORSOrigins, o)
	}
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
