package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"switchboard/internal/pgtest"
	"switchboard/internal/store/migrate"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// files builds a migration set from name → SQL pairs.
func files(kv ...string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i := 0; i < len(kv); i += 2 {
		fsys[kv[i]] = &fstest.MapFile{Data: []byte(kv[i+1])}
	}
	return fsys
}

// base is three migrations that each fail when run twice.
var base = []string{
	"0001_calls.sql", "CREATE TABLE calls (id bigint PRIMARY KEY); CREATE TABLE runs (migration int);",
	"0002_agents.sql", "SELECT pg_sleep(0.05); CREATE TABLE agents (id bigint PRIMARY KEY); INSERT INTO runs VALUES (2);",
	"0003_index.sql", "CREATE INDEX calls_id ON calls (id); INSERT INTO runs VALUES (3);",
	"README.md", "not a migration",
}

func newMigrator(t *testing.T, kv ...string) *migrate.Migrator {
	t.Helper()
	m, err := migrate.New(files(kv...), nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func count(t *testing.T, db *pgxpool.Pool, sql string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestUpAppliesPendingInOrderOnce(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Pool(t)
	if v, err := migrate.Version(ctx, db); err != nil || v != 0 {
		t.Fatalf("Version on an empty database = %d, %v; want 0", v, err)
	}

	m := newMigrator(t, base[:4]...)
	if n, err := m.Up(ctx, db); err != nil || n != 2 {
		t.Fatalf("Up = %d, %v; want 2 applied", n, err)
	}
	m = newMigrator(t, base...)
	if m.Latest() != 3 || len(m.Migrations()) != 3 {
		t.Fatalf("Latest = %d with %d migrations, want 3 and 3", m.Latest(), len(m.Migrations()))
	}
	if n, err := m.Up(ctx, db); err != nil || n != 1 {
		t.Fatalf("second Up = %d, %v; want 1 applied", n, err)
	}
	if n, err := m.Up(ctx, db); err != nil || n != 0 {
		t.Fatalf("third Up = %d, %v; want 0 applied", n, err)
	}
	if v, err := migrate.Version(ctx, db); err != nil || v != 3 {
		t.Fatalf("Version = %d, %v; want 3", v, err)
	}
	if got := count(t, db, "SELECT count(*) FROM schema_migrations"); got != 3 {
		t.Errorf("schema_migrations rows = %d, want 3", got)
	}
}

func TestUpWorksOnASingleConnection(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if n, err := newMigrator(t, base...).Up(ctx, conn); err != nil || n != 3 {
		t.Fatalf("Up = %d, %v; want 3", n, err)
	}
}

func TestConcurrentUpAppliesEachMigrationOnce(t *testing.T) {
	ctx := context.Background()
	for round := range 3 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			url := pgtest.URL(t)
			const routers = 4
			var wg sync.WaitGroup
			applied := make([]int, routers)
			errs := make([]error, routers)
			for i := range routers {
				// Separate pools: separate sessions, like separate processes.
				pool, err := pgxpool.New(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				defer pool.Close()
				wg.Go(func() {
					applied[i], errs[i] = newMigrator(t, base...).Up(ctx, pool)
				})
			}
			wg.Wait()
			total := 0
			for i := range routers {
				if errs[i] != nil {
					t.Errorf("router %d: %v", i, errs[i])
				}
				total += applied[i]
			}
			if total != 3 {
				t.Errorf("applied %v in total %d, want 3", applied, total)
			}
			db, err := pgxpool.New(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if got := count(t, db, "SELECT count(*) FROM runs"); got != 2 {
				t.Errorf("migration bodies ran %d times, want 2 (one row each from 0002 and 0003)", got)
			}
		})
	}
}

func TestFailingMigrationRollsBack(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Pool(t)
	bad := newMigrator(t,
		base[0], base[1],
		"0002_broken.sql", "CREATE TABLE half (id int); INSERT INTO runs VALUES (2); SELECT 1/0;",
		"0003_never.sql", "CREATE TABLE never (id int);",
	)
	n, err := bad.Up(ctx, db)
	if err == nil || n != 1 || !strings.Contains(err.Error(), "0002_broken") {
		t.Fatalf("Up = %d, %v; want 1 applied then an error naming 0002_broken", n, err)
	}
	if v, err := migrate.Version(ctx, db); err != nil || v != 1 {
		t.Errorf("Version = %d, %v; want 1", v, err)
	}
	if got := count(t, db, "SELECT count(*) FROM pg_tables WHERE tablename IN ('half', 'never')"); got != 0 {
		t.Errorf("%d tables of the failed or later migrations exist, want none", got)
	}
	if got := count(t, db, "SELECT count(*) FROM runs"); got != 0 {
		t.Errorf("the failed migration's rows were kept: %d", got)
	}
	// Fixed, it applies.
	if n, err := newMigrator(t, base...).Up(ctx, db); err != nil || n != 2 {
		t.Fatalf("Up after the fix = %d, %v; want 2", n, err)
	}
}

func TestUpRefuses(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		applied []string // migrations the database got
		binary  []string // migrations the binary knows
		wantErr error
		wantMsg string
	}{
		{"newer schema", base, base[:4], migrate.ErrSchemaNewer, "0003_index but this binary knows up to version 2"},
		{"edited migration", base, append([]string{base[0], base[1] + " -- edited"}, base[2:]...), migrate.ErrModified, "0001_calls changed"},
		{"unknown migration", base, []string{base[0], base[1], "0004_x.sql", "SELECT 1"}, nil, "0002_agents that this binary does not know"},
		{"pending before applied",
			[]string{"0001_a.sql", "SELECT 1", "0003_c.sql", "SELECT 1"},
			[]string{"0001_a.sql", "SELECT 1", "0002_late.sql", "SELECT 1", "0003_c.sql", "SELECT 1"},
			nil, "0002_late is pending but the newer 0003_c is already applied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := pgtest.Pool(t)
			if _, err := newMigrator(t, tc.applied...).Up(ctx, db); err != nil {
				t.Fatal(err)
			}
			n, err := newMigrator(t, tc.binary...).Up(ctx, db)
			if err == nil || n != 0 {
				t.Fatalf("Up = %d, %v; want a refusal", n, err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err = %q, want it to say %q", err, tc.wantMsg)
			}
		})
	}
}

func TestNewChecksFileNames(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  string // error substring, "" for none
	}{
		{"good", []string{"0001_a.sql", "", "0010_b_c.sql", "", "notes.txt", ""}, ""},
		{"upper case", []string{"0001_Init.sql", ""}, "NNNN_name.sql"},
		{"no name", []string{"0001.sql", ""}, "NNNN_name.sql"},
		{"version zero", []string{"0000_a.sql", ""}, "bad version"},
		{"duplicate version", []string{"0001_a.sql", "", "001_b.sql", ""}, "same version 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := migrate.New(files(tc.files...), nil)
			if got := fmt.Sprint(err); tc.want == "" && err != nil || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("New: err = %v, want %q", err, tc.want)
			}
		})
	}
}
