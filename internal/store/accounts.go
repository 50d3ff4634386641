package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"switchboard/acd"
	"switchboard/internal/account"
)

func conflict(format string, args ...any) error {
	return &acd.Error{Code: acd.EConflict, Message: fmt.Sprintf(format, args...)}
}

const accountColumns = `id, username, role, coalesce(agent_id, ''), queues, created_at`

func scanAccount(row pgx.CollectableRow) (account.Account, error) {
	var a account.Account
	err := row.Scan(&a.ID, &a.Username, &a.Role, &a.AgentID, &a.Queues, &a.CreatedAt)
	return a, err
}

// Accounts lists every account by username.
func (s *Store) Accounts(ctx context.Context) ([]account.Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accountColumns+` FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanAccount)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	return out, nil
}

// Account returns one account.
func (s *Store) Account(ctx context.Context, id int64) (*account.Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accountColumns+` FROM users WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("account %d: %w", id, err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, scanAccount)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("account", fmt.Sprint(id))
	}
	if err != nil {
		return nil, fmt.Errorf("account %d: %w", id, err)
	}
	return &a, nil
}

// CreateAccount adds an account; a taken username is a conflict.
func (s *Store) CreateAccount(ctx context.Context, u account.User) (*account.Account, error) {
	if u.Queues == nil {
		u.Queues = []string{}
	}
	rows, err := s.pool.Query(ctx, `
		INSERT INTO users (username, role, agent_id, queues, password_hash)
		VALUES ($1, $2, NULLIF($3, ''), $4, $5) RETURNING `+accountColumns,
		u.Username, u.Role, u.AgentID, u.Queues, u.PasswordHash)
	if err != nil {
		return nil, fmt.Errorf("create account %s: %w", u.Username, err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, scanAccount)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return nil, conflict("username %s is taken", u.Username)
	}
	if err != nil {
		return nil, fmt.Errorf("create account %s: %w", u.Username, err)
	}
	return &a, nil
}

