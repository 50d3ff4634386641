package store

import (
	"context"
	"fmt"
	"time"

	"switchboard/acd"
	"switchboard/acd/report"
)

// AgentDay sums an agent's state intervals between from and to; an interval still open
// counts up to to. What the journal has not written yet (a second or so) is missing. The
// intervals of the agent's outbound calls (their record says so) count apart.
func (s *Store) AgentDay(ctx context.Context, agent string, from, to time.Time) (report.AgentDay, error) {
	var d report.AgentDay
	var talk, wrap, pause, outTalk float64
	err := s.pool.QueryRow(ctx, `
		WITH iv AS (
			SELECT st.state, st.started_at, coalesce(c.data->>'direction' = 'outbound', false) AS outbound,
			       GREATEST(0, EXTRACT(EPOCH FROM LEAST(COALESCE(st.ended_at, $3), $3) - GREATEST(st.started_at, $2))) AS secs
			FROM agent_states st LEFT JOIN calls c ON c.id = st.call_id
			WHERE st.agent = $1 AND st.started_at < $3 AND (st.ended_at IS NULL OR st.ended_at > $2))
		SELECT count(*) FILTER (WHERE state = $4 AND started_at >= $2 AND NOT outbound),
		       COALESCE(sum(secs) FILTER (WHERE state = $4 AND NOT outbound), 0)::float8,
		       COALESCE(sum(secs) FILTER (WHERE state = $5 AND NOT outbound), 0)::float8,
		       COALESCE(sum(secs) FILTER (WHERE state = $6), 0)::float8,
		       count(*) FILTER (WHERE state = $4 AND started_at >= $2 AND outbound),
		       COALESCE(sum(secs) FILTER (WHERE state = $4 AND outbound), 0)::float8
		FROM iv`, agent, from, to, acd.OnCall.String(), acd.WrapUp.String(), acd.Paused.String()).
		Scan(&d.Calls, &talk, &wrap, &pause, &d.Outbound, &outTalk)
	if err != nil {
		return report.AgentDay{}, fmt.Errorf("store: agent %s day: %w", agent, err)
	}
	sec := func(x float64) time.Duration { return time.Duration(x * float64(time.Second)).Round(time.Millisecond) }
	d.Talk, d.WrapUp, d.Pause, d.OutboundTalk = sec(talk), sec(wrap), sec(pause), sec(outTalk)
	return d, nil
}
