// Package pgtest gives each test a fresh PostgreSQL database of its own.
//
// With DATABASE_URL set, databases are created on that server (its role
// needs CREATEDB). Otherwise the first test that asks starts one private
// cluster (package pgcluster) for the whole test binary, in a temporary
// folder; Main stops it and removes the folder when the tests are done.
// Either way each test gets a uniquely named database, dropped when the
// test ends.
//
// A package whose tests all need the same schema passes WithTemplate to
// Main: the setup runs once, in a template database, and every test
// database is a copy of it, which takes a few tens of milliseconds
// whatever the number of migrations.
//
//	func TestMain(m *testing.M) {
//		pgtest.Main(m, pgtest.WithTemplate(func(ctx context.Context, db *pgxpool.Pool) error {
//			_, err := migrate.New(store.Migrations, nil).Up(ctx, db)
//			return err
//		}))
//	}
//
//	func TestSomething(t *testing.T) {
//		db := pgtest.Pool(t)
//		...
//	}
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"switchboard/internal/pgcluster"
)

// Setup prepares the template database that test databases are copied from.
type Setup func(ctx context.Context, db *pgxpool.Pool) error

// Option configures Main.
type Option func(*config)

type config struct {
	setup Setup
}

// WithTemplate runs setup once, in a template database, before the first
// test database is made; every test database then starts as its copy.
func WithTemplate(setup Setup) Option {
	return func(c *config) { c.setup = setup }
}

var (
	mu     sync.Mutex
	cfg    config
	srv    *server
	srvErr error
	seq    atomic.Int64
	runID  = randomHex(3)
)

// server is where the test databases live.
type server struct {
	cluster  *pgcluster.Cluster // nil with DATABASE_URL
	dir      string             // the private cluster's folder
	base     string             // URL of the maintenance database
	admin    *pgx.Conn          // maintenance connection, guarded by adminMu
	adminMu  sync.Mutex
	template string // database tests are copied from; "" for the default
	strategy string // " STRATEGY FILE_COPY" where supported
}

// Main runs the tests of a package (call it from TestMain), then stops the
// private cluster, if one was started, and exits.
func Main(m *testing.M, opts ...Option) {
	mu.Lock()
	for _, o := range opts {
		o(&cfg)
	}
	mu.Unlock()
	code := m.Run()
	shutdown()
	os.Exit(code)
}

// URL returns the connection URL of a new empty (or template-copied)
// database that is dropped when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	s, err := get()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := dbName(t.Name())
	if err := s.exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+s.templateClause()); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database: %v", err)
		}
	})
	return withDatabase(s.base, name)
}

// Pool returns a connection pool on a new database (see URL), closed when
// the test ends.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), URL(t))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// get returns the server, starting it and building the template on first use.
func get() (*server, error) {
	mu.Lock()
	defer mu.Unlock()
	if srv != nil || srvErr != nil {
		return srv, srvErr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, srvErr = open(ctx, cfg)
	return srv, srvErr
}

func open(ctx context.Context, cfg config) (*server, error) {
	s := &server{base: os.Getenv("DATABASE_URL")}
	if s.base == "" {
		sweep()
		dir, err := os.MkdirTemp(pgcluster.TempBase(), fmt.Sprintf("switchboard-pgtest-%d-", os.Getpid()))
		if err != nil {
			return nil, err
		}
		s.dir = dir
		s.cluster, err = pgcluster.Start(ctx, pgcluster.Options{
			Dir:    dir,
			NoSync: true,
			Settings: map[string]string{
				"max_connections": "300",
				"shared_buffers":  "32MB",
			},
			Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s.base = s.cluster.URL("postgres")
	}
	var err error
	if s.admin, err = pgx.Connect(ctx, s.base); err != nil {
		s.close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	// FILE_COPY (the only strategy before 15) copies a small database
	// faster than 15's default WAL_LOG.
	var version int
	if err := s.admin.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
		s.close()
		return nil, fmt.Errorf("server version: %w", err)
	}
	if version >= 150000 {
		s.strategy = " STRATEGY FILE_COPY"
	}
	if cfg.setup != nil {
		if err := s.buildTemplate(ctx, cfg.setup); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

// buildTemplate creates the template database and runs setup in it.
func (s *server) buildTemplate(ctx context.Context, setup Setup) error {
	name := fmt.Sprintf("sbtest_tmpl_%s_%d", runID, seq.Add(1))
	if err := s.exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create template database: %w", err)
	}
	s.template = name
	pool, err := pgxpool.New(ctx, withDatabase(s.base, name))
	if err != nil {
		return err
	}
	err = setup(ctx, pool)
	pool.Close()
	if err != nil {
		return fmt.Errorf("template setup: %w", err)
	}
	// No connections from now on: copying needs the template to be idle.
	return s.exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH ALLOW_CONNECTIONS false")
}

func (s *server) templateClause() string {
	if s.template == "" {
		return s.strategy
	}
	return " TEMPLATE " + pgx.Identifier{s.template}.Sanitize() + s.strategy
}

func (s *server) exec(ctx context.Context, sql string) error {
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	_, err := s.admin.Exec(ctx, sql)
	return err
}

// close drops the template, closes the admin connection and stops the
// private cluster.
func (s *server) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if s.admin != nil {
		if s.template != "" && s.cluster == nil {
			_ = s.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{s.template}.Sanitize()+" WITH (FORCE)")
		}
		_ = s.admin.Close(ctx)
	}
	if s.cluster != nil {
		_ = s.cluster.Stop(ctx)
	}
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

func shutdown() {
	mu.Lock()
	defer mu.Unlock()
	if srv != nil {
		srv.close()
	}
	srv, srvErr = nil, nil
}

// dbName makes a database name unique to this run, readable in pg_stat_activity.
func dbName(test string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(test) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := fmt.Sprintf("sbtest_%s_%d_%s", runID, seq.Add(1), b.String())
	if len(name) > 63 {
		name = name[:63]
	}
	return name
}

// withDatabase returns base pointing at database db.
func withDatabase(base, db string) string {
	if u, err := url.Parse(base); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + db
		u.RawPath = ""
		return u.String()
	}
	return base + " dbname='" + db + "'" // keyword/value form: the last dbname wins
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
