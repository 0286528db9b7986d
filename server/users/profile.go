package users

import (
	"context"
	"strings"
	"unicode/utf8"

	"parley/ent"
	"parley/ent/conversation"
	"parley/ent/schema/pulid"
	"parley/ent/user"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/history"
)

// Profile is a change of name and extension; nil fields stay, an empty
// extension removes it.
type Profile struct {
	Name      *string
	Extension *string
}

// UpdateProfile changes the caller's own name and extension.
func (s *Service) UpdateProfile(ctx context.Context, v *auth.Viewer, in Profile) (_ *ent.User, err error) {
	defer apperr.At("users.UpdateProfile", &err)
	if err := colleague(v); err != nil {
		return nil, err
	}
	return s.update(ctx, v.UserID, in, nil)
}

// UpdateUser changes anyone's name, extension and role (admins only).
// Demoting the last active admin is CONFLICT. An agent made a member
// leaves their channels; every role change makes the user's open sockets
// here reconnect, so they run with the new role.
func (s *Service) UpdateUser(ctx context.Context, v *auth.Viewer, id pulid.ID, in Profile, role *user.Role) (_ *ent.User, err error) {
	defer apperr.At("users.UpdateUser", &err)
	if !v.IsAdmin() {
		return nil, apperr.Forbid("only an admin can edit another user")
	}
	if role != nil {
		if err := user.RoleValidator(*role); err != nil {
			return nil, apperr.BadInput("unknown role").With("field", "role")
		}
	}
	return s.update(ctx, id, in, role)
}

func (s *Service) update(ctx context.Context, id pulid.ID, in Profile, role *user.Role) (*ent.User, error) {
	var name, ext *string
	clearExt := false
	if in.Name != nil {
		n, err := cleanName(*in.Name)
		if err != nil {
			return nil, err
		}
		name = &n
	}
	if in.Extension != nil {
		e, err := cleanExtension(*in.Extension)
		if err != nil {
			return nil, err
		}
		ext, clearExt = e, e == nil
	}
	var (
		u           *ent.User
		roleChanged bool
	)
	err := s.history.Write(ctx, func(tx *history.Tx) error {
		var admins []pulid.ID
		if role != nil {
			var err error
			if admins, err = lockAdmins(ctx, tx); err != nil {
				return err
			}
		}
		cur, err := s.lockUser(ctx, tx, id, "id")
		if err != nil {
			return err
		}
		up := tx.User.UpdateOneID(id).SetNillableName(name).SetNillableExtension(ext)
		if clearExt {
			up.ClearExtension()
		}
		if role != nil && *role != cur.Role {
			if cur.Role == user.RoleADMIN && cur.Active {
				if err := keepAnAdmin(admins, id); err != nil {
					return err
				}
			}
			up.SetRole(*role)
			if *role == user.RoleMEMBER {
				// A member works in internal chat only: no channel, and the
				// sessions forwarded to them go back to their channels' agents.
				up.ClearChannels()
				if err := tx.Conversation.Update().Where(conversation.AssigneeID(id)).ClearAssigneeID().Exec(ctx); err != nil {
					return err
				}
			}
			roleChanged = true
		}
		if u, err = up.Save(ctx); err != nil {
			return err
		}
		if changed(cur, u) {
			tx.Emit(history.UserUpdatedEvent(id))
		}
		return nil
	})
	if ent.IsConstraintError(err) {
		return nil, apperr.New(apperr.Conflict, "another user has that extension").With("field", "extension")
	}
	if err != nil {
		return nil, err
	}
	if roleChanged {
		_ = s.auth.Reconnect(ctx, id) // best effort: the role is saved
	}
	return u, nil
}

// changed says whether colleagues need to hear of the update.
func changed(a, b *ent.User) bool {
	return a.Name != b.Name || a.Role != b.Role || deref(a.Extension) != deref(b.Extension)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// cleanName trims a name and bounds it: 1 to 200 characters.
func cleanName(n string) (string, error) {
	n = strings.TrimSpace(n)
	if n == "" || utf8.RuneCountInString(n) > 200 || !utf8.ValidString(n) {
		return "", apperr.BadInput("a name must be 1 to 200 characters").With("field", "name")
	}
	return n, nil
}

// cleanExtension trims an extension: nil when empty, at most 32 characters.
func cleanExtension(e string) (*string, error) {
	e = strings.TrimSpace(e)
	if e == "" {
		return nil, nil
	}
	if utf8.RuneCountInString(e) > 32 || !utf8.ValidString(e) {
		return nil, apperr.BadInput("an extension is at most 32 characters").With("field", "extension")
	}
	return &e, nil
}
