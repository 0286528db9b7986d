// Package users is the directory of colleagues: creating accounts, finding
// people by name, extension or e-mail, and personal settings.
package users

import (
	"context"
	"log/slog"
	"strings"

	"parley/ent"
	"parley/ent/predicate"
	"parley/ent/schema/pulid"
	"parley/ent/user"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/blob"
	"parley/server/history"
)

// Service manages users.
type Service struct {
	db      *ent.Client
	auth    *auth.Service
	history *history.Writer
	// Avatars is where avatar images are stored (set in app.go).
	Avatars blob.Store
}

// New returns the service; changes are written (and colleagues told of
// them) through w.
func New(db *ent.Client, a *auth.Service, w *history.Writer) *Service {
	return &Service{db: db, auth: a, history: w}
}

// NewUser is what creating a user takes.
type NewUser struct {
	Name      string
	Email     string
	Password  string
	Role      user.Role
	Extension *string
}

// Create makes a user; only admins may.
func (s *Service) Create(ctx context.Context, v *auth.Viewer, in NewUser) (*ent.User, error) {
	if !v.IsAdmin() {
		return nil, apperr.Forbid("only an admin can create users")
	}
	return s.create(ctx, in)
}

func (s *Service) create(ctx context.Context, in NewUser) (*ent.User, error) {
	name, err := cleanName(in.Name)
	if err != nil {
		return nil, err
	}
	email := auth.NormalizeEmail(in.Email)
	if !looksLikeEmail(email) {
		return nil, apperr.BadInput("%q is not an e-mail address", in.Email).With("field", "email")
	}
	if in.Role == "" {
		in.Role = user.RoleMEMBER
	}
	if err := user.RoleValidator(in.Role); err != nil {
		return nil, apperr.BadInput("unknown role %q", in.Role).With("field", "role")
	}
	var ext *string
	if in.Extension != nil {
		if ext, err = cleanExtension(*in.Extension); err != nil {
			return nil, err
		}
	}
	hash, err := s.auth.HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	u, err := s.db.User.Create().
		SetName(name).SetEmail(email).SetRole(in.Role).SetPasswordHash(hash).SetNillableExtension(ext).
		Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, apperr.New(apperr.Conflict, "a user with that e-mail or extension already exists")
	}
	return u, err
}

// EnsureAdmin creates an admin with the given credentials if no user exists yet.
func (s *Service) EnsureAdmin(ctx context.Context, log *slog.Logger, email, password string) error {
	if email == "" || password == "" {
		return nil
	}
	n, err := s.db.User.Query().Count(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		// Never a silent reset: the admin changes their password with
		// changePassword (README "Accounts").
		log.Info("users exist: PARLEY_ADMIN_EMAIL and PARLEY_ADMIN_PASSWORD are only used on a first start and are ignored")
		return nil
	}
	name, _, _ := strings.Cut(email, "@")
	if _, err := s.create(ctx, NewUser{Name: name, Email: email, Password: password, Role: user.RoleADMIN}); err != nil {
		return err
	}
	log.Info("created the first admin", "email", auth.NormalizeEmail(email))
	return nil
}

// Get returns a user by ID. Colleagues are visible to every colleague; a
// visitor sees nobody.
func (s *Service) Get(ctx context.Context, v *auth.Viewer, id pulid.ID) (*ent.User, error) {
	if v.IsVisitor() {
		return nil, apperr.Missing("no such user")
	}
	u, err := s.db.User.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("no such user")
	}
	return u, err
}

// SearchQuery returns the users matching a search by name, extension or
// e-mail: active ones only (for pickers) unless an admin asks for all.
func (s *Service) SearchQuery(v *auth.Viewer, search string, includeInactive bool) (*ent.UserQuery, error) {
	q := s.db.User.Query()
	switch {
	case includeInactive && !v.IsAdmin():
		return nil, apperr.Forbid("only an admin can list deactivated users")
	case !includeInactive:
		q = q.Where(user.Active(true))
	}
	if term := strings.TrimSpace(search); term != "" {
		q = q.Where(MatchUser(term))
	}
	return q, nil
}

// MatchUser matches a user whose name, extension or e-mail contains term, ignoring case.
func MatchUser(term string) predicate.User {
	return user.Or(
		user.NameContainsFold(term),
		user.EmailContainsFold(term),
		user.ExtensionContainsFold(term),
	)
}

// Settings are a user's personal preferences.
type Settings struct {
	SoundEnabled *bool
	PopupEnabled *bool
}

// UpdateSettings changes the caller's own settings.
func (s *Service) UpdateSettings(ctx context.Context, v *auth.Viewer, in Settings) (*ent.User, error) {
	return s.db.User.UpdateOneID(v.UserID).
		SetNillableSoundEnabled(in.SoundEnabled).
		SetNillablePopupEnabled(in.PopupEnabled).
		Save(ctx)
}

func looksLikeEmail(e string) bool {
	at := strings.IndexByte(e, '@')
	return at > 0 && at < len(e)-1 && !strings.ContainsAny(e, " \t\r\n") && len(e) <= 320 &&
		strings.Count(e, "@") == 1
}
