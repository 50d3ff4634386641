package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/recording"
)

// PurgeRecordings deletes the recordings past their queue's retention at now, file and row
// together: the file first (a file already gone counts as deleted), then the row with its
// audit row (actor "system", action "purge") in one transaction, each logged. A file that
// cannot be removed keeps its row, so that it is tried again on the next run and never becomes
// an unlisted file. Purges may run at once (the daemon's hourly one and an explicit one, or
// two nodes): the one whose delete removes the row audits it; the others skip it.
// keep maps queues to retention, def applies to the others; 0 keeps forever. It returns how
// many recordings it purged.
func (s *Store) PurgeRecordings(ctx context.Context, now time.Time, keep map[string]time.Duration, def time.Duration, logger *slog.Logger) (int, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	const batch = 500
	purged := 0
	for {
		list, err := s.RecordingsToPurge(ctx, now, keep, def, batch)
		if err != nil {
			return purged, err
		}
		progress := 0
		for _, rec := range list {
			d, ok := keep[rec.Queue]
			if !ok {
				d = def
			}
			if !recording.Expired(rec, now, recording.Policy{Keep: d}) {
				continue // the database and the rule disagree: keep it
			}
			if rec.Path != "" {
				if err := os.Remove(rec.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
					logger.Error("recording file not purged; row kept", "recording", rec.Name, "path", rec.Path, "err", err)
					continue
				}
			}
			deleted, err := s.deleteAudited(ctx, rec.Name, AuditEntry{At: now, Actor: "system", Action: "purge",
				Object: "recording:" + rec.Name, Detail: "retention " + d.String()})
			if err != nil {
				return purged, err
			}
			if !deleted {
				continue // another purge deleted it and audited that
			}
			logger.Info("recording purged", "recording", rec.Name, "queue", rec.Queue, "started", rec.Started, "retention", d)
			purged++
			progress++
		}
		if len(list) < batch || progress == 0 {
			return purged, nil
		}
	}
}

// deleteAudited deletes a recording's row and writes e in one transaction. It reports false,
// writing nothing, when the row is already gone.
func (s *Store) deleteAudited(ctx context.Context, name string, e AuditEntry) (bool, error) {
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
