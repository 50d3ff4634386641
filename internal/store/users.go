package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/account"
)

var _ account.Store = (*Store)(nil)

// UserByName finds an account.
func (s *Store) UserByName(ctx context.Context, username string) (*account.User, error) {
	var u account.User
	var agent *string
	err := s.pool.QueryRow(ctx, `
		SELECT id, username, role, agent_id, queues, password_hash, language, time_zone, monitor_phone FROM users WHERE username = $1`,
		username).Scan(&u.ID, &u.Username, &u.Role, &agent, &u.Queues, &u.PasswordHash, &u.Profile.Language, &u.Profile.TimeZone,
		&u.Profile.MonitorPhone)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", username, err)
	}
	if agent != nil {
		u.AgentID = *agent
	}
	return &u, nil
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// CreateSession records a session for a user; the token itself is not stored.
func (s *Store) CreateSession(ctx context.Context, userID int64, token, csrf string, expires time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, csrf, expires_at) VALUES ($1, $2, $3, $4)`,
		tokenHash(token), userID, csrf, expires)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionByToken returns a live session and its user.
func (s *Store) SessionByToken(ctx context.Context, token string, now time.Time) (*account.Session, error) {
	var ss account.Session
	var agent *string
	err := s.pool.QueryRow(ctx, `
		SELECT u.id, u.username, u.role, u.agent_id, u.queues, u.password_hash, u.language, u.time_zone, u.monitor_phone, s.csrf, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > $2`, tokenHash(token), now).
		Scan(&ss.User.ID, &ss.User.Username, &ss.User.Role, &agent, &ss.User.Queues, &ss.User.PasswordHash,
			&ss.User.Profile.Language, &ss.User.Profile.TimeZone, &ss.User.Profile.MonitorPhone, &ss.CSRF, &ss.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	if agent != nil {
		ss.User.AgentID = *agent
	}
	return &ss, nil
}

// DeleteSession ends a session (logout) and sweeps expired ones.
func (s *Store) DeleteSession(ctx context.Context, token string, now time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1 OR expires_at <= $2`, tokenHash(token), now); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// SetProfile keeps a user's own choices (language, time zone, monitoring phone), checked by
// the caller.
func (s *Store) SetProfile(ctx context.Context, userID int64, p account.Profile) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET language = $2, time_zone = $3, monitor_phone = $4 WHERE id = $1`,
		userID, p.Language, p.TimeZone, p.MonitorPhone)
	if err != nil {
		return fmt.Errorf("set profile: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}
