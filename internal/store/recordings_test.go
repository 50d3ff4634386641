package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"switchboard/crm"
	"switchboard/internal/account"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
	"switchboard/recording"
)

func rec(name, queue, agent, number string, started time.Time, dur time.Duration) recording.Recording {
	return recording.Recording{Name: name, CallID: "ast1-" + name, Queue: queue, Agent: agent, Number: number,
		Started: started, Duration: dur, Size: 44 + int64(dur/time.Millisecond)*16, Format: "wav", SHA256: "ab", Path: "/nowhere/" + name + ".wav"}
}

func names(rs []recording.Recording) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func TestRecordingIndexAndSearch(t *testing.T) {
	ctx := context.Background()
	s := store.New(pgtest.Pool(t))
	rows := []recording.Recording{
		rec("r1", "billing", "1001", "79990000001", t0, 30*time.Second),
		rec("r2", "billing", "1002", "79990000002", t0.Add(time.Hour), 5*time.Minute),
		rec("r3", "support", "1001", "79990000001", t0.Add(2*time.Hour), 10*time.Second),
		rec("r4", "support", "1003", "79990000003", t0.Add(3*time.Hour), time.Minute),
	}
	rows[3].Customer, rows[3].Ticket = "C-7", "T-42"
	for _, r := range rows {
		if err := s.IndexRecording(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// Indexing again replaces.
	again := rows[0]
	again.SHA256 = "cd"
	if err := s.IndexRecording(ctx, again); err != nil {
		t.Fatal(err)
	}
	got, err := s.Recording(ctx, "r1")
	if err != nil || got.SHA256 != "cd" || !got.Started.Equal(t0) || got.Duration != 30*time.Second || got.Size != rows[0].Size {
		t.Fatalf("r1: %+v %v", got, err)
	}
	if _, err := s.Recording(ctx, "nope"); !store.IsNotFound(err) {
		t.Fatalf("missing recording: %v", err)
	}
	tests := []struct {
		name string
		f    recording.Query
		want []string
	}{
		{"all, newest first", recording.Query{}, []string{"r4", "r3", "r2", "r1"}},
		{"time range", recording.Query{From: t0.Add(time.Hour), To: t0.Add(3 * time.Hour)}, []string{"r3", "r2"}},
		{"queue", recording.Query{Queue: "billing"}, []string{"r2", "r1"}},
		{"scope", recording.Query{Queues: []string{"support"}}, []string{"r4", "r3"}},
		{"empty scope", recording.Query{Queues: []string{}}, nil},
		{"scope and another queue", recording.Query{Queues: []string{"support"}, Queue: "billing"}, nil},
		{"agent", recording.Query{Agent: "1001"}, []string{"r3", "r1"}},
		{"number", recording.Query{Number: "79990000001"}, []string{"r3", "r1"}},
		{"customer", recording.Query{Customer: "C-7"}, []string{"r4"}},
		{"ticket", recording.Query{Ticket: "T-42"}, []string{"r4"}},
		{"call", recording.Query{CallID: "ast1-r2"}, []string{"r2"}},
		{"min duration", recording.Query{MinDuration: time.Minute}, []string{"r4", "r2"}},
		{"max duration", recording.Query{MaxDuration: 30 * time.Second}, []string{"r3", "r1"}},
	}
	for _, tt := range tests {
		got, next, err := s.SearchRecordings(ctx, tt.f, 10, "")
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !slices.Equal(names(got), tt.want) || next != "" {
			t.Errorf("%s: got %v (next %q), want %v", tt.name, names(got), next, tt.want)
		}
	}
	// Paging walks every row once.
	var all []string
	cursor := ""
	for i := 0; ; i++ {
		page, next, err := s.SearchRecordings(ctx, recording.Query{}, 3, cursor)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, names(page)...)
		if next == "" {
			break
		}
		cursor = next
	}
	if !slices.Equal(all, []string{"r4", "r3", "r2", "r1"}) {
		t.Fatalf("pages: %v", all)
	}
	if _, _, err := s.SearchRecordings(ctx, recording.Query{}, 3, "!!"); !errors.Is(err, recording.ErrBadCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
	if err := s.DeleteRecording(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRecording(ctx, "r1"); !store.IsNotFound(err) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestPurgeRecordings(t *testing.T) {
	ctx := context.Background()
	s := store.New(pgtest.Pool(t))
	dir := t.TempDir()
	day := 24 * time.Hour
	now := t0.Add(100 * day)
	mk := func(name, queue string, age time.Duration, file bool) recording.Recording {
		r := rec(name, queue, "1001", "", now.Add(-age), time.Second)
		r.Path = filepath.Join(dir, name+".wav")
		if file {
			if err := os.WriteFile(r.Path, []byte("RIFF"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.IndexRecording(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	old := mk("old", "billing", 91*day, true)         // default 90 days: purged
	young := mk("young", "billing", 89*day, true)     // kept
	gone := mk("gone", "billing", 95*day, false)      // file already missing: row purged
	short := mk("short", "support", 8*day, true)      // support keeps 7 days: purged
	forever := mk("forever", "legal", 4000*day, true) // legal keeps forever
	n, err := s.PurgeRecordings(ctx, now, map[string]time.Duration{"support": 7 * day, "legal": 0}, 90*day, nil)
	if err != nil || n != 3 {
		t.Fatalf("purged %d: %v", n, err)
	}
	for _, r := range []recording.Recording{old, gone, short} {
		if _, err := s.Recording(ctx, r.Name); !store.IsNotFound(err) {
			t.Errorf("%s: row still there (%v)", r.Name, err)
		}
		if _, err := os.Stat(r.Path); !os.IsNotExist(err) {
			t.Errorf("%s: file still there", r.Name)
		}
		trail, err := s.AuditTrail(ctx, "recording:"+r.Name)
		if err != nil || len(trail) != 1 || trail[0].Action != "purge" || trail[0].Actor != "system" {
			t.Errorf("%s: audit %+v %v", r.Name, trail, err)
		}
	}
	for _, r := range []recording.Recording{young, forever} {
		if _, err := s.Recording(ctx, r.Name); err != nil {
			t.Errorf("%s: %v", r.Name, err)
		}
		if _, err := os.Stat(r.Path); err != nil {
			t.Errorf("%s: %v", r.Name, err)
		}
	}
}

func TestAuditTrail(t *testing.T) {
	ctx := context.Background()
	s := store.New(pgtest.Pool(t))
	for i, who := range []string{"sue", "root"} {
		if err := s.Audit(ctx, account.AuditEntry{At: t0.Add(time.Duration(i) * time.Second), Actor: who, Action: "play", Object: "recording:r1", Detail: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	trail, err := s.AuditTrail(ctx, "recording:r1")
	if err != nil || len(trail) != 2 || trail[0].Actor != "sue" || trail[1].Actor != "root" || !trail[0].At.Equal(t0) {
		t.Fatalf("trail %+v %v", trail, err)
	}
}

// TestRecordingFiltersFollowCRMLinks: the customer and ticket filters find the recordings of
// the calls the CRM links to them (a ticket's calls, a customer's interactions and tickets),
// which the router cannot know when it indexes a recording.
func TestRecordingFiltersFollowCRMLinks(t *testing.T) {
	ctx := context.Background()
	r := newCRM(t)
	anna := r.customer("Anna", nil, nil, "")
	boris := r.customer("Boris", nil, nil, "")
	for _, x := range []recording.Recording{
		rec("a1", "support", "1001", "", t0, time.Minute),
		rec("a2", "support", "1001", "", t0.Add(time.Hour), time.Minute),
		rec("b1", "support", "1002", "", t0.Add(2*time.Hour), time.Minute),
	} {
		if err := r.s.IndexRecording(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	// a1 is Anna's by interaction; a2 by a ticket of hers; b1 is Boris's.
	if err := r.c.RecordInteraction(ctx, crm.Interaction{CallID: "ast1-a1", Agent: "1001", CustomerID: anna.ID, Queue: "support", At: t0}); err != nil {
		t.Fatal(err)
	}
	tk, err := r.c.CreateTicket(ctx, crm.NewTicket{CustomerID: anna.ID, Subject: "router", CallID: "ast1-a2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.c.RecordInteraction(ctx, crm.Interaction{CallID: "ast1-b1", Agent: "1002", CustomerID: boris.ID, Queue: "support", At: t0}); err != nil {
		t.Fatal(err)
	}
	id := func(n int64) string { return fmt.Sprint(n) }
	for _, tt := range []struct {
		name string
		f    recording.Query
		want []string
	}{
		{"customer by interaction and ticket", recording.Query{Customer: id(anna.ID)}, []string{"a2", "a1"}},
		{"another customer", recording.Query{Customer: id(boris.ID)}, []string{"b1"}},
		{"ticket", recording.Query{Ticket: id(tk.ID)}, []string{"a2"}},
		{"ticket and scope", recording.Query{Ticket: id(tk.ID), Queues: []string{"billing"}}, nil},
		{"unknown customer", recording.Query{Customer: "4242"}, nil},
	} {
		got, _, err := r.s.SearchRecordings(ctx, tt.f, 10, "")
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !slices.Equal(names(got), tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, names(got), tt.want)
		}
	}
}
