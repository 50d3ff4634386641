package recording

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"time"

	"switchboard/internal/account"
)

// Retention is how long queue's recordings are kept: keep's entry for the queue, def for
// the others; 0 keeps forever.
func Retention(keep map[string]time.Duration, def time.Duration, queue string) time.Duration {
	if d, ok := keep[queue]; ok {
		return d
	}
	return def
}

// PurgeIndex is what a purge needs of the index.
type PurgeIndex interface {
	// RecordingsToPurge returns up to limit recordings past their Retention at now, oldest
	// first.
	RecordingsToPurge(ctx context.Context, now time.Time, keep map[string]time.Duration, def time.Duration, limit int) ([]Recording, error)
	// DeleteAudited deletes a recording's row and writes e in one transaction; false, and
	// nothing written, when the row is already gone.
	DeleteAudited(ctx context.Context, name string, e account.AuditEntry) (bool, error)
}

// purgeBatch is how many recordings a purge asks the index for at a time.
const purgeBatch = 500

// Purge deletes the recordings past their queue's retention at now, file and row together:
// the file first with remove (a file already gone counts as deleted), then the row with its
// audit row (actor "system", action "purge"), each logged. A file that cannot be removed keeps
// its row, so that it is tried again on the next run and never becomes an unlisted file.
// Purges may run at once: the one whose delete removes the row audits it; the others skip it.
// It returns how many recordings it purged.
func Purge(ctx context.Context, idx PurgeIndex, remove func(path string) error, now time.Time, keep map[string]time.Duration,
	def time.Duration, logger *slog.Logger) (int, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	purged := 0
	for {
		list, err := idx.RecordingsToPurge(ctx, now, keep, def, purgeBatch)
		if err != nil {
			return purged, err
		}
		progress := 0
		for _, rec := range list {
			d := Retention(keep, def, rec.Queue)
			if !Expired(rec, now, Policy{Keep: d}) {
				continue // the index and the rule disagree: keep it
			}
			if rec.Path != "" {
				if err := remove(rec.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
					logger.Error("recording file not purged; row kept", "recording", rec.Name, "path", rec.Path, "err", err)
					continue
				}
			}
			deleted, err := idx.DeleteAudited(ctx, rec.Name, account.AuditEntry{At: now, Actor: "system", Action: "purge",
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
		if len(list) < purgeBatch || progress == 0 {
			return purged, nil
		}
	}
}
