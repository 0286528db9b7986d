package db

import (
	"net/url"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	pg := func(t *testing.T, raw string) url.Values {
		t.Helper()
		drv, dsn, _, err := parseURL(raw)
		if err != nil || drv != "postgres" {
			t.Fatalf("parseURL(%q) = %q, %v", raw, drv, err)
		}
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		return u.Query()
	}
	t.Run("postgres defaults", func(t *testing.T) {
		q := pg(t, "postgres://u:p@db.example.com:5432/parley")
		if q.Get("sslmode") != "prefer" || q.Get("binary_parameters") != "yes" {
			t.Errorf("query %v, want sslmode=prefer and binary_parameters=yes", q)
		}
	})
	t.Run("postgres keeps what the URL says", func(t *testing.T) {
		q := pg(t, "postgresql://u@localhost/parley?sslmode=disable&binary_parameters=no&application_name=x")
		if q.Get("sslmode") != "disable" || q.Get("binary_parameters") != "no" || q.Get("application_name") != "x" {
			t.Errorf("query %v", q)
		}
	})
	t.Run("sqlite pragmas", func(t *testing.T) {
		drv, dsn, _, err := parseURL("sqlite://" + t.TempDir() + "/p.db?_pragma=cache_size(-2000)")
		if err != nil || drv != "sqlite" {
			t.Fatalf("%q, %v", drv, err)
		}
		for _, want := range []string{"foreign_keys(1)", "journal_mode(WAL)", "busy_timeout", "cache_size(-2000)", "_txlock=immediate"} {
			if !strings.Contains(dsn, url.QueryEscape(want)) && !strings.Contains(dsn, want) {
				t.Errorf("dsn %q lacks %q", dsn, want)
			}
		}
	})
	t.Run("refused", func(t *testing.T) {
		// Passwords with characters that should have been percent-encoded
		// make URLs that do not parse; url.Parse's error repeats the URL and
		// may quote a piece of the password ("invalid port \":secr\"").
		for _, raw := range []string{"mysql://root@localhost/x", "sqlite://", "postgres://u:secret@h/db?sslmode=bogus",
			"postgres://u:secr#et@h/db", "postgres://u:secr/et@h/db", "postgresql://u:secret@[::1/db",
			"postgres://u:secr%zzet@h/db", "mysql://root:secr#et@h/x", "postgres://u:secret@h:99999999/db"} {
			_, _, _, err := parseURL(raw)
			if err == nil {
				t.Errorf("parseURL(%q) accepted", raw)
			} else if strings.Contains(err.Error(), "secr") {
				t.Errorf("parseURL(%q) leaks the password: %v", raw, err)
			}
		}
	})
}
