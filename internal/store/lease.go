package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The leader lease (migration 0018, docs/ha.md): one row with a term that grows at every change
// of holder and an expiry set from the database's clock. A leader's connections carry its term
// (OpenFenced) and the fence_term trigger refuses their writes once the term is over.

// Lease is the leader lease as the database holds it.
type Lease struct {
	Term    int64
	Holder  string
	Expires time.Time
	Held    bool // not expired by the database's clock
}

// ErrLeaseLost means the lease has another term or holder now: renewing it is refused.
var ErrLeaseLost = errors.New("store: the leader lease has moved on")

// fencedCode is the SQLSTATE fence_term raises.
const fencedCode = "SB001"

// IsFenced reports whether err is a write refused because its leader term is over.
func IsFenced(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == fencedCode
}

// CurrentLease reads the lease.
func (s *Store) CurrentLease(ctx context.Context) (Lease, error) {
	var l Lease
	err := s.pool.QueryRow(ctx, `SELECT term, holder, expires_at, expires_at > now() FROM leader_lease WHERE id = 1`).
		Scan(&l.Term, &l.Holder, &l.Expires, &l.Held)
	if err != nil {
		return l, fmt.Errorf("store: lease: %w", err)
	}
	return l, nil
}

// AcquireLease takes the lease for holder for d when it has expired (or was never held), with a
// new term; ok is false, with the lease as it stands, when another holder has it. It waits at
// most lockWait for the transactions of the old term still writing (they hold the lease row
// FOR KEY SHARE) and then gives up with an error; the caller tries again.
func (s *Store) AcquireLease(ctx context.Context, holder string, d, lockWait time.Duration) (l Lease, ok bool, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return l, false, fmt.Errorf("store: acquire lease: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, "SELECT set_config('lock_timeout', $1, true)", strconv.FormatInt(lockWait.Milliseconds(), 10)); err != nil {
		return l, false, fmt.Errorf("store: acquire lease: %w", err)
	}
	err = tx.QueryRow(ctx, `SELECT term, holder, expires_at, expires_at > now() FROM leader_lease WHERE id = 1 FOR UPDATE`).
		Scan(&l.Term, &l.Holder, &l.Expires, &l.Held)
	if err != nil {
		return l, false, fmt.Errorf("store: acquire lease: %w", err)
	}
	if l.Held {
		return l, false, nil
	}
	err = tx.QueryRow(ctx, `UPDATE leader_lease SET term = term + 1, holder = $1, expires_at = now() + $2::interval, acquired_at = now()
		WHERE id = 1 RETURNING term, holder, expires_at`, holder, interval(d)).Scan(&l.Term, &l.Holder, &l.Expires)
	if err != nil {
		return l, false, fmt.Errorf("store: acquire lease: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return l, false, fmt.Errorf("store: acquire lease: %w", err)
	}
	l.Held = true
	return l, true, nil
}

// RenewLease extends the lease of term, held by holder, to d from now (the database's clock).
// It returns ErrLeaseLost when the lease has another term.
func (s *Store) RenewLease(ctx context.Context, holder string, term int64, d time.Duration) error {
	tag, err := s.pool.Exec(ctx, `UPDATE leader_lease SET expires_at = now() + $3::interval WHERE id = 1 AND term = $1 AND holder = $2`,
		term, holder, interval(d))
	if err != nil {
		return fmt.Errorf("store: renew lease: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrLeaseLost
	}
	return nil
}

// ReleaseLease ends the lease of term at once, so that a standby takes over without waiting
// for it to expire. A lease that has moved on already is left alone.
func (s *Store) ReleaseLease(ctx context.Context, holder string, term int64) error {
	_, err := s.pool.Exec(ctx, `UPDATE leader_lease SET expires_at = now() WHERE id = 1 AND term = $1 AND holder = $2`, term, holder)
	if err != nil {
		return fmt.Errorf("store: release lease: %w", err)
	}
	return nil
}

func interval(d time.Duration) string {
	return strconv.FormatInt(d.Microseconds(), 10) + " microseconds"
}

// OpenFenced connects to the (migrated) database at url for the leader of term: every write
// through it is refused once the lease has another term. A transaction left open longer than
// idle (a leader frozen mid-transaction) is ended by the server, so that it cannot hold up the
// next take-over. A nil logger discards.
func OpenFenced(ctx context.Context, url string, term int64, idle time.Duration, logger *slog.Logger) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["switchboard.term"] = strconv.FormatInt(term, 10)
	cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.FormatInt(idle.Milliseconds(), 10)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	return New(pool), nil
}
