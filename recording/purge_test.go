package recording

import (
	"context"
	"errors"
	"io/fs"
	"testing"
	"time"

	"switchboard/internal/account"
)

type memIndex struct {
	rows    []Recording
	gone    map[string]bool // deleted by another purge
	audited []account.AuditEntry
}

func (m *memIndex) RecordingsToPurge(context.Context, time.Time, map[string]time.Duration, time.Duration, int) ([]Recording, error) {
	return m.rows, nil
}

func (m *memIndex) DeleteAudited(_ context.Context, name string, e account.AuditEntry) (bool, error) {
	if m.gone[name] {
		return false, nil
	}
	m.gone[name] = true
	m.audited = append(m.audited, e)
	return true, nil
}

func TestPurge(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	old := now.Add(-48 * time.Hour)
	idx := &memIndex{gone: map[string]bool{"taken": true}, rows: []Recording{
		{Name: "a", Queue: "billing", Started: old, Path: "/r/a"},
		{Name: "young", Queue: "sales", Started: old, Path: "/r/young"}, // sales keeps 7 days: the rule wins
		{Name: "stuck", Queue: "billing", Started: old, Path: "/r/stuck"},
		{Name: "missing", Queue: "billing", Started: old, Path: "/r/missing"},
		{Name: "taken", Queue: "billing", Started: old, Path: "/r/taken"},
	}}
	var removed []string
	remove := func(path string) error {
		switch path {
		case "/r/stuck":
			return errors.New("permission denied")
		case "/r/missing":
			return fs.ErrNotExist
		}
		removed = append(removed, path)
		return nil
	}
	n, err := Purge(context.Background(), idx, remove, now, map[string]time.Duration{"sales": 7 * 24 * time.Hour}, 24*time.Hour, nil)
	if err != nil || n != 2 {
		t.Fatalf("purged %d %v, want 2 (a and missing)", n, err)
	}
	if len(removed) != 2 || removed[0] != "/r/a" || removed[1] != "/r/taken" {
		t.Errorf("removed %v", removed)
	}
	if idx.gone["stuck"] || idx.gone["young"] || !idx.gone["missing"] {
		t.Errorf("rows deleted %v", idx.gone)
	}
	want := account.AuditEntry{At: now, Actor: "system", Action: "purge", Object: "recording:a", Detail: "retention 24h0m0s"}
	if len(idx.audited) != 2 || idx.audited[0] != want {
		t.Errorf("audited %+v, want first %+v", idx.audited, want)
	}
	if d := Retention(map[string]time.Duration{"q": 0}, time.Hour, "q"); d != 0 {
		t.Errorf("a queue kept forever: %v", d)
	}
}
