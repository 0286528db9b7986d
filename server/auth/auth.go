package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"parley/ent"
	"parley/ent/schema/pulid"
	"parley/ent/token"
	"parley/ent/user"
	"parley/server/apperr"
	"parley/server/ratelimit"
)

// TokenTTL is how long a token lives without being revoked.
const TokenTTL = 30 * 24 * time.Hour

// Password length bounds: bcrypt reads at most 72 bytes.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 72
)

// Service logs users in and out and resolves tokens.
type Service struct {
	db *ent.Client
	// rebind adapts $n placeholders to the database in use.
	rebind func(string) string
	cost   int
	now    func() time.Time
	// dummyHash keeps a login for an unknown e-mail as slow as a wrong password.
	dummyHash []byte
	// OnRevoke is called after a token is revoked, so open connections using
	// it can be closed.
	OnRevoke func(tokenID int)
	// OnDrop is called for a token whose sockets should reconnect (its
	// user's role changed).
	OnDrop func(tokenID int)
	// failures throttles failed logins (throttle.go): guessing stops being
	// worth it, and a guesser cannot lock the owner out.
	failures *throttle
	// tokens holds the tokens resolved lately (tokencache.go).
	tokens *tokenCache
}

// New returns the service. cost is the bcrypt cost (bcrypt.DefaultCost in
// production; tests may lower it).
func New(db *ent.Client, rebind func(string) string, cost int, now func() time.Time) *Service {
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, _ := bcrypt.GenerateFromPassword([]byte("parley-dummy-password"), cost)
	return &Service{db: db, rebind: rebind, cost: cost, now: now, dummyHash: h, failures: newThrottle(now), tokens: newTokenCache()}
}

// HashPassword checks a password's length and hashes it.
func (s *Service) HashPassword(pw string) (string, error) {
	if len(pw) < MinPasswordLen || len(pw) > MaxPasswordLen {
		return "", apperr.BadInput("a password must be %d to %d bytes long", MinPasswordLen, MaxPasswordLen).With("field", "password")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.cost)
	return string(h), err
}

// Login checks an e-mail and password and issues a new token. Failed
// logins are throttled by account and client address (throttle.go): while
// a bucket is empty the answer is RATE_LIMITED, even to the right password.
func (s *Service) Login(ctx context.Context, email, password string) (string, *ent.User, error) {
	key, addr := NormalizeEmail(email), ratelimit.ClientIP(ctx)
	if err := s.failures.check(key, addr); err != nil {
		return "", nil, err
	}
	u, err := s.db.User.Query().Where(user.Email(key)).Only(ctx)
	if ent.IsNotFound(err) {
		_ = bcrypt.CompareHashAndPassword(s.dummyHash, []byte(password))
		s.failures.failed(key, addr)
		return "", nil, apperr.Unauth("wrong e-mail or password")
	}
	if err != nil {
		return "", nil, err
	}
	// A deactivated user is refused as a wrong password is: the answer
	// does not tell that the account exists.
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil || !u.Active {
		s.failures.failed(key, addr)
		return "", nil, apperr.Unauth("wrong e-mail or password")
	}
	plain, err := s.issue(ctx, s.db, func(c *ent.TokenCreate) { c.SetUserID(u.ID) })
	if err == nil {
		s.failures.succeeded(key, addr)
	}
	return plain, u, err
}

// IssueVisitorToken creates a token scoped to one Live Chat session.
func (s *Service) IssueVisitorToken(ctx context.Context, tx *ent.Client, sessionID pulid.ID) (string, error) {
	return s.issue(ctx, tx, func(c *ent.TokenCreate) {
		c.SetKind(token.KindVISITOR).SetConversationID(sessionID)
	})
}

func (s *Service) issue(ctx context.Context, db *ent.Client, set func(*ent.TokenCreate)) (string, error) {
	plain, hash := newToken()
	c := db.Token.Create().SetHash(hash).SetExpiresAt(s.now().Add(TokenTTL))
	set(c)
	if err := c.Exec(ctx); err != nil {
		return "", err
	}
	return plain, nil
}

// Authenticate resolves a bearer token (with or without the "Bearer " prefix).
// It returns an UNAUTHENTICATED error for an unknown, expired or revoked token.
func (s *Service) Authenticate(ctx context.Context, bearer string) (*Viewer, error) {
	plain := strings.TrimSpace(bearer)
	if len(plain) > 7 && strings.EqualFold(plain[:7], "bearer ") {
		plain = strings.TrimSpace(plain[7:])
	}
	if plain == "" {
		return nil, apperr.Unauth("no token")
	}
	hash, now := hashToken(plain), s.now()
	v, gen, ok := s.tokens.get(hash, now)
	if ok {
		return v, nil
	}
	// One round trip: the token with its user's role or its session's contact.
	var (
		tokenID          int
		kind             string
		expires          sql.NullTime
		userID, role     sql.NullString
		sessionID, ctcID sql.NullString
	)
	rows, err := s.db.QueryContext(ctx, s.rebind(`SELECT t.id, t.kind, t.expires_at, u.id, u.role, c.id, c.contact_id
		FROM tokens t LEFT JOIN users u ON u.id = t.user_id LEFT JOIN conversations c ON c.id = t.conversation_id
		WHERE t.hash = $1 AND t.revoked_at IS NULL AND (u.id IS NULL OR u.active = $2)`), hash, true)
	if err != nil {
		return nil, err
	}
	found := rows.Next()
	if found {
		err = rows.Scan(&tokenID, &kind, &expires, &userID, &role, &sessionID, &ctcID)
	}
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, apperr.Unauth("the token is not valid")
	}
	if expires.Valid && !now.Before(expires.Time) {
		return nil, apperr.Unauth("the token has expired")
	}
	v = &Viewer{TokenID: tokenID}
	switch {
	case kind == string(token.KindVISITOR) && sessionID.Valid && ctcID.Valid:
		v.VisitorSessionID, v.VisitorContactID = pulid.ID(sessionID.String), pulid.ID(ctcID.String)
	case kind == string(token.KindUSER) && userID.Valid:
		v.UserID, v.Role = pulid.ID(userID.String), user.Role(role.String)
	default:
		return nil, apperr.Unauth("the token is not valid")
	}
	s.tokens.put(hash, v, expires.Time, now, gen)
	return v, nil
}

// Revoke ends a token.
func (s *Service) Revoke(ctx context.Context, tokenID int) error {
	err := s.db.Token.UpdateOneID(tokenID).SetRevokedAt(s.now()).Exec(ctx)
	s.tokens.dropTokens(tokenID)
	if err != nil {
		return err
	}
	if s.OnRevoke != nil {
		s.OnRevoke(tokenID)
	}
	return nil
}

// Ended returns those of the tokens that are revoked or expired.
func (s *Service) Ended(ctx context.Context, ids []int) ([]int, error) {
	var ended []int
	for len(ids) > 0 {
		n := min(len(ids), 1000)
		some, err := s.db.Token.Query().Where(token.IDIn(ids[:n]...),
			token.Or(token.RevokedAtNotNil(), token.ExpiresAtLTE(s.now()))).IDs(ctx)
		if err != nil {
			return nil, err
		}
		ended, ids = append(ended, some...), ids[n:]
	}
	return ended, nil
}

// NormalizeEmail lower-cases and trims an e-mail address.
func NormalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// newToken returns a random token and the hash that is stored.
func newToken() (plain, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	plain = "pt_" + base64.RawURLEncoding.EncodeToString(b)
	return plain, hashToken(plain)
}

func hashToken(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}
