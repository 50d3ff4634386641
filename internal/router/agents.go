package router

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"switchboard/acd"
)

// What the desktop and the wallboard ask of the router. Every method runs on the owner
// goroutine through Do and answers errors with acd codes (invalid, not_found, conflict), so
// that the HTTP side maps them in one place. Changes made here (endpoint, skills, queues) live
// in the engine; a Reload puts back what its Config says (the daemon keeps the changes in the
// store and puts them in the Config it loads).

// endpointForm is an Asterisk dial string: a technology and a resource, e.g. PJSIP/1001,
// SIP/alice or PJSIP/1001@pbx-2.
var endpointForm = regexp.MustCompile(`^(PJSIP|SIP|IAX2|DAHDI|Local)/[A-Za-z0-9][A-Za-z0-9_.+@-]{0,63}$`)

// CheckEndpoint validates an agent's phone endpoint.
func CheckEndpoint(ep string) error {
	if !endpointForm.MatchString(ep) {
		return &acd.Error{Code: acd.EInvalid, Message: "endpoint must look like PJSIP/1001", Key: "desk.err.phone_form"}
	}
	return nil
}

// EndpointAllowed says whether an agent may be put on endpoint from the desktop or the
// wallboard: it must match one of patterns (path.Match globs), the list the site controls
// (the daemon gives the configured agents' phones and desk_endpoints). Without patterns no
// phone is allowed: "anything without a host part" would still take in trunks such as
// PJSIP/carrier. The file's own agents are not limited: what an operator writes there is
// theirs to decide.
func EndpointAllowed(endpoint string, patterns []string) error {
	if len(patterns) == 0 {
		return &acd.Error{Code: acd.EInvalid, Message: "no phone is open to agents here: the site lists them in desk_endpoints",
			Key: "desk.err.no_phones"}
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, endpoint); ok {
			return nil
		}
	}
	return &acd.Error{Code: acd.EInvalid, Message: "endpoint " + endpoint + " is not among the phones agents may use (desk_endpoints)",
		Key: "desk.err.phone_not_allowed", Args: []any{endpoint}}
}

// maxReason bounds a pause reason; it is shown on wallboards and written to the store.
const maxReason = 64

// CheckReason validates a pause reason: printable, at most 64 characters.
func CheckReason(reason string) error {
	if len([]rune(reason)) > maxReason {
		return &acd.Error{Code: acd.EInvalid, Message: "pause reason longer than 64 characters", Key: "desk.err.reason_long"}
	}
	for _, c := range reason {
		if !unicode.IsPrint(c) {
			return &acd.Error{Code: acd.EInvalid, Message: "pause reason has a control character", Key: "desk.err.reason_control"}
		}
	}
	return nil
}

func invalid(msg string) error { return &acd.Error{Code: acd.EInvalid, Message: msg} }

// invalidKey is an invalid request with the catalogue key (and arguments) that tells a person.
func invalidKey(key, msg string, args ...any) error {
	return &acd.Error{Code: acd.EInvalid, Message: msg, Key: key, Args: args}
}

// AgentLogin logs an agent in on a phone: the endpoint becomes the one its calls ring. The
// agent starts available when ready, else paused "not ready" (acd.ReasonNotReady) until it
// makes itself available. A phone another logged-in agent holds is refused (conflict, with
// the holder): one phone, one agent.
func (r *Router) AgentLogin(ctx context.Context, agentID, endpoint string, ready bool) error {
	if err := CheckEndpoint(endpoint); err != nil {
		return err
	}
	return r.Do(ctx, func(e *acd.Engine) error {
		v, ok := e.Agent(agentID)
		if !ok {
			return &acd.Error{Code: acd.ENotFound, Message: "agent " + agentID + " not found"}
		}
		if err := phoneFree(e, endpoint, agentID); err != nil {
			return err
		}
		if v.Endpoint != endpoint {
			if err := EndpointAllowed(endpoint, r.cfg.DeskEndpoints); err != nil {
				return err
			}
			if err := r.u.recon.phoneOnNode(endpoint); err != nil {
				return err
			}
			if v.State == acd.Reserved || v.State == acd.OnCall {
				return &acd.Error{Code: acd.EConflict, Message: "agent " + agentID + " is on a call; change phones after it", Key: "desk.err.phone_on_call"}
			}
			cfg := agentConfig(v)
			cfg.Endpoint = endpoint
			if err := e.UpdateAgent(cfg); err != nil {
				return err
			}
		}
		if ready {
			return e.Login(agentID)
		}
		return e.LoginNotReady(agentID)
	})
}

