package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/acd"
)

// AgentOverride is what the desktop or a supervisor changed of an agent over the
// configuration file. Empty fields keep the file's value.
type AgentOverride struct {
	Agent     string
	Endpoint  string           // "": the file's
	Skills    map[string]int   // nil: the file's
	Queues    []acd.Membership // nil: the file's
	UpdatedAt time.Time
}

type membershipJSON struct {
	Queue   string `json:"queue"`
	Penalty int    `json:"penalty"`
}

// SaveAgentOverride merges o into the agent's stored override (fields left empty stay as
// they were) and runs apply in the same transaction: the override is kept only if apply
// succeeds, and apply runs only once the store has taken the write. apply's error is
// returned as it is.
func (s *Store) SaveAgentOverride(ctx context.Context, o AgentOverride, apply func() error) error {
	var skills, queues []byte
	if o.Skills != nil {
		skills, _ = json.Marshal(o.Skills)
	}
	if o.Queues != nil {
		ms := make([]membershipJSON, len(o.Queues))
		for i, m := range o.Queues {
			ms[i] = membershipJSON{m.Queue, m.Penalty}
		}
		queues, _ = json.Marshal(ms)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("store: agent %s override: %w", o.Agent, err)
	}
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, `
		INSERT INTO agent_overrides (agent, endpoint, skills, queues, updated_at)
		VALUES ($1, NULLIF($2, ''), $3, $4, now())
		ON CONFLICT (agent) DO UPDATE SET
			endpoint = COALESCE(excluded.endpoint, agent_overrides.endpoint),
			skills = COALESCE(excluded.skills, agent_overrides.skills),
			queues = COALESCE(excluded.queues, agent_overrides.queues),
			updated_at = excluded.updated_at`, o.Agent, o.Endpoint, skills, queues)
	if err != nil {
		return fmt.Errorf("store: agent %s override: %w", o.Agent, err)
	}
	if err := apply(); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("store: agent %s override: %w", o.Agent, err)
	}
	return nil
}

// AgentOverrides returns every stored override by agent.
func (s *Store) AgentOverrides(ctx context.Context) (map[string]AgentOverride, error) {
	rows, err := s.pool.Query(ctx, `SELECT agent, COALESCE(endpoint, ''), skills, queues, updated_at FROM agent_overrides`)
	if err != nil {
		return nil, fmt.Errorf("store: agent overrides: %w", err)
	}
	out := map[string]AgentOverride{}
	var (
		o              AgentOverride
		skills, queues []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&o.Agent, &o.Endpoint, &skills, &queues, &o.UpdatedAt}, func() error {
		o.Skills, o.Queues = nil, nil
		if skills != nil {
			if err := json.Unmarshal(skills, &o.Skills); err != nil {
				return fmt.Errorf("agent %s skills: %w", o.Agent, err)
			}
		}
		if queues != nil {
			var ms []membershipJSON
			if err := json.Unmarshal(queues, &ms); err != nil {
				return fmt.Errorf("agent %s queues: %w", o.Agent, err)
			}
			o.Queues = []acd.Membership{}
			for _, m := range ms {
				o.Queues = append(o.Queues, acd.Membership{Queue: m.Queue, Penalty: m.Penalty})
			}
		}
		out[o.Agent] = o
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: agent overrides: %w", err)
	}
	return out, nil
}
