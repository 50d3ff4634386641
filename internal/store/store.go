package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"switchboard/acd"
	"switchboard/internal/store/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations holds the schema's SQL migrations, at the root, as migrate.New expects.
var Migrations fs.FS = mustSub(migrationFiles, "migrations")

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// ErrNotFound is returned (wrapped) when a row does not exist. It carries the
// engine's not-found code, so acd.ErrorCode maps it like the engine's own.
var ErrNotFound error = &acd.Error{Code: acd.ENotFound, Message: "not found"}

// Store is the PostgreSQL store.
//
// Where a decision depends on the time (a callback due, expired or stale),
// the store takes "now" from its clock or from its caller, never from the
// database's now(): the engine, the store and the tests then share one clock.
type Store struct {
	pool  *pgxpool.Pool
	clock acd.Clock
}

// New returns a store on pool on the wall clock; the schema must be migrated already.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool, clock: acd.SystemClock{}} }

// WithClock returns a store on the same pool that takes the time from clock.
func (s *Store) WithClock(clock acd.Clock) *Store { return &Store{pool: s.pool, clock: clock} }

func (s *Store) now() time.Time { return s.clock.Now() }

// Open connects to the database at url and applies the pending migrations.
// A nil logger discards.
func Open(ctx context.Context, url string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := Migrate(ctx, pool, logger); err != nil {
		pool.Close()
		return nil, err
	}
	return New(pool), nil
}

// Migrate applies the pending migrations to db.
func Migrate(ctx context.Context, db migrate.DB, logger *slog.Logger) error {
	m, err := migrate.New(Migrations, logger)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if _, err := m.Up(ctx, db); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// Pool returns the underlying pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// notFound wraps ErrNotFound with what was looked for.
func notFound(what, id string) error {
	return fmt.Errorf("%s %s: %w", what, id, ErrNotFound)
}

// IsNotFound reports whether err means a missing row.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
