package store

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/account"
	"switchboard/recording"
)

// PurgeRecordings purges the recordings past their queue's retention at now, files and rows
// (recording.Purge, whose rules apply); keep maps queues to retention, def applies to the
// others; 0 keeps forever. It returns how many recordings it purged.
func (s *Store) PurgeRecordings(ctx context.Context, now time.Time, keep map[string]time.Duration, def time.Duration, logger *slog.Logger) (int, error) {
	return recording.Purge(ctx, s, os.Remove, now, keep, def, logger)
}

var _ recording.PurgeIndex = (*Store)(nil)

// DeleteAudited deletes a recording's row and writes e in one transaction. It reports false,
// writing nothing, when the row is already gone.
func (s *Store) DeleteAudited(ctx context.Context, name string, e account.AuditEntry) (bool, error) {
	deleted := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM recordings WHERE name = $1`, name)
		if err != nil {
			return fmt.Errorf("delete recording %s: %w", name, err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit (at, actor, action, object, detail) VALUES ($1, $2, $3, $4, $5)`,
			e.At, e.Actor, e.Action, e.Object, e.Detail); err != nil {
			return fmt.Errorf("audit %s %s: %w", e.Action, e.Object, err)
		}
		deleted = true
		return nil
	})
	return deleted, err
}
