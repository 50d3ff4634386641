package account

import (
	"fmt"
	"strings"
	"time"

	"switchboard/acd"
)

// User is an account as the login and the sessions see it.
type User struct {
	ID           int64
	Username     string
	Role         string // agent, supervisor, admin
	AgentID      string
	Queues       []string // a supervisor's scope
	PasswordHash string
	Profile      Profile // the user's own choices (language, time zone)
}

// Session is a logged-in browser.
type Session struct {
	User      User
	CSRF      string
	ExpiresAt time.Time
}

// Account is a user as the admin side lists it: never the password hash.
type Account struct {
	ID        int64     `json:"id"`
	Username  string    `json:"username"`
	Role      string    `json:"role"`
	AgentID   string    `json:"agent_id"`
	Queues    []string  `json:"queues"`
	CreatedAt time.Time `json:"created_at"`
}

// Patch changes an account; nil fields stay as they are.
type Patch struct {
	Role         *string
	AgentID      *string
	Queues       *[]string
	PasswordHash *string
	// Check, when set, vets the account as it would be after the patch, inside the
	// transaction that holds the row; its error refuses the patch as invalid.
	Check func(role, agentID string, queues []string) error
}

// ErrLastAdmin refuses a change that would leave no admin account.
var ErrLastAdmin error = &acd.Error{Code: acd.EConflict, Message: "the last admin cannot be removed or demoted"}

// Update is an account as an update left it, with what the change ended.
type Update struct {
	Account       Account
	SessionsEnded int64 // the account's sessions ended by a new password
	TokensRevoked int64 // the account's API tokens revoked by a new password, role, agent or scope
}

// Ended says in words what the change ended, for the audit ("" when nothing).
func (u Update) Ended() string {
	var parts []string
	if u.SessionsEnded > 0 {
		parts = append(parts, plural(u.SessionsEnded, "session")+" ended")
	}
	if u.TokensRevoked > 0 {
		parts = append(parts, plural(u.TokensRevoked, "API token")+" revoked")
	}
	return strings.Join(parts, ", ")
}

func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// APIToken is an integration's token as listed: the token itself is never stored.
type APIToken struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	UserID     int64      `json:"user_id"`
	Username   string     `json:"username"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// AuditEntry is one row of the audit trail.
type AuditEntry struct {
	At     time.Time // zero: now
	Actor  string
	Action string
	Object string
	Detail string
}
