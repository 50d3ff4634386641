package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"switchboard/internal/pgtest"
	"switchboard/internal/store"
	"switchboard/recording"
)

// BenchmarkIndexRecordings indexes 100,000 recordings' metadata with COPY in batches of
// 5,000 (what an import or a backlog would use) into a fresh database each run.
func BenchmarkIndexRecordings(b *testing.B) {
	const n, batch = 100_000, 5_000
	rs := make([]recording.Recording, n)
	queues := []string{"billing", "support-l1", "support-l2", "sales"}
	for i := range rs {
		rs[i] = recording.Recording{Name: fmt.Sprintf("call-ast1-%d.%d", 1763880000+i/10, i), CallID: fmt.Sprintf("ast1-%d", i),
			Queue: queues[i%4], Agent: fmt.Sprintf("%d", 1000+i%200), Number: fmt.Sprintf("7999%07d", i%50_000),
			Started: t0.Add(time.Duration(i) * 9 * time.Second), Duration: time.Duration(30+i%600) * time.Second,
			Size: int64(44 + (30+i%600)*16000), Format: "wav", SHA256: fmt.Sprintf("%064x", i), Path: fmt.Sprintf("/var/lib/switchboard/recordings/call-%d.wav", i)}
	}
	ctx := context.Background()
	var secs float64
	for b.Loop() {
		b.StopTimer()
		s := store.New(pgtest.Pool(b))
		b.StartTimer()
		t := time.Now()
		for i := 0; i < n; i += batch {
			if err := s.IndexRecordings(ctx, rs[i:i+batch]); err != nil {
				b.Fatal(err)
			}
		}
		secs += time.Since(t).Seconds()
	}
	b.ReportMetric(float64(b.N)*n/secs, "rows/s")
	b.Logf("%d recordings indexed in %.2fs per run: %.0f rows/s", n, secs/float64(b.N), float64(b.N)*n/secs)
}

// BenchmarkIndexRecordingOne indexes recordings one row at a time, as the daemon does when a
// recording finishes.
func BenchmarkIndexRecordingOne(b *testing.B) {
	s := store.New(pgtest.Pool(b))
	ctx := context.Background()
	i := 0
	for b.Loop() {
		r := recording.Recording{Name: fmt.Sprintf("call-%d", i), CallID: fmt.Sprint(i), Queue: "billing", Agent: "1001",
			Started: t0.Add(time.Duration(i) * time.Second), Duration: time.Minute, Size: 960044, Format: "wav", SHA256: "x", Path: "/p"}
		if err := s.IndexRecording(ctx, r); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkSearchRecordings searches 1,000,000 indexed recordings (a year of a 40-agent
// center: 200 agents ids, 4 queues, 100,000 caller numbers, one call every 30 s) with the
// filters the search page offers, one 50-row page each; ms/search is the figure to read.
func BenchmarkSearchRecordings(b *testing.B) {
	const n = 1_000_000
	ctx := context.Background()
	pool := pgtest.Pool(b)
	t := time.Now()
	_, err := pool.Exec(ctx, `
		INSERT INTO recordings (name, call_id, queue, agent, number, customer, ticket, started_at, duration_ms, size_bytes, format, sha256, path)
		SELECT 'call-ast1-' || i, 'ast1-' || i,
			(ARRAY['billing', 'support-l1', 'support-l2', 'sales'])[1 + i % 4],
			(1000 + i % 200)::text,
			'7999' || lpad((i * 7919 % 100000)::text, 7, '0'),
			CASE WHEN i % 3 = 0 THEN 'C-' || (i % 20000) ELSE '' END,
			CASE WHEN i % 5 = 0 THEN 'T-' || i ELSE '' END,
			$1::timestamptz + make_interval(secs => i * 30),
			(20 + (i * 37) % 900) * 1000, 44 + (20 + (i * 37) % 900) * 16000, 'wav', md5(i::text) || md5(i::text),
			'/var/lib/switchboard/recordings/call-ast1-' || i || '.wav'
		FROM generate_series(1::bigint, $2::bigint) AS i`, t0, n)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE recordings`); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d rows generated and analyzed in %.1fs", n, time.Since(t).Seconds())
	s := store.New(pool)
	mid := t0.Add(n / 2 * 30 * time.Second)
	cases := []struct {
		name string
		f    recording.Query
	}{
		{"newest", recording.Query{}},
		{"day", recording.Query{From: mid, To: mid.Add(24 * time.Hour)}},
		{"queue", recording.Query{Queue: "billing"}},
		{"supervisor_scope_week", recording.Query{Queues: []string{"billing", "sales"}, From: mid, To: mid.Add(7 * 24 * time.Hour)}},
		{"agent", recording.Query{Agent: "1042"}},
		{"agent_month_long", recording.Query{Agent: "1042", From: mid, To: mid.Add(30 * 24 * time.Hour), MinDuration: 10 * time.Minute}},
		{"number", recording.Query{Number: "79990012345"}},
		{"customer", recording.Query{Customer: "C-777"}},
		{"ticket", recording.Query{Ticket: "T-500000"}},
		{"min_duration", recording.Query{MinDuration: 14 * time.Minute}},
		{"rare_queue_and_long", recording.Query{Queue: "sales", MinDuration: 15*time.Minute - time.Second}},
		// Worst case: nothing matches, so the whole queue's index range is read (250,000 rows).
		{"queue_no_match", recording.Query{Queue: "sales", MinDuration: 16 * time.Minute}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var rows int
			for b.Loop() {
				got, _, err := s.SearchRecordings(ctx, c.f, 50, "")
				if err != nil {
					b.Fatal(err)
				}
				rows = len(got)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/search")
			b.ReportMetric(float64(rows), "rows")
		})
	}
}
