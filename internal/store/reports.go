package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"switchboard/acd/report"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

var _ report.Store = (*Store)(nil)

// Report computes the figures of q in SQL, ordered by interval then key. The csat table
// (written by the IVR's survey) is read when it exists.
func (s *Store) Report(ctx context.Context, q report.Query) ([]report.Row, error) {
	if q.Interval < time.Minute || !q.From.Before(q.To) {
		return nil, fmt.Errorf("report: need an interval of at least a minute and from before to")
	}
	if n := q.To.Sub(q.From) / q.Interval; n >= report.MaxIntervals {
		return nil, fmt.Errorf("report: %d intervals, at most %d", n+1, report.MaxIntervals)
	}
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	var csat bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('csat') IS NOT NULL`).Scan(&csat); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	names, secs := make([]string, 0, len(q.Thresholds)), make([]float64, 0, len(q.Thresholds))
	for name, d := range q.Thresholds {
		names, secs = append(names, name), append(secs, d.Seconds())
	}
	var scope any // NULL: every queue
	if q.Queues != nil {
		scope = q.Queues
	}
	// JIT compilation costs about a second per run of this query and gains nothing on the
	// rows one report reads: it is turned off for the report's read-only transaction.
	// Calendar days are counted in the center's zone: date_trunc and a stride of one day
	// follow the transaction's TimeZone, where date_bin's blocks are fixed.
	days := q.CalendarDays()
	var stride any = q.Interval
	if days {
		stride = pgtype.Interval{Days: 1, Valid: true}
	}
	var out []report.Row
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
			return err
		}
		if days {
			if _, err := tx.Exec(ctx, `SELECT set_config('TimeZone', $1, true)`, q.Location.String()); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, reportSQL(q.ByAgent, csat, days),
			q.From, q.To, stride, scope, names, secs, q.DefaultThreshold.Seconds(), q.Now)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanReportRow)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return out, nil
}

func scanReportRow(row pgx.CollectableRow) (report.Row, error) {
	var r report.Row
	var offered, answered, within, abandoned, abandonedWithin, handled, cbReq, cbConn, outbound float64
	err := row.Scan(&r.Start, &r.Key, &offered, &answered, &within, &abandoned, &abandonedWithin,
		&r.Sums.Wait, &r.LongestWait, &handled, &r.Sums.Handle, &r.Sums.Busy, &r.Sums.Staffed, &cbReq, &cbConn,
		&outbound, &r.OutboundTalk, &r.CSATCount, &r.Sums.CSAT)
	r.Outbound = int64(outbound)
	r.Offered, r.Answered, r.AnsweredWithin = int64(offered), int64(answered), int64(within)
	r.Abandoned, r.AbandonedWithin, r.Sums.Handled = int64(abandoned), int64(abandonedWithin), int64(handled)
	r.CallbacksRequested, r.CallbacksConnected = int64(cbReq), int64(cbConn)
	r.Finish()
	return r, err
}

// reportSQL builds the report's query. Parameters: $1 from, $2 to, $3 interval, $4 queues in
// scope (NULL: all), $5/$6 the thresholds' queues and seconds, $7 the default threshold,
// $8 now. Each measure is a stream of facts (interval, key, measure, value) that the last
// SELECT sums per interval and key.
func reportSQL(byAgent, csat, days bool) string {
	bin := func(col string) string { return "date_bin($3::interval, " + col + ", $1::timestamptz)" }
	if days { // the session's local days ($3 is one day)
		bin = func(col string) string { return "date_trunc('day', " + col + ")" }
	}
	inRange := func(col string) string { return col + " >= $1::timestamptz AND " + col + " < $2::timestamptz" }
	inScope := func(col string) string { return "($4::text[] IS NULL OR " + col + " = ANY($4::text[]))" }
	thr := func(col string) string {
		return "coalesce((SELECT s FROM th WHERE th.q = " + col + "), $7::float8)"
	}
	legTime, key, cbKey := "l.entered_at", "l.queue", "c.queue"
	if byAgent {
		legTime, key, cbKey = "l.answered_at", "l.agent", "c.agent"
	}
	// An agent's outbound call has a leg in the agent's queue, but it was not offered to the
	// queue: the queue's figures count calls that came in, the agent's show outbound calls
	// on their own.
	outboundKey := "false"
	if byAgent {
		outboundKey = "true"
	}
	busyStates := "('reserved', 'on-call', 'wrap-up')"
	staffedStates := "('available', 'reserved', 'on-call', 'wrap-up')"
	// A leg is a phone call in one queue: it lasts less than a day, which bounds the scans
	// of legs by answer time and of wrap-up after the legs of the range.
	legRange := inRange(legTime)
	if byAgent {
		legRange += " AND l.entered_at > $1::timestamptz - interval '1 day' AND l.entered_at < $2::timestamptz"
	}
	var b strings.Builder
	b.WriteString(`
WITH th AS (SELECT q, s FROM unnest($5::text[], $6::float8[]) AS t(q, s)),
all_legs AS MATERIALIZED (
    SELECT ` + bin(legTime) + ` AS b, ` + key + ` AS k, l.call_id, l.agent, l.outcome, l.answered_at, l.left_at,
           l.talk_seconds, extract(epoch FROM coalesce(l.answered_at, l.left_at) - l.entered_at)::float8 AS wait,
           ` + thr("l.queue") + ` AS thr, coalesce(c.data->>'direction' = 'outbound', false) AS outbound
    FROM call_legs l JOIN calls c ON c.id = l.call_id
    WHERE ` + legRange + ` AND ` + inScope("l.queue") + ` AND ` + key + ` IS NOT NULL
),
legs AS (SELECT * FROM all_legs WHERE NOT outbound),
wrap AS (
    SELECT st.call_id, st.agent, sum(extract(epoch FROM st.ended_at - st.started_at))::float8 AS s
    FROM agent_states st
    WHERE st.state = 'wrap-up' AND st.ended_at IS NOT NULL
      AND st.started_at >= $1::timestamptz AND st.started_at < $2::timestamptz + interval '2 days'
      AND st.call_id IN (SELECT call_id FROM legs)
    GROUP BY 1, 2
),`)
	// Agent-state intervals overlapping the range (through the range index of migration
	// 0009), clipped to it and cut at the interval boundaries.
	var agents string
	if byAgent {
		agents = `($4::text[] IS NULL OR st.agent IN (
                SELECT agent FROM call_legs WHERE queue = ANY($4::text[]) AND agent IS NOT NULL
                AND entered_at > $1::timestamptz - interval '1 day' AND entered_at < $2::timestamptz))`
	} else {
		agents = "st.agent IN (SELECT agent FROM legs WHERE answered_at IS NOT NULL)"
	}
	b.WriteString(`
clipped AS (
    SELECT st.agent, st.state, greatest(st.started_at, $1::timestamptz) AS s0,
           least(coalesce(st.ended_at, $8::timestamptz), $2::timestamptz) AS s1
    FROM agent_states st
    WHERE tstzrange(st.started_at, greatest(st.started_at, coalesce(st.ended_at, 'infinity'::timestamptz)))
          && tstzrange($1::timestamptz, $2::timestamptz)
      AND ` + agents + `
),
cut AS MATERIALIZED (
    SELECT g.b, c.agent, c.state, extract(epoch FROM least(c.s1, g.b + $3::interval) - greatest(c.s0, g.b))::float8 AS s
    FROM clipped c
    CROSS JOIN LATERAL generate_series(` + bin("c.s0") + `, c.s1 - interval '1 microsecond', $3::interval) AS g(b)
    WHERE c.s1 > c.s0
),`)
	if byAgent {
		b.WriteString(`
occ AS (SELECT b, agent AS k, state, s FROM cut),`)
	} else {
		// Per queue: the agents who answered the queue's calls in the interval.
		b.WriteString(`
occ AS (
    SELECT sv.b, sv.k, c.state, c.s
    FROM (SELECT DISTINCT b, k, agent FROM legs WHERE answered_at IS NOT NULL) sv
    JOIN cut c ON c.b = sv.b AND c.agent = sv.agent
),`)
	}
	b.WriteString(`
facts (b, k, m, v) AS (
              SELECT b, k, 'answered', 1::float8 FROM legs WHERE answered_at IS NOT NULL
    UNION ALL SELECT b, k, 'answered_within', 1 FROM legs WHERE answered_at IS NOT NULL AND wait <= thr
    UNION ALL SELECT b, k, 'wait', wait FROM legs WHERE answered_at IS NOT NULL
    UNION ALL SELECT b, k, 'longest', wait FROM legs WHERE wait IS NOT NULL
    UNION ALL SELECT l.b, l.k, 'handle', l.talk_seconds + coalesce(w.s, 0)
              FROM legs l LEFT JOIN wrap w ON w.call_id = l.call_id AND w.agent = l.agent
              WHERE l.answered_at IS NOT NULL AND l.left_at IS NOT NULL
    UNION ALL SELECT b, k, 'outbound', 1 FROM all_legs WHERE outbound AND answered_at IS NOT NULL AND ` + outboundKey + `
    UNION ALL SELECT b, k, 'outbound_talk', talk_seconds FROM all_legs WHERE outbound AND answered_at IS NOT NULL AND ` + outboundKey + `
    UNION ALL SELECT b, k, 'busy', s FROM occ WHERE state IN ` + busyStates + `
    UNION ALL SELECT b, k, 'staffed', s FROM occ WHERE state IN ` + staffedStates + `
    UNION ALL SELECT ` + bin("c.created_at") + `, ` + cbKey + `, 'cb_requested', 1 FROM callbacks c
              WHERE ` + inRange("c.created_at") + ` AND ` + inScope("c.queue") + ` AND ` + cbKey + ` IS NOT NULL
    UNION ALL SELECT ` + bin("a.finished_at") + `, ` + cbKey + `, 'cb_connected', 1
              FROM callback_attempts a JOIN callbacks c ON c.id = a.callback_id
              WHERE a.outcome = 'connected' AND ` + inRange("a.finished_at") + ` AND ` + inScope("c.queue") + ` AND ` + cbKey + ` IS NOT NULL`)
	if byAgent {
		b.WriteString(`
    UNION ALL SELECT ` + bin("e.at") + `, e.agent, 'offered', 1 FROM queue_events e
              WHERE e.event = 'OFFER' AND ` + inRange("e.at") + ` AND ` + inScope("e.queue") + ` AND e.agent IS NOT NULL
    UNION ALL SELECT ` + bin("e.at") + `, e.agent, 'abandoned', 1 FROM queue_events e
              WHERE e.event = 'ABANDON' AND ` + inRange("e.at") + ` AND ` + inScope("e.queue") + ` AND e.agent IS NOT NULL AND e.agent <> ''
    UNION ALL SELECT ` + bin("e.at") + `, e.agent, 'abandoned_within', 1 FROM queue_events e
              WHERE e.event = 'ABANDON' AND ` + inRange("e.at") + ` AND ` + inScope("e.queue") + ` AND e.agent IS NOT NULL AND e.agent <> ''
                AND (e.data->>'waited_seconds')::float8 <= ` + thr("e.queue"))
	} else {
		b.WriteString(`
    UNION ALL SELECT b, k, 'offered', 1 FROM legs
    UNION ALL SELECT b, k, 'abandoned', 1 FROM legs WHERE outcome = 'abandoned'
    UNION ALL SELECT b, k, 'abandoned_within', 1 FROM legs WHERE outcome = 'abandoned' AND wait <= thr`)
	}
	if csat {
		ck := "x.queue"
		if byAgent {
			ck = "x.agent"
		}
		b.WriteString(`
    UNION ALL SELECT ` + bin("x.at") + `, ` + ck + `, 'csat', x.score FROM csat x
              WHERE ` + inRange("x.at") + ` AND ` + inScope("x.queue") + ` AND ` + ck + ` IS NOT NULL`)
	}
	b.WriteString(`
)
SELECT b, k,`)
	for _, m := range []string{"offered", "answered", "answered_within", "abandoned", "abandoned_within", "wait"} {
		b.WriteString("\n    coalesce(sum(v) FILTER (WHERE m = '" + m + "'), 0),")
	}
	b.WriteString(`
    coalesce(max(v) FILTER (WHERE m = 'longest'), 0),
    count(*) FILTER (WHERE m = 'handle')::float8,`)
	for _, m := range []string{"handle", "busy", "staffed", "cb_requested", "cb_connected", "outbound", "outbound_talk"} {
		b.WriteString("\n    coalesce(sum(v) FILTER (WHERE m = '" + m + "'), 0),")
	}
	b.WriteString(`
    count(*) FILTER (WHERE m = 'csat'),
    coalesce(sum(v) FILTER (WHERE m = 'csat'), 0)
FROM facts GROUP BY b, k ORDER BY b, k`)
	return b.String()
}
