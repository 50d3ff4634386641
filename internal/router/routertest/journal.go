package routertest

import (
	"maps"
	"sync"
	"time"

	"switchboard/acd"
	"switchboard/acd/calllog"
	"switchboard/internal/router"
)

// Row is a call's row as the store's journal keeps it: opened when the router first tells of
// the call (an event of the stream), closed (Outcome set) by the engine's
// end of the call (abandoned, completed, removed, or overflowed to a callback) or by the
// router's acd.CallGone (a call that never queued: abandoned, or ended by the router). A call that
// queues again is open again.
type Row struct {
	ID       string
	Number   string
	DID      string
	Queue    string
	Agent    string
	Outcome  string // "" while open
	Ended    time.Time
	Answered bool
	Data     map[string]string
}

// Outcomes of Row: the call log's, which the store writes.
const (
	Abandoned         = calllog.Abandoned
	Completed         = calllog.Completed
	Removed           = calllog.Removed
	OverflowCallback  = calllog.OverflowCallback
	SelfService       = calllog.SelfService
	CallbackRequested = calllog.CallbackRequested
	TransferredOut    = calllog.TransferredOut
	Closed            = calllog.Closed
)

// journal is the harness's stand-in for the store: call rows and each agent's last state.
// It outlives restarts, like the database.
type journal struct {
	mu       sync.Mutex
	rows     map[string]*Row
	order    []string
	agents   map[string]acd.AgentStateChanged
	requests map[string]router.AgentRequest
}

func newJournal() *journal {
	return &journal{rows: map[string]*Row{}, agents: map[string]acd.AgentStateChanged{},
		requests: map[string]router.AgentRequest{}}
}

func (j *journal) row(id string) *Row {
	r := j.rows[id]
	if r == nil {
		r = &Row{ID: id}
		j.rows[id] = r
		j.order = append(j.order, id)
	}
	return r
}

func (j *journal) info(id, number, did string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	r := j.row(id)
	if number != "" {
		r.Number = number
	}
	if did != "" {
		r.DID = did
	}
}

// gone ends the row of a call that never queued with how it ended; a queued call's row is the
// engine's to end (the store's rule).
func (j *journal) gone(id, outcome string, at time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if r := j.row(id); r.Outcome == "" && r.Queue == "" {
		r.Outcome, r.Ended = outcome, at
	}
}

func (j *journal) routed(id string, data map[string]string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	r := j.row(id)
	if len(data) > 0 {
		if r.Data == nil {
			r.Data = map[string]string{}
		}
		maps.Copy(r.Data, data)
	}
}

func (j *journal) record(ev acd.Event) {
	switch e := ev.(type) {
	case acd.CallArrived:
		j.info(e.Call, e.Number, e.DID)
		return
	case acd.CallRouted:
		j.routed(e.Call, e.Data)
		return
	case acd.CallGone:
		j.gone(e.Call, e.Outcome, e.At)
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	end := func(id, outcome string, at time.Time) {
		r := j.row(id)
		r.Outcome, r.Ended = outcome, at
	}
	switch e := ev.(type) {
	case acd.CallEnqueued:
		r := j.row(e.Call)
		r.Queue, r.Outcome, r.Ended = e.Queue, "", time.Time{}
	case acd.CallOffered:
		j.row(e.Call).Agent = e.Agent
	case acd.CallAnswered:
		r := j.row(e.Call)
		r.Agent, r.Answered = e.Agent, true
	case acd.CallAbandoned:
		end(e.Call, Abandoned, e.At)
	case acd.CallEnded:
		end(e.Call, Completed, e.At)
	case acd.CallRemoved:
		end(e.Call, Removed, e.At)
	case acd.CallOverflowed:
		if e.Callback {
			end(e.Call, OverflowCallback, e.At)
		}
	case acd.AgentStateChanged:
		j.agents[e.Agent] = e
	}
}

// reconciled closes, as the store does at a reconciliation, every open row of a call the
// router no longer holds: completed if it was answered, else abandoned.
func (j *journal) reconciled(live []string, at time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	held := map[string]bool{}
	for _, id := range live {
		held[id] = true
	}
	for _, id := range j.order {
		r := j.rows[id]
		if r.Outcome != "" || held[id] {
			continue
		}
		r.Outcome, r.Ended = Abandoned, at
		if r.Answered {
			r.Outcome = Completed
		}
	}
}

// keep keeps what an agent asked for during a call (nil: nothing).
func (j *journal) keep(agent string, req *router.AgentRequest) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if req == nil {
		delete(j.requests, agent)
		return
	}
	j.requests[agent] = *req
}

// pending returns what an agent asked for and has not taken yet: its last state is not the
// one asked for since it asked.
func (j *journal) pending(agent string) (router.AgentRequest, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	req, ok := j.requests[agent]
	if !ok {
		return router.AgentRequest{}, false
	}
	if s, ok := j.agents[agent]; ok && s.To == req.State && !s.At.Before(req.At) {
		return router.AgentRequest{}, false
	}
	return req, true
}

// lastState says where an agent stood, as the daemon reads it from the store at start: logged
// out, paused with its reason, or available (any other state, a call included).
func (j *journal) lastState(id string) (acd.AgentState, string, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	s, ok := j.agents[id]
	switch {
	case !ok:
		return 0, "", false
	case s.To == acd.LoggedOut:
		return acd.LoggedOut, "", true
	case s.To == acd.Paused:
		return acd.Paused, s.Reason, true
	}
	return acd.Available, "", true
}

func (j *journal) rowsCopy() []Row {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Row, 0, len(j.order))
	for _, id := range j.order {
		r := *j.rows[id]
		r.Data = maps.Clone(r.Data)
		out = append(out, r)
	}
	return out
}

// Rows returns every call row, in the order the calls were first told of.
func (h *Harness) Rows() []Row { return h.jr.rowsCopy() }

// Row returns a call's row.
func (h *Harness) Row(callID string) (Row, bool) {
	for _, r := range h.jr.rowsCopy() {
		if r.ID == callID {
			return r, true
		}
	}
	return Row{}, false
}
