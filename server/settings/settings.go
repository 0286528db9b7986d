// Package settings keeps the organisation-wide values an admin may change
// (how long internal history is kept) and values instances must share (the
// download URL secret) in the database's settings table.
package settings

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"time"

	"parley/ent"
	"parley/ent/setting"
	"parley/server/apperr"
	"parley/server/auth"
)

// Keys of the settings table.
const (
	// InternalHistoryDaysKey is how many days internal (DIRECT and GROUP)
	// messages are kept.
	InternalHistoryDaysKey = "retention.internal_days"
	// FileURLSecretKey is the generated download URL secret, when
	// PARLEY_FILE_URL_SECRET does not give one.
	FileURLSecretKey = "files.url_secret"
	// OverdueAfterMinutesKey is how many minutes a customer may wait for an
	// answer before their session is overdue.
	OverdueAfterMinutesKey = "inbox.overdue_after_minutes"
)

// Defaults and bounds (API.md: internal history is kept 1 year).
const (
	DefaultInternalHistoryDays = 365
	MinInternalHistoryDays     = 1
	// MaxInternalHistoryDays keeps cut-off arithmetic far from overflow.
	MaxInternalHistoryDays = 36500

	DefaultOverdueAfterMinutes = 15
	MinOverdueAfterMinutes     = 1
	// MaxOverdueAfterMinutes is 30 days.
	MaxOverdueAfterMinutes = 43200
)

// Service reads and writes settings.
type Service struct{ db *ent.Client }

// New returns the service.
func New(db *ent.Client) *Service { return &Service{db: db} }

// Organization is what an admin sees and changes.
type Organization struct {
	InternalHistoryDays int
	OverdueAfterMinutes int
}

// OrganizationUpdate is a change; nil fields stay as they are.
type OrganizationUpdate struct {
	InternalHistoryDays *int
	OverdueAfterMinutes *int
}

// Organization returns the organisation's settings; admins only.
func (s *Service) Organization(ctx context.Context, v *auth.Viewer) (Organization, error) {
	if !v.IsAdmin() {
		return Organization{}, apperr.Forbid("only an admin can see the organisation's settings")
	}
	return s.organization(ctx)
}

func (s *Service) organization(ctx context.Context) (Organization, error) {
	days, err := s.InternalHistoryDays(ctx)
	if err != nil {
		return Organization{}, err
	}
	mins, err := s.overdueAfterMinutes(ctx)
	return Organization{InternalHistoryDays: days, OverdueAfterMinutes: mins}, err
}

// UpdateOrganization changes the organisation's settings; admins only.
func (s *Service) UpdateOrganization(ctx context.Context, v *auth.Viewer, in OrganizationUpdate) (Organization, error) {
	if !v.IsAdmin() {
		return Organization{}, apperr.Forbid("only an admin can change the organisation's settings")
	}
	if d := in.InternalHistoryDays; d != nil {
		if *d < MinInternalHistoryDays || *d > MaxInternalHistoryDays {
			return Organization{}, apperr.BadInput("internalHistoryDays must be between %d and %d", MinInternalHistoryDays, MaxInternalHistoryDays).
				With("field", "internalHistoryDays")
		}
		if err := s.set(ctx, InternalHistoryDaysKey, strconv.Itoa(*d)); err != nil {
			return Organization{}, err
		}
	}
	if m := in.OverdueAfterMinutes; m != nil {
		if *m < MinOverdueAfterMinutes || *m > MaxOverdueAfterMinutes {
			return Organization{}, apperr.BadInput("overdueAfterMinutes must be between %d and %d", MinOverdueAfterMinutes, MaxOverdueAfterMinutes).
				With("field", "overdueAfterMinutes")
		}
		if err := s.set(ctx, OverdueAfterMinutesKey, strconv.Itoa(*m)); err != nil {
			return Organization{}, err
		}
	}
	return s.organization(ctx)
}

// InternalHistoryDays is how many days internal messages are kept.
func (s *Service) InternalHistoryDays(ctx context.Context) (int, error) {
	v, ok, err := s.get(ctx, InternalHistoryDaysKey)
	if err != nil || !ok {
		return DefaultInternalHistoryDays, err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < MinInternalHistoryDays || n > MaxInternalHistoryDays {
		// Written by hand and wrong: keep the safe default rather than
		// deleting history on a typo.
		return DefaultInternalHistoryDays, nil
	}
	return n, nil
}

// OverdueAfter is how long a customer may wait for an answer before their
// session is overdue.
func (s *Service) OverdueAfter(ctx context.Context) (time.Duration, error) {
	m, err := s.overdueAfterMinutes(ctx)
	return time.Duration(m) * time.Minute, err
}

func (s *Service) overdueAfterMinutes(ctx context.Context) (int, error) {
	v, ok, err := s.get(ctx, OverdueAfterMinutesKey)
	if err != nil || !ok {
		return DefaultOverdueAfterMinutes, err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < MinOverdueAfterMinutes || n > MaxOverdueAfterMinutes {
		return DefaultOverdueAfterMinutes, nil
	}
	return n, nil
}

// Secret returns the secret stored under key, generating n random bytes
// (hex-encoded) the first time. Every instance reads the same one: the
// first writer wins and the others read what it wrote.
func (s *Service) Secret(ctx context.Context, key string, n int) ([]byte, error) {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	// Ignore keeps the stored value on conflict (it sets key = key).
	if err := s.db.Setting.Create().SetKey(key).SetValue(hex.EncodeToString(b)).
		OnConflictColumns(setting.FieldKey).Ignore().Exec(ctx); err != nil {
		return nil, err
	}
	v, ok, err := s.get(ctx, key)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, apperr.New(apperr.Internal, "the secret %s was not stored", key)
	}
	return []byte(v), nil
}

func (s *Service) get(ctx context.Context, key string) (string, bool, error) {
	st, err := s.db.Setting.Query().Where(setting.Key(key)).Only(ctx)
	if ent.IsNotFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return st.Value, true, nil
}

func (s *Service) set(ctx context.Context, key, value string) error {
	return s.db.Setting.Create().SetKey(key).SetValue(value).
		OnConflictColumns(setting.FieldKey).UpdateValue().UpdateUpdatedAt().Exec(ctx)
}
