package web

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"switchboard/acd/report"
	"switchboard/internal/account"
)

// FuzzReportParams: any query string either is refused with a message or gives a report
// request the store can run: a known grouping and interval, from before to, no more
// intervals than the cap, and the session's scope.
func FuzzReportParams(f *testing.F) {
	f.Add("by=queue&interval=1h&from=2026-11-23T09:00:00Z&to=2026-11-23T11:00:00Z&format=csv")
	f.Add("by=agent&interval=15m&from=2026-11-23&to=2026-11-24")
	f.Add("interval=1d&from=0001-01-01&to=9999-12-31")
	f.Add("from=2026-11-23T10:00&to=2026-11-23T09:00")
	f.Add("from=2026-11-23T09:00:00%2B14:00&to=2026-11-23T09:00:00-12:00")
	f.Add("by=%00&interval=&format=json;")
	s := newServer(Options{Live: func() Live { return Live{} }})
	sess := &account.Session{User: account.User{Role: "supervisor", Queues: []string{"billing"}}}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/api/reports", nil)
		r.URL.RawQuery = raw
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess))
		p, err := s.parseReport(r, now)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q: empty message", raw)
			}
			return
		}
		if (p.By != "queue" && p.By != "agent") || reportIntervals[p.Interval] != p.q.Interval || !p.From.Before(p.To) ||
			p.To.Sub(p.From)/p.q.Interval >= report.MaxIntervals || len(p.q.Queues) != 1 || p.q.Queues[0] != "billing" ||
			(p.Format != "json" && p.Format != "csv") {
			t.Fatalf("%q accepted as %+v", raw, p)
		}
	})
}