// phoneFree refuses endpoint when an agent other than agentID is logged in on it.
func phoneFree(e *acd.Engine, endpoint, agentID string) error {
	for _, id := range e.AgentIDs() {
		if id == agentID {
			continue
		}
		if v, ok := e.Agent(id); ok && v.State != acd.LoggedOut && v.Endpoint == endpoint {
			name := v.Name
			if name == "" {
				name = v.ID
			}
			return &acd.Error{Code: acd.EConflict, Message: "phone " + endpoint + " is in use by agent " + v.ID,
				Key: "desk.err.phone_in_use", Args: []any{endpoint, name, v.ID}}
		}
	}
	return nil
}

// SetAgentState moves an agent: Available (logs in, ends a pause or wrap-up), Paused with a
// reason, or LoggedOut. During a call a pause or logout takes effect when the call ends; it
// is kept (Agents.KeepRequest) before SetAgentState returns, so that it survives a restart.
func (r *Router) SetAgentState(ctx context.Context, agentID string, state acd.AgentState, reason string) error {
	switch state {
	case acd.Available, acd.LoggedOut:
		if reason != "" {
			return &acd.Error{Code: acd.EInvalid, Message: "a reason goes with a pause only", Key: "desk.err.reason_pause_only"}
		}
	case acd.Paused:
		if strings.TrimSpace(reason) == "" {
			return &acd.Error{Code: acd.EInvalid, Message: "a pause needs a reason", Key: "desk.err.reason_needed"}
		}
		if err := CheckReason(reason); err != nil {
			return err
		}
	default:
		return invalidKey("desk.err.state", "state must be available, paused or logged_out")
	}
	r.u.desk.requests.mu.Lock() // what is kept is what the engine last took
	defer r.u.desk.requests.mu.Unlock()
	var waits *AgentRequest
	err := r.Do(ctx, func(e *acd.Engine) error {
		v, ok := e.Agent(agentID)
		if !ok {
			return &acd.Error{Code: acd.ENotFound, Message: "agent " + agentID + " not found"}
		}
		var err error
		switch state {
		case acd.Available:
			if v.State == acd.LoggedOut {
				if err = phoneFree(e, v.Endpoint, agentID); err == nil {
					err = e.Login(agentID)
				}
			} else {
				err = e.Ready(agentID)
			}
		case acd.Paused:
			err = e.Pause(agentID, reason)
		default:
			err = e.Logout(agentID)
		}
		if err != nil {
			return err
		}
		delete(r.u.desk.requests.asked, agentID) // asked again: the previous router's request is over
		if v, _ = e.Agent(agentID); state != acd.Available && (v.State == acd.Reserved || v.State == acd.OnCall || v.State == acd.WrapUp) {
			waits = &AgentRequest{State: state, Reason: reason, Call: v.Call, At: r.clock.Now()}
		}
		return nil
	})
	if err != nil || r.u.desk.requests.agents == nil {
		return err
	}
	if err := r.u.desk.requests.agents.KeepRequest(ctx, agentID, waits); err != nil {
		return fmt.Errorf("agent %s: taken, but not kept for after a restart: %w", agentID, err)
	}
	return nil
}

