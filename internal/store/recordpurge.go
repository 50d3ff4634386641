package store

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"switchboard/recording"
)

// PurgeRecordings deletes the recordings past their queue's retention at now, file and row
// together: the file first (a file already gone counts as deleted), then the row, then an
// audit row (actor "system", action "purge"), each logged. A file that cannot be removed keeps
// its row, so that it is tried again on the next run and never becomes an unlisted file.
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
			if err := s.DeleteRecording(ctx, rec.Name); err != nil && !IsNotFound(err) {
				return purged, err
			}
			if err := s.Audit(ctx, AuditEntry{At: now, Actor: "system", Action: "purge", Object: "recording:" + rec.Name,
				Detail: "retention " + d.String()}); err != nil {
				logger.Warn("purge not audited", "recording", rec.Name, "err", err)
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
