package main

import (
	"context"
	"log/slog"

	"switchboard/acd"
	"switchboard/internal/router"
	"switchboard/internal/store"
	"switchboard/internal/web"
)

// deskRouter is the router as the desktop and the wallboard use it, with the changes they make
// to agents (phone, skills, queues) kept in the store, so that a restart or a reload keeps them.
type deskRouter struct {
	*router.Router
	st *store.Store
}

var _ web.Desktop = deskRouter{}

func (d deskRouter) AgentLogin(ctx context.Context, agentID, endpoint string) error {
	return d.st.SaveAgentOverride(ctx, store.AgentOverride{Agent: agentID, Endpoint: endpoint}, func() error {
		return d.Router.AgentLogin(ctx, agentID, endpoint)
	})
}

func (d deskRouter) UpdateAgent(ctx context.Context, agentID string, skills map[string]int, queues []acd.Membership, endpoint string, inScope func(string) bool) error {
	return d.st.SaveAgentOverride(ctx, store.AgentOverride{Agent: agentID, Endpoint: endpoint, Skills: skills, Queues: queues}, func() error {
		return d.Router.UpdateAgent(ctx, agentID, skills, queues, endpoint, inScope)
	})
}

// withOverrides returns the configured agents with the stored overrides applied; a membership
// of a queue the configuration no longer has is dropped with a warning.
func withOverrides(ctx context.Context, st *store.Store, rc router.Config, log *slog.Logger) ([]acd.AgentConfig, error) {
	ov, err := st.AgentOverrides(ctx)
	if err != nil || len(ov) == 0 {
		return rc.Agents, err
	}
	queues := map[string]bool{}
	for _, q := range rc.Queues {
		queues[q.Name] = true
	}
	out := make([]acd.AgentConfig, len(rc.Agents))
	for i, a := range rc.Agents {
		o, ok := ov[a.ID]
		if ok && o.Endpoint != "" {
			a.Endpoint = o.Endpoint
		}
		if ok && o.Skills != nil {
			a.Skills = o.Skills
		}
		if ok && o.Queues != nil {
			a.Queues = nil
			for _, m := range o.Queues {
				if !queues[m.Queue] {
					log.Warn("agent override names a queue the configuration does not have", "agent", a.ID, "queue", m.Queue)
					continue
				}
				a.Queues = append(a.Queues, m)
			}
		}
		out[i] = a
	}
	return out, nil
}
