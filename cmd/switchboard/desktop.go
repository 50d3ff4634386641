package main

import (
	"context"
	"log/slog"
	"path"
	"slices"
	"strings"

	"switchboard/acd"
	"switchboard/internal/config"
	"switchboard/internal/router"
	"switchboard/internal/store"
	"switchboard/internal/web"
)

// deskRouter is the router as the desktop and the wallboard use it, with the changes they make
// to agents (phone, skills, queues) kept in the store, so that a restart or a reload keeps them.
type deskRouter struct {
	*router.Router
	st *store.Store
	// ready: an agent logging in from the desktop starts available (desk_login: available),
	// else paused "not ready".
	ready bool
}

var _ web.Desktop = deskRouter{}

func (d deskRouter) AgentLogin(ctx context.Context, agentID, endpoint string) error {
	return d.st.SaveAgentOverride(ctx, store.AgentOverride{Agent: agentID, Endpoint: endpoint}, func() error {
		return d.Router.AgentLogin(ctx, agentID, endpoint, d.ready)
	})
}

// Disposed tells the engine that the call an agent wraps up has its disposition: a wrap-up
// waiting for one (a queue's require_disposition) may end.
func (d deskRouter) Disposed(ctx context.Context, agentID, callID string) error {
	return d.Do(ctx, func(e *acd.Engine) error { return e.Disposed(agentID, callID) })
}

func (d deskRouter) UpdateAgent(ctx context.Context, agentID string, skills map[string]int, queues []acd.Membership, endpoint string, inScope func(string) bool) error {
	return d.st.SaveAgentOverride(ctx, store.AgentOverride{Agent: agentID, Endpoint: endpoint, Skills: skills, Queues: queues}, func() error {
		return d.Router.UpdateAgent(ctx, agentID, skills, queues, endpoint, inScope)
	})
}

// deskPhones are the phones an agent may be put on from the desktop or the wallboard: a list
// the site controls, the configured agents' own endpoints (as literal patterns) and the
// desk_endpoints patterns. It is never empty while there are agents, so the router's wider
// default (any phone of this Asterisk) never applies: a desktop user must not have calls
// dialed on the carrier trunk or anywhere else the file does not name.
func deskPhones(cfg *config.Config) []string {
	var out []string
	for _, a := range cfg.Agents {
		if p := literalPattern(a.Endpoint); !slices.Contains(out, p) {
			out = append(out, p)
		}
		if cfg.Softphone != nil { // the agent's browser phone
			out = append(out, literalPattern(cfg.Softphone.AgentEndpoint(a.ID)))
		}
	}
	for _, n := range cfg.Nodes { // with several nodes each desk phone is listed under its node
		out = append(out, n.DeskEndpoints...)
	}
	return append(out, cfg.DeskEndpoints...)
}

// literalPattern is a path.Match pattern matching exactly s.
func literalPattern(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// phoneAllowed says whether endpoint is one of the phones patterns allow.
func phoneAllowed(endpoint string, patterns []string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, endpoint); ok {
			return true
		}
	}
	return false
}

// withOverrides returns the configured agents with the stored overrides applied; a membership
// of a queue the configuration no longer has, or a phone the desk list no longer allows, is
// dropped with a warning.
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
			if phoneAllowed(o.Endpoint, rc.DeskEndpoints) {
				a.Endpoint = o.Endpoint
			} else {
				log.Warn("agent override names a phone agents may no longer use; the configured one applies", "agent", a.ID, "endpoint", o.Endpoint)
			}
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