// lockAdmins takes the admins' rows for the rest of tx, so that two requests cannot each
// remove one of the last two admins, and returns how many there are.
func lockAdmins(ctx context.Context, tx pgx.Tx) (int, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM users WHERE role = 'admin' ORDER BY id FOR UPDATE`)
	if err != nil {
		return 0, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return len(ids), err
}

// UpdateAccount applies p in one transaction at now. Demoting the last admin is refused with
// ErrLastAdmin. The rule for credentials, the same whoever changes the account (the admin
// pages, the API, switchboard user): a new password ends the account's sessions and revokes
// its API tokens; a new role, agent or scope revokes its API tokens (a token is made for
// what its owner was; sessions read the account again on every request).
func (s *Store) UpdateAccount(ctx context.Context, id int64, p account.Patch, now time.Time) (*account.Update, error) {
	var out *account.Update
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		admins, err := lockAdmins(ctx, tx)
		if err != nil {
			return err
		}
		var oldRole, oldAgent string
		var oldQueues []string
		err = tx.QueryRow(ctx, `SELECT role, coalesce(agent_id, ''), queues FROM users WHERE id = $1 FOR UPDATE`, id).
			Scan(&oldRole, &oldAgent, &oldQueues)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("account", fmt.Sprint(id))
		}
		if err != nil {
			return err
		}
		if p.Role != nil && oldRole == "admin" && *p.Role != "admin" && admins <= 1 {
			return account.ErrLastAdmin
		}
		role, agent, queues := oldRole, oldAgent, oldQueues
		if p.Role != nil {
			role = *p.Role
		}
		if p.AgentID != nil {
			agent = *p.AgentID
		}
		if p.Queues != nil {
			queues = *p.Queues
		}
		if p.Check != nil {
			if err := p.Check(role, agent, queues); err != nil {
				return &acd.Error{Code: acd.EInvalid, Message: err.Error()}
			}
		}
		var setQueues any // NULL: unchanged
		if p.Queues != nil {
			q := *p.Queues
			if q == nil {
				q = []string{}
			}
			setQueues = q
		}
		rows, err := tx.Query(ctx, `
			UPDATE users SET
			    role = coalesce($2, role),
			    agent_id = CASE WHEN $3::text IS NULL THEN agent_id ELSE NULLIF($3, '') END,
			    queues = coalesce($4, queues),
			    password_hash = coalesce($5, password_hash)
			WHERE id = $1 RETURNING `+accountColumns,
			id, p.Role, p.AgentID, setQueues, p.PasswordHash)
		if err != nil {
			return err
		}
		a, err := pgx.CollectExactlyOneRow(rows, scanAccount)
		if err != nil {
			return err
		}
		out = &account.Update{Account: a}
		identity := role != oldRole || agent != oldAgent || !sameSet(queues, oldQueues)
		out.SessionsEnded, out.TokensRevoked, err = endCredentials(ctx, tx, id, p.PasswordHash != nil, identity, now)
		return err
	})
	if err != nil {
		if acd.ErrorCode(err) != "" {
			return nil, err
		}
		return nil, fmt.Errorf("update account %d: %w", id, err)
	}
	return out, nil
}

// endCredentials applies UpdateAccount's rule: a new password ends the account's sessions,
// and it or a new identity (role, agent, scope) revokes the account's live API tokens at now.
func endCredentials(ctx context.Context, tx pgx.Tx, id int64, password, identity bool, now time.Time) (sessions, tokens int64, err error) {
	if password {
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id)
		if err != nil {
			return 0, 0, err
		}
		sessions = tag.RowsAffected()
	}
	if password || identity {
		if now.IsZero() {
			return 0, 0, errors.New("no time given for the token revocation")
		}
		tag, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, id, now)
		if err != nil {
			return 0, 0, err
		}
		tokens = tag.RowsAffected()
	}
	return sessions, tokens, nil
}

// sameSet reports whether a and b hold the same names, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// SaveUser creates the account u.Username, or sets the role, agent, scope and password of the
// one that exists through UpdateAccount, so that the command line (switchboard user) follows
// the rules the admin pages follow. check vets the account as AccountPatch.Check does.
func (s *Store) SaveUser(ctx context.Context, u account.User, check func(role, agentID string, queues []string) error, now time.Time) (upd *account.Update, created bool, err error) {
	if u.Queues == nil {
		u.Queues = []string{}
	}
	for range 2 { // a create racing another loses with a conflict, and updates instead
		cur, err := s.UserByName(ctx, u.Username)
		if IsNotFound(err) {
			if check != nil {
				if err := check(u.Role, u.AgentID, u.Queues); err != nil {
					return nil, false, &acd.Error{Code: acd.EInvalid, Message: err.Error()}
				}
			}
			a, err := s.CreateAccount(ctx, u)
			if acd.ErrorCode(err) == acd.EConflict {
				continue
			}
			if err != nil {
				return nil, false, err
			}
			return &account.Update{Account: *a}, true, nil
		}
		if err != nil {
			return nil, false, err
		}
		upd, err := s.UpdateAccount(ctx, cur.ID, account.Patch{Role: &u.Role, AgentID: &u.AgentID, Queues: &u.Queues,
			PasswordHash: &u.PasswordHash, Check: check}, now)
		return upd, false, err
	}
	return nil, false, fmt.Errorf("save user %s: created and deleted meanwhile; try again", u.Username)
}

// DeleteAccount removes an account with its sessions and tokens. Deleting the last admin is
// refused with ErrLastAdmin.
func (s *Store) DeleteAccount(ctx context.Context, id int64) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		admins, err := lockAdmins(ctx, tx)
		if err != nil {
			return err
		}
		var role string
		err = tx.QueryRow(ctx, `DELETE FROM users WHERE id = $1 RETURNING role`, id).Scan(&role)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("account", fmt.Sprint(id))
		}
		if err != nil {
			return err
		}
		if role == "admin" && admins <= 1 {
			return account.ErrLastAdmin // rolls the delete back
		}
		return nil
	})
	if err != nil && acd.ErrorCode(err) == "" {
		return fmt.Errorf("delete account %d: %w", id, err)
	}
	return err
}

// CreateAPIToken records a token (by its hash) for a user and returns its listing.
func (s *Store) CreateAPIToken(ctx context.Context, userID int64, name, token string) (*account.APIToken, error) {
	var t account.APIToken
	err := s.pool.QueryRow(ctx, `
		WITH t AS (INSERT INTO api_tokens (token_hash, name, user_id) VALUES ($1, $2, $3)
		           RETURNING id, name, user_id, created_at)
		SELECT t.id, t.name, t.user_id, u.username, t.created_at FROM t JOIN users u ON u.id = t.user_id`,
		tokenHash(token), name, userID).Scan(&t.ID, &t.Name, &t.UserID, &t.Username, &t.CreatedAt)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return nil, notFound("account", fmt.Sprint(userID))
	}
	if err != nil {
		return nil, fmt.Errorf("create api token: %w", err)
	}
	return &t, nil
}

// APITokens lists the tokens of a user (userID 0: of everyone), newest first.
func (s *Store) APITokens(ctx context.Context, userID int64) ([]account.APIToken, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT t.id, t.name, t.user_id, u.username, t.created_at, t.last_used_at, t.revoked_at
		FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE $1 = 0 OR t.user_id = $1 ORDER BY t.created_at DESC, t.id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("api tokens: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (account.APIToken, error) {
		var t account.APIToken
		err := row.Scan(&t.ID, &t.Name, &t.UserID, &t.Username, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("api tokens: %w", err)
	}
	return out, nil
}

// RevokeAPIToken revokes a token of a user (userID 0: anyone's). A token that does not
// exist or belongs to someone else is not found; revoking twice keeps the first time.
func (s *Store) RevokeAPIToken(ctx context.Context, id, userID int64, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $3)
		WHERE id = $1 AND ($2 = 0 OR user_id = $2)`, id, userID, now)
	if err != nil {
		return fmt.Errorf("revoke api token %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("api token", fmt.Sprint(id))
	}
	return nil
}

// SessionByAPIToken returns the user a live (not revoked) token acts as, as a session
// without a CSRF token, and records the use.
func (s *Store) SessionByAPIToken(ctx context.Context, token string, now time.Time) (*account.Session, error) {
	var ss account.Session
	var agent *string
	err := s.pool.QueryRow(ctx, `
		UPDATE api_tokens t SET last_used_at = $2
		FROM users u WHERE u.id = t.user_id AND t.token_hash = $1 AND t.revoked_at IS NULL
		RETURNING u.id, u.username, u.role, u.agent_id, u.queues, u.password_hash, u.language, u.time_zone, u.monitor_phone`, tokenHash(token), now).
		Scan(&ss.User.ID, &ss.User.Username, &ss.User.Role, &agent, &ss.User.Queues, &ss.User.PasswordHash,
			&ss.User.Profile.Language, &ss.User.Profile.TimeZone, &ss.User.Profile.MonitorPhone)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("api token: %w", err)
	}
	if agent != nil {
		ss.User.AgentID = *agent
	}
	return &ss, nil
}
