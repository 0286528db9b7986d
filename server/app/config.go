package app

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"parley/graph/model"
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

	// BcryptCost is the password hashing cost (PARLEY_BCRYPT_COST; 0 means
	// bcrypt's default). Lowering it is a load-testing knob, never for production.
	BcryptCost int

	// Set by tests; zero values mean production defaults.
	Now func() time.Time
	Log *slog.Logger
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
	if v := getenv("PARLEY_BCRYPT_COST"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < bcrypt.MinCost || n > bcrypt.MaxCost {
			return c, fmt.Errorf("PARLEY_BCRYPT_COST must be a number from %d to %d, not %q", bcrypt.MinCost, bcrypt.MaxCost, v)
		}
		c.BcryptCost = n
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