// takeAskedStates puts the agents who had asked, during a call, for a pause or logout the
// previous router had not carried out where they asked to be: an agent back on a call goes
// there when it ends, any other at once. Once, at the first reconciliation, after the
// connected calls are back on their agents and before waiting callers are queued again.
func (r *desk) takeAskedStates() {
	for id, p := range r.requests.asked {
		v, ok := r.eng.Agent(id)
		if !ok {
			continue
		}
		var err error
		switch {
		case p.State == acd.LoggedOut:
			err = r.eng.Logout(id)
		case v.State == acd.LoggedOut:
			if err = r.eng.Login(id); err == nil {
				err = r.eng.Pause(id, p.Reason)
			}
		default:
			err = r.eng.Pause(id, p.Reason)
		}
		if err != nil {
			r.log.Error("reconcile: a state asked before the restart not taken", "agent", id, "state", p.State, "err", err)
			continue
		}
		r.log.Info("reconcile: a state asked before the restart taken", "agent", id, "state", p.State, "reason", p.Reason,
			"after_call", v.State == acd.OnCall)
	}
	r.requests.asked = nil
}

// Agent returns an agent's state.
func (r *Router) Agent(ctx context.Context, agentID string) (acd.AgentView, error) {
	var v acd.AgentView
	err := r.Do(ctx, func(e *acd.Engine) error {
		var ok bool
		if v, ok = e.Agent(agentID); !ok {
			return &acd.Error{Code: acd.ENotFound, Message: "agent " + agentID + " not found"}
		}
		return nil
	})
	return v, err
}

// Agents returns every agent, sorted by id.
func (r *Router) Agents(ctx context.Context) ([]acd.AgentView, error) {
	var out []acd.AgentView
	err := r.Do(ctx, func(e *acd.Engine) error {
		for _, id := range e.AgentIDs() {
			if v, ok := e.Agent(id); ok {
				out = append(out, v)
			}
		}
		return nil
	})
	return out, err
}

// UpdateAgent changes an agent's skills, queue memberships or endpoint live; a nil skills or
// queues, or an empty endpoint, leaves that as it is. inScope, when set, says which queues the
// one asking may touch: the agent must serve one of them, and memberships of other queues must
// stay as they are; skills and endpoint, which rule the agent's calls of every queue, change
// only for an agent who serves no queue outside the scope.
func (r *Router) UpdateAgent(ctx context.Context, agentID string, skills map[string]int, queues []acd.Membership, endpoint string, inScope func(queue string) bool) error {
	if endpoint != "" {
		if err := CheckEndpoint(endpoint); err != nil {
			return err
		}
	}
	for name, level := range skills {
		if name == "" || level < 0 || level > 100 {
			return invalidKey("desk.err.skills", "skill levels go from 0 to 100 and need a name")
		}
	}
	return r.Do(ctx, func(e *acd.Engine) error {
		v, ok := e.Agent(agentID)
		if !ok || (inScope != nil && !servesAny(v.Queues, inScope)) {
			return &acd.Error{Code: acd.ENotFound, Message: "agent " + agentID + " not found"}
		}
		if inScope != nil && (skills != nil || endpoint != "") && !servesOnly(v.Queues, inScope) {
			return &acd.Error{Code: acd.EInvalid, Message: "agent " + agentID + " also serves queues outside your scope: their skills and phone cannot change",
				Key: "desk.err.scope", Args: []any{agentID}}
		}
		if endpoint != "" && endpoint != v.Endpoint {
			if err := EndpointAllowed(endpoint, r.cfg.DeskEndpoints); err != nil {
				return err
			}
			if err := r.u.recon.phoneOnNode(endpoint); err != nil {
				return err
			}
			if v.State != acd.LoggedOut {
				if err := phoneFree(e, endpoint, agentID); err != nil {
					return err
				}
			}
		}
		cfg := agentConfig(v)
		if skills != nil {
			cfg.Skills = skills
		}
		if queues != nil {
			if inScope != nil && !sameOutside(v.Queues, queues, inScope) {
				return &acd.Error{Code: acd.EInvalid, Message: "memberships of queues outside your scope cannot change", Key: "desk.err.scope_queues"}
			}
			cfg.Queues = queues
		}
		if endpoint != "" {
			cfg.Endpoint = endpoint
		}
		return e.UpdateAgent(cfg)
	})
}

