package pgtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) {
	Main(m, WithTemplate(func(ctx context.Context, db *pgxpool.Pool) error {
		_, err := db.Exec(ctx, "CREATE TABLE from_template (v text); INSERT INTO from_template VALUES ('copied')")
		return err
	}))
}

func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	s, err := get()
	if err != nil {
		t.Fatal(err)
	}
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	var n int
	if err := s.admin.QueryRow(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func currentDatabase(t *testing.T, db *pgxpool.Pool) string {
	t.Helper()
	var name string
	if err := db.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestEachTestGetsItsOwnCopyOfTheTemplate(t *testing.T) {
	if _, err := get(); err != nil { // start the cluster outside the timing
		t.Fatal(err)
	}
	ctx := context.Background()
	var names []string
	for i := range 3 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t0 := time.Now()
			db := Pool(t)
			var v string
			if err := db.QueryRow(ctx, "SELECT v FROM from_template").Scan(&v); err != nil || v != "copied" {
				t.Fatalf("template row: %q, %v", v, err)
			}
			t.Logf("database ready and queried in %v", time.Since(t0))
			// Changes stay in this test's database.
			if _, err := db.Exec(ctx, "INSERT INTO from_template VALUES ('mine')"); err != nil {
				t.Fatal(err)
			}
			names = append(names, currentDatabase(t, db))
		})
	}
	for _, n := range names {
		if databaseExists(t, n) {
			t.Errorf("database %s not dropped after its test", n)
		}
	}
}

func TestParallelTestsDoNotShare(t *testing.T) {
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			db := Pool(t)
			var n int
			if err := db.QueryRow(context.Background(), "SELECT count(*) FROM from_template").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("rows = %d, want 1 (the template's)", n)
			}
			if _, err := db.Exec(context.Background(), "INSERT INTO from_template VALUES ('x')"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestURLStaysUsableWhileConnectionsAreOpen(t *testing.T) {
	// A connection left open by the test must not make the drop fail.
	url := URL(t)
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn // deliberately not closed
}

// TestExternalServer exercises the DATABASE_URL path against the private
// cluster, standing in for a shared server.
func TestExternalServer(t *testing.T) {
	s, err := get()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATABASE_URL", s.base)
	ctx := context.Background()
	ext, err := open(ctx, config{setup: func(ctx context.Context, db *pgxpool.Pool) error {
		_, err := db.Exec(ctx, "CREATE TABLE ext (id int)")
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	if ext.cluster != nil {
		t.Fatal("started a cluster despite DATABASE_URL")
	}
	name := dbName(t.Name())
	if err := ext.exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+ext.templateClause()); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, withDatabase(ext.base, name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SELECT id FROM ext"); err != nil {
		t.Errorf("template table missing: %v", err)
	}
	conn.Close(ctx)
	if err := ext.exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	tmpl := ext.template
	ext.close()
	if databaseExists(t, tmpl) {
		t.Errorf("template %s left on the external server", tmpl)
	}
}

func TestWithDatabase(t *testing.T) {
	for _, tc := range []struct{ base, want string }{
		{"postgres://u:p@127.0.0.1:5432/postgres?sslmode=disable", "postgres://u:p@127.0.0.1:5432/x?sslmode=disable"},
		{"postgresql://h/", "postgresql://h/x"},
		{"host=h user=u dbname=postgres", "host=h user=u dbname=postgres dbname='x'"},
	} {
		if got := withDatabase(tc.base, "x"); got != tc.want {
			t.Errorf("withDatabase(%q) = %q, want %q", tc.base, got, tc.want)
		}
	}
}
