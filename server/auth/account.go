package auth

import (
	"context"

	"golang.org/x/crypto/bcrypt"

	"parley/ent"
	"parley/ent/schema/pulid"
	"parley/ent/token"
	"parley/server/apperr"
	"parley/server/ratelimit"
)

// CheckPasswordLength is the rule every new password obeys (createUser's,
// changePassword's and resetPassword's); field names the input in the error.
func CheckPasswordLength(pw, field string) error {
	if len(pw) < MinPasswordLen || len(pw) > MaxPasswordLen {
		return apperr.BadInput("a password must be %d to %d bytes long", MinPasswordLen, MaxPasswordLen).With("field", field)
	}
	return nil
}

// VerifyPassword checks a signed-in user's password before a change (the
// current one in changePassword). Wrong answers count as failed logins of
// the account from the caller's address, so a stolen token cannot be used
// to guess the password faster than a login could: RATE_LIMITED while
// throttled, BAD_USER_INPUT (field) when wrong.
func (s *Service) VerifyPassword(ctx context.Context, u *ent.User, pw, field string) error {
	key, addr := u.Email, ratelimit.ClientIP(ctx)
	if err := s.failures.check(key, addr); err != nil {
		return err
	}
	if len(pw) > MaxPasswordLen || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pw)) != nil {
		s.failures.failed(key, addr)
		return apperr.BadInput("the current password is not right").With("field", field)
	}
	return nil
}

// RevokeUserTokens revokes every live token of the user except keep (0 for
// none) in db (a transaction's client, or the service's when nil). Call
// Closed with what it returns once the change is committed: that closes
// their sockets here at once; other instances' sweeps find them revoked.
func (s *Service) RevokeUserTokens(ctx context.Context, db *ent.Client, userID pulid.ID, keep int) ([]int, error) {
	if db == nil {
		db = s.db
	}
	q := db.Token.Query().Where(token.UserID(userID), token.RevokedAtIsNil(), token.IDNEQ(keep))
	ids, err := q.IDs(ctx)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	err = db.Token.Update().Where(token.IDIn(ids...)).SetRevokedAt(s.now()).Exec(ctx)
	s.tokens.dropTokens(ids...) // and again in Closed, once committed
	return ids, err
}

// Closed closes the sockets of revoked tokens on this instance.
func (s *Service) Closed(tokenIDs []int) {
	s.tokens.dropTokens(tokenIDs...)
	if s.OnRevoke == nil {
		return
	}
	for _, id := range tokenIDs {
		s.OnRevoke(id)
	}
}

// Reconnect makes the user's open sockets on this instance reconnect (as
// after a restart), so that they run with the user's new role.
func (s *Service) Reconnect(ctx context.Context, userID pulid.ID) error {
	s.tokens.dropUser(userID) // their requests too run with the new role
	if s.OnDrop == nil {
		return nil
	}
	ids, err := s.db.Token.Query().Where(token.UserID(userID), token.RevokedAtIsNil()).IDs(ctx)
	for _, id := range ids {
		s.OnDrop(id)
	}
	return err
}