// TransferCall sends an agent's connected call to another queue, its place in time kept.
func (r *Router) TransferCall(ctx context.Context, agentID, callID, queue string) error {
	if queue == "" {
		return invalidKey("desk.err.queue_required", "a queue is required")
	}
	return r.Do(ctx, func(e *acd.Engine) error {
		v, ok := e.Call(callID)
		if !ok || v.Agent != agentID {
			return &acd.Error{Code: acd.ENotFound, Message: "call " + callID + " not found"}
		}
		if v.Queue == queue {
			return invalidKey("desk.err.same_queue", "the call is already in queue "+queue, queue)
		}
		return e.Transfer(callID, queue)
	})
}

// SetCallPriority changes a waiting call's priority; it keeps its original place in time.
// inScope, when set, limits it to calls of those queues.
func (r *Router) SetCallPriority(ctx context.Context, callID string, priority int, inScope func(queue string) bool) error {
	if priority < 0 || priority > acd.MaxPriority {
		return invalidKey("desk.err.priority", "priority goes from 0 to 9")
	}
	return r.Do(ctx, func(e *acd.Engine) error {
		v, ok := e.Call(callID)
		if !ok || (inScope != nil && !inScope(v.Queue)) {
			return &acd.Error{Code: acd.ENotFound, Message: "call " + callID + " not found"}
		}
		if v.State != "waiting" {
			return &acd.Error{Code: acd.EConflict, Message: "call " + callID + " is " + v.State + ", not waiting"}
		}
		return e.UpdateCall(callID, acd.CallUpdate{Priority: &priority})
	})
}

// WaitingCalls returns the calls waiting in every queue, in the order they will be served.
func (r *Router) WaitingCalls(ctx context.Context) ([]acd.CallView, error) {
	var out []acd.CallView
	err := r.Do(ctx, func(e *acd.Engine) error {
		for _, q := range e.Queues() {
			ids, _ := e.Waiting(q)
			for _, id := range ids {
				if v, ok := e.Call(id); ok {
					out = append(out, v)
				}
			}
		}
		return nil
	})
	return out, err
}

// JoinEstimates returns, per queue, the expected wait of a caller of priority 0 about to join
// (the engine's own estimator): what a supervisor would tell a caller now.
func (r *Router) JoinEstimates(ctx context.Context) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	err := r.Do(ctx, func(e *acd.Engine) error {
		for _, q := range e.Queues() {
			if d, err := e.EstimateJoin(q, 0, acd.EstimatorSwitchboard); err == nil {
				out[q] = d
			}
		}
		return nil
	})
	return out, err
}

func agentConfig(v acd.AgentView) acd.AgentConfig {
	return acd.AgentConfig{ID: v.ID, Name: v.Name, Endpoint: v.Endpoint, Skills: v.Skills, Queues: v.Queues}
}

func servesAny(ms []acd.Membership, inScope func(string) bool) bool {
	return slices.ContainsFunc(ms, func(m acd.Membership) bool { return inScope(m.Queue) })
}

func servesOnly(ms []acd.Membership, inScope func(string) bool) bool {
	return !slices.ContainsFunc(ms, func(m acd.Membership) bool { return !inScope(m.Queue) })
}

// sameOutside reports whether two membership lists agree on the queues outside the scope.
func sameOutside(old, new []acd.Membership, inScope func(string) bool) bool {
	outside := func(ms []acd.Membership) []acd.Membership {
		var out []acd.Membership
		for _, m := range ms {
			if !inScope(m.Queue) {
				out = append(out, m)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Queue < out[j].Queue })
		return out
	}
	return slices.Equal(outside(old), outside(new))
}
