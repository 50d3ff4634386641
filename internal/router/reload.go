package router

import (
	"context"
	"errors"
	"fmt"

	"switchboard/acd"
)

// Reload applies a new configuration without dropping a call: queues are updated in place
// or added, agents updated or added (and logged in if LoginAgents), routes and queue settings
// replaced. Queues and agents missing from the new configuration stay (a queue with calls
// cannot vanish under them); the returned error lists what could not be applied, and what
// could was.
func (r *Router) Reload(ctx context.Context, cfg Config) error {
	return r.Do(ctx, func(e *acd.Engine) error {
		var errs []error
		for _, q := range cfg.Queues {
			var err error
			if _, ok := e.QueueConfig(q.Name); ok {
				err = e.UpdateQueue(q)
			} else {
				err = e.AddQueue(q)
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		for _, a := range cfg.Agents {
			var err error
			if _, ok := e.Agent(a.ID); ok {
				err = e.UpdateAgent(a)
			} else if err = e.AddAgent(a); err == nil && cfg.LoginAgents {
				err = e.Login(a.ID)
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		r.cfg.DIDs, r.cfg.Default, r.cfg.Settings, r.cfg.Dialer = cfg.DIDs, cfg.Default, cfg.Settings, cfg.Dialer
		if len(errs) > 0 {
			return fmt.Errorf("router: reload: %w", errors.Join(errs...))
		}
		return nil
	})
}
