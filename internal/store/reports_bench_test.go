package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/acd/report"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

// BenchmarkReport runs reports over a month of history: 300,000 calls (one every 9 s) in
// four queues answered by 40 agents, each agent's day in state intervals, and 10,000
// callbacks. It reports one day in 15-minute intervals per queue for a supervisor of one
// queue, and the whole week per agent by hour for an admin.
func BenchmarkReport(b *testing.B) {
	ctx := context.Background()
	db := pgtest.Pool(b)
	for _, sql := range []string{
		`INSERT INTO calls (id, node) SELECT 'c' || i, 'ast1' FROM generate_series(1, 300000) i`,
		`INSERT INTO call_legs (call_id, seq, queue, entered_at, agent, answered_at, left_at, outcome, talk_seconds)
		 SELECT 'c' || i, 1, (ARRAY['billing', 'support-l1', 'support-l2', 'sales'])[1 + i % 4],
		        $1::timestamptz + i * interval '9 seconds',
		        CASE WHEN i % 10 = 0 THEN NULL ELSE (1000 + i % 40)::text END,
		        CASE WHEN i % 10 = 0 THEN NULL ELSE $1::timestamptz + i * interval '9 seconds' + (i % 60) * interval '1 second' END,
		        $1::timestamptz + i * interval '9 seconds' + (i % 60 + 180) * interval '1 second',
		        CASE WHEN i % 10 = 0 THEN 'abandoned' ELSE 'answered' END,
		        CASE WHEN i % 10 = 0 THEN 0 ELSE 180 END
		 FROM generate_series(1, 300000) i`,
		`INSERT INTO agent_states (id, agent, node, state, started_at, ended_at, call_id)
		 SELECT gen_random_uuid(), (1000 + a)::text, 'ast1', (ARRAY['available', 'on-call', 'wrap-up', 'paused'])[1 + s % 4],
		        $1::timestamptz + s * interval '90 seconds', $1::timestamptz + (s + 1) * interval '90 seconds', NULL
		 FROM generate_series(0, 39) a, generate_series(0, 30 * 960 - 1) s`,
		`INSERT INTO callbacks (node, number, queue, enqueued_at, reason, max_attempts, next_at, expires_at, created_at, state)
		 SELECT 'ast1', '+49301' || lpad(i::text, 7, '0'), 'billing', $1::timestamptz + i * interval '4 minutes', 'missed', 3,
		        $1::timestamptz + i * interval '4 minutes', $1::timestamptz + i * interval '4 minutes' + interval '1 day',
		        $1::timestamptz + i * interval '4 minutes', 'done'
		 FROM generate_series(1, 10000) i`,
		`VACUUM ANALYZE`,
	} {
		var args []any
		if strings.Contains(sql, "$1") {
			args = append(args, t0)
		}
		if _, err := db.Exec(ctx, sql, args...); err != nil {
			b.Fatalf("%.60s: %v", sql, err)
		}
	}
	s := store.New(db)
	day := t0.Add(10 * 24 * time.Hour)
	for _, bc := range []struct {
		name string
		q    report.Query
	}{
		{"day-15m-queue-scoped", report.Query{Interval: 15 * time.Minute, From: day, To: day.Add(24 * time.Hour), Queues: []string{"billing"}}},
		{"week-1h-agent", report.Query{ByAgent: true, Interval: time.Hour, From: day, To: day.Add(7 * 24 * time.Hour)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bc.q.DefaultThreshold, bc.q.Now = 20*time.Second, day.Add(30*24*time.Hour)
			var rows int
			for b.Loop() {
				out, err := s.Report(ctx, bc.q)
				if err != nil {
					b.Fatal(err)
				}
				rows = len(out)
			}
			b.ReportMetric(float64(rows), "rows")
		})
	}
}
