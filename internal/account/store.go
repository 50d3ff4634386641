package account

import (
	"context"
	"time"
)

// Sessions finds users and keeps their browser sessions. A missing user or session is an
// error with the acd.ENotFound code.
type Sessions interface {
	UserByName(ctx context.Context, username string) (*User, error)
	CreateSession(ctx context.Context, userID int64, token, csrf string, expires time.Time) error
	SessionByToken(ctx context.Context, token string, now time.Time) (*Session, error)
	DeleteSession(ctx context.Context, token string, now time.Time) error
}

// Accounts manages users and their API tokens. An update ends the credentials the change
// outdates: a new password the sessions and tokens, a new role, agent or scope the tokens.
// Removing or demoting the last admin is refused with ErrLastAdmin.
type Accounts interface {
	Accounts(ctx context.Context) ([]Account, error)
	Account(ctx context.Context, id int64) (*Account, error)
	CreateAccount(ctx context.Context, u User) (*Account, error)
	UpdateAccount(ctx context.Context, id int64, p Patch, now time.Time) (*Update, error)
	DeleteAccount(ctx context.Context, id int64) error
	CreateAPIToken(ctx context.Context, userID int64, name, token string) (*APIToken, error)
	APITokens(ctx context.Context, userID int64) ([]APIToken, error)
	RevokeAPIToken(ctx context.Context, id, userID int64, now time.Time) error
	SessionByAPIToken(ctx context.Context, token string, now time.Time) (*Session, error)
}

// Auditor writes the audit trail.
type Auditor interface {
	Audit(ctx context.Context, e AuditEntry) error
}

// Store is everything the accounts need kept.
type Store interface {
	Sessions
	Accounts
	Auditor
}
