package store

import (
	"context"
	"fmt"
	"time"

	"switchboard/acd"
	"switchboard/acd/report"
)

// AgentDay sums an agent's state intervals between from and to; an interval still open
// counts up to to. What the journal has not written yet (a second or so) is missing.
func (s *Store) AgentDay(ctx context.Context, agent string, from, to time.Time) (report.AgentDay, error) {
	var d report.AgentDay
	var talk, wrap, pause float64
	err := s.pool.QueryRow(ctx, `
		WITH iv AS (
			SELECT state, started_at,
			       GREATEST(0, EXTRACT(EPOCH FROM LEAST(COALESCE(ended_at, $3), $3) - GREATEST(started_at, $2))) AS secs
			FROM agent_states
			WHERE agent = $1 AND started_at < $3 AND (ended_at IS NULL OR ended_at > $2))
		SELECT count(*) FILTER (WHERE state = $4 AND started_at >= $2),
		       COALESCE(sum(secs) FILTER (WHERE state = $4), 0)::float8,
		       COALESCE(sum(secs) FILTER (WHERE state = $5), 0)::float8,
		       COALESCE(sum(secs) FILTER (WHERE state = $6), 0)::float8
		FROM iv`, agent, from, to, acd.OnCall.String(), acd.WrapUp.String(), acd.Paused.String()).
		Scan(&d.Calls, &talk, &wrap, &pause)
	if err != nil {
		return report.AgentDay{}, fmt.Errorf("store: agent %s day: %w", agent, err)
	}
	sec := func(x float64) time.Duration { return time.Duration(x * float64(time.Second)).Round(time.Millisecond) }
	d.Talk, d.WrapUp, d.Pause = sec(talk), sec(wrap), sec(pause)
	return d, nil
}
