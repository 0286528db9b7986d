package users

import (
	"context"

	"parley/ent"
	"parley/ent/schema/pulid"
	"parley/ent/user"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/history"
)

// ChangePassword sets the caller's password once they give the current
// one (auth.VerifyPassword: BAD_USER_INPUT on field currentPassword,
// throttled as failed logins). Their other tokens are revoked, so a thief
// holding one is out; the token of this request stays.
func (s *Service) ChangePassword(ctx context.Context, v *auth.Viewer, current, next string) (err error) {
	defer apperr.At("users.ChangePassword", &err)
	if err := colleague(v); err != nil {
		return err
	}
	if err := auth.CheckPasswordLength(next, "newPassword"); err != nil {
		return err
	}
	me, err := s.db.User.Get(ctx, v.UserID)
	if err != nil {
		return err
	}
	if err := s.auth.VerifyPassword(ctx, me, current, "currentPassword"); err != nil {
		return err
	}
	return s.setPassword(ctx, me.ID, next, v.TokenID)
}

// ResetPassword sets anyone's password (admins only) and revokes all their
// tokens; an admin resetting their own keeps the token in use.
func (s *Service) ResetPassword(ctx context.Context, v *auth.Viewer, id pulid.ID, next string) (err error) {
	defer apperr.At("users.ResetPassword", &err)
	if !v.IsAdmin() {
		return apperr.Forbid("only an admin can reset a password")
	}
	if err := auth.CheckPasswordLength(next, "newPassword"); err != nil {
		return err
	}
	if _, err := s.find(ctx, id, "userId"); err != nil {
		return err
	}
	keep := 0
	if id == v.UserID {
		keep = v.TokenID
	}
	return s.setPassword(ctx, id, next, keep)
}

func (s *Service) setPassword(ctx context.Context, id pulid.ID, pw string, keep int) error {
	hash, err := s.auth.HashPassword(pw)
	if err != nil {
		return err
	}
	var revoked []int
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		if err := tx.User.UpdateOneID(id).SetPasswordHash(hash).Exec(ctx); err != nil {
			return err
		}
		revoked, err = s.auth.RevokeUserTokens(ctx, tx.Client(), id, keep)
		return err
	})
	if err == nil {
		s.auth.Closed(revoked)
	}
	return err
}

// Deactivate ends a user's access (admins only; not oneself, FORBIDDEN;
// never the last active admin, CONFLICT): they cannot log in, all their
// tokens are revoked and their sockets close with 4403. Their messages
// keep their name, sessions assigned to them can be forwarded on, and
// they can no longer be added to chats, channels or sessions.
func (s *Service) Deactivate(ctx context.Context, v *auth.Viewer, id pulid.ID) (_ *ent.User, err error) {
	defer apperr.At("users.Deactivate", &err)
	if !v.IsAdmin() {
		return nil, apperr.Forbid("only an admin can deactivate a user")
	}
	if id == v.UserID {
		return nil, apperr.Forbid("you cannot deactivate yourself")
	}
	var (
		u       *ent.User
		revoked []int
	)
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		admins, err := lockAdmins(ctx, tx)
		if err != nil {
			return err
		}
		cur, err := s.lockUser(ctx, tx, id, "userId")
		if err != nil {
			return err
		}
		if !cur.Active {
			u = cur
			return nil
		}
		if cur.Role == user.RoleADMIN {
			if err := keepAnAdmin(admins, id); err != nil {
				return err
			}
		}
		if u, err = tx.User.UpdateOneID(id).SetActive(false).Save(ctx); err != nil {
			return err
		}
		if revoked, err = s.auth.RevokeUserTokens(ctx, tx.Client(), id, 0); err != nil {
			return err
		}
		tx.Emit(history.UserUpdatedEvent(id))
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.auth.Closed(revoked)
	return u, nil
}

// Reactivate lets a deactivated user log in again (admins only).
func (s *Service) Reactivate(ctx context.Context, v *auth.Viewer, id pulid.ID) (_ *ent.User, err error) {
	defer apperr.At("users.Reactivate", &err)
	if !v.IsAdmin() {
		return nil, apperr.Forbid("only an admin can reactivate a user")
	}
	var u *ent.User
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		cur, err := s.lockUser(ctx, tx, id, "userId")
		if err != nil || cur.Active {
			u = cur
			return err
		}
		if u, err = tx.User.UpdateOneID(id).SetActive(true).Save(ctx); err != nil {
			return err
		}
		tx.Emit(history.UserUpdatedEvent(id))
		return nil
	})
	return u, err
}

// lockAdmins returns the active admins, their rows locked (in id order,
// before any other user's, so that two such changes cannot deadlock): two
// admins demoting or deactivating each other at once cannot both succeed.
func lockAdmins(ctx context.Context, tx *history.Tx) ([]pulid.ID, error) {
	return history.ForUpdate(tx, tx.User.Query().Where(user.RoleEQ(user.RoleADMIN), user.Active(true)).
		Order(ent.Asc(user.FieldID))).IDs(ctx)
}

// keepAnAdmin is CONFLICT unless an active admin other than id remains.
func keepAnAdmin(admins []pulid.ID, id pulid.ID) error {
	for _, a := range admins {
		if a != id {
			return nil
		}
	}
	return apperr.New(apperr.Conflict, "this is the last active admin")
}

// lockUser loads a user, locking the row until commit.
func (s *Service) lockUser(ctx context.Context, tx *history.Tx, id pulid.ID, field string) (*ent.User, error) {
	u, err := history.ForUpdate(tx, tx.User.Query().Where(user.ID(id))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("no such user").With("field", field)
	}
	return u, err
}

// find loads a user, NOT_FOUND on field when there is none.
func (s *Service) find(ctx context.Context, id pulid.ID, field string) (*ent.User, error) {
	u, err := s.db.User.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("no such user").With("field", field)
	}
	return u, err
}

func colleague(v *auth.Viewer) error {
	if v == nil || v.IsVisitor() || v.UserID == "" {
		return apperr.Forbid("only a colleague has an account")
	}
	return nil
}
