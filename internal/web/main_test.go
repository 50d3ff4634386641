package web

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

// TestMain gives the tests that use the real store (accounts, tokens, reports) migrated
// databases; the others never start PostgreSQL.
func TestMain(m *testing.M) {
	pgtest.Main(m, pgtest.WithTemplate(func(ctx context.Context, db *pgxpool.Pool) error {
		return store.Migrate(ctx, db, nil)
	}))
}
