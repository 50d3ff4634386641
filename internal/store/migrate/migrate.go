// Package migrate applies embedded SQL migrations to a PostgreSQL database.
//
// Migrations are files named NNNN_name.sql (0001_init.sql, 0002_callbacks.sql,
// ...) in an fs.FS, usually an embed.FS. Up applies the pending ones in
// version order, each in its own transaction together with its row in the
// schema_migrations table, so a failing migration leaves nothing behind.
//
// Every step holds a transaction-scoped advisory lock and re-reads
// schema_migrations under it: routers starting together against one
// database apply each migration exactly once, and the lock is released by
// COMMIT or ROLLBACK even if a router dies mid-way (it also works through
// a transaction-pooling proxy, unlike a session lock).
//
// Up refuses a database that is ahead of the binary (it has migrations the
// binary does not know), one whose applied migrations were edited since
// (checksum), and one where a migration older than the newest applied one
// is still pending (renumber it instead).
//
// A migration runs inside a transaction, so statements that cannot (CREATE
// INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE before PostgreSQL 12) do not
// belong in one.
package migrate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// LockKey is the advisory lock key migrations hold (pg_advisory_xact_lock).
const LockKey int64 = 0x5357424d49475254 // "SWBMIGRT"

// ErrSchemaNewer means the database holds migrations this binary does not
// know: it was migrated by a newer version.
var ErrSchemaNewer = errors.New("database schema is newer than this binary")

// ErrModified means an applied migration's file changed since it was applied.
var ErrModified = errors.New("applied migration was modified")

// DB is what Up needs; *pgx.Conn, *pgxpool.Pool and pgx.Tx satisfy it.
type DB interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Migration is one SQL file.
type Migration struct {
	Version  int
	Name     string // file name without the extension, "0001_init"
	SQL      string
	Checksum string // hex SHA-256 of SQL
}

// Migrator applies one set of migrations.
type Migrator struct {
	migrations []Migration
	log        *slog.Logger
}

var fileName = regexp.MustCompile(`^(\d+)_[a-z0-9_]+\.sql$`)

// New reads and checks the migrations in fsys (top-level *.sql files; other
// files are ignored). Versions must be unique and positive; a .sql file
// whose name does not follow NNNN_name.sql (lowercase) is an error. A nil
// logger discards.
func New(fsys fs.FS, logger *slog.Logger) (*Migrator, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ents, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	m := &Migrator{log: logger}
	seen := map[int]string{}
	for _, e := range ents {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		sub := fileName.FindStringSubmatch(e.Name())
		if sub == nil {
			return nil, fmt.Errorf("migration %q: name must be NNNN_name.sql (lowercase letters, digits, _)", e.Name())
		}
		v, err := strconv.Atoi(sub[1])
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: bad version", e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %q and %q have the same version %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration: %w", err)
		}
		sum := sha256.Sum256(b)
		m.migrations = append(m.migrations, Migration{
			Version:  v,
			Name:     e.Name()[:len(e.Name())-len(".sql")],
			SQL:      string(b),
			Checksum: hex.EncodeToString(sum[:]),
		})
	}
	slices.SortFunc(m.migrations, func(a, b Migration) int { return a.Version - b.Version })
	return m, nil
}

// Migrations returns the migrations in version order.
func (m *Migrator) Migrations() []Migration { return slices.Clone(m.migrations) }

// Latest returns the newest version this binary knows, 0 with none.
func (m *Migrator) Latest() int {
	if len(m.migrations) == 0 {
		return 0
	}
	return m.migrations[len(m.migrations)-1].Version
}

// Up applies the pending migrations and returns how many it applied.
func (m *Migrator) Up(ctx context.Context, db DB) (int, error) {
	t0 := time.Now()
	applied := 0
	for {
		done, err := m.step(ctx, db)
		if err != nil {
			return applied, err
		}
		if done {
			break
		}
		applied++
	}
	if applied > 0 {
		m.log.Info("database migrated", "applied", applied, "version", m.Latest(), "duration", time.Since(t0).Round(time.Millisecond))
	}
	return applied, nil
}

// step applies the next pending migration, if any, in one transaction that
// holds the lock; it reports done when nothing was pending.
func (m *Migrator) step(ctx context.Context, db DB) (done bool, err error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("migrate: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", LockKey); err != nil {
		return false, fmt.Errorf("migrate: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		checksum   text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return false, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	recs, err := records(ctx, tx)
	if err != nil {
		return false, err
	}
	next, err := m.check(recs)
	if err != nil {
		return false, err
	}
	if next == nil {
		return true, tx.Commit(ctx)
	}
	t0 := time.Now()
	if _, err := tx.Exec(ctx, next.SQL); err != nil {
		return false, fmt.Errorf("migrate: %s: %w", next.Name, err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
		next.Version, next.Name, next.Checksum); err != nil {
		return false, fmt.Errorf("migrate: record %s: %w", next.Name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("migrate: commit %s: %w", next.Name, err)
	}
	m.log.Info("applied migration", "migration", next.Name, "duration", time.Since(t0).Round(time.Millisecond))
	return false, nil
}

type record struct {
	version        int
	name, checksum string
}

func records(ctx context.Context, tx pgx.Tx) ([]record, error) {
	rows, err := tx.Query(ctx, "SELECT version, name, checksum FROM schema_migrations ORDER BY version")
	if err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	recs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (record, error) {
		var rec record
		err := r.Scan(&rec.version, &rec.name, &rec.checksum)
		return rec, err
	})
	if err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	return recs, nil
}

// check compares the applied records (in version order) with the known
// migrations and returns the next one to apply, nil when up to date.
func (m *Migrator) check(recs []record) (*Migration, error) {
	known := make(map[int]*Migration, len(m.migrations))
	for i := range m.migrations {
		known[m.migrations[i].Version] = &m.migrations[i]
	}
	for _, r := range recs {
		k, ok := known[r.version]
		switch {
		case !ok && r.version > m.Latest():
			return nil, fmt.Errorf("migrate: database has migration %s but this binary knows up to version %d: upgrade the binary: %w", r.name, m.Latest(), ErrSchemaNewer)
		case !ok:
			return nil, fmt.Errorf("migrate: database has migration %s that this binary does not know", r.name)
		case k.Checksum != r.checksum:
			return nil, fmt.Errorf("migrate: %s changed after it was applied (checksum differs): restore it and add a new migration instead: %w", k.Name, ErrModified)
		}
	}
	if len(recs) == len(m.migrations) {
		return nil, nil
	}
	// recs are all known and in order: the first len(recs) migrations must be them.
	for i, r := range recs {
		if m.migrations[i].Version != r.version {
			return nil, fmt.Errorf("migrate: %s is pending but the newer %s is already applied: give it a version after %d", m.migrations[i].Name, r.name, recs[len(recs)-1].version)
		}
	}
	return &m.migrations[len(recs)], nil
}

// Version returns the newest applied migration version, 0 when none (or
// when schema_migrations does not exist yet).
func Version(ctx context.Context, db DB) (int, error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil {
		return 0, fmt.Errorf("migrate: version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("migrate: version: %w", err)
	}
	return v, nil
}
