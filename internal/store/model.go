package store

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sort"
	"time"

	"switchboard/acd"
	"switchboard/acd/calllog"
)

// The journal's model of the calls and agents it is writing: rows kept in
// memory with absolute values, so that a batch is a set of row snapshots
// that can be written twice without harm. Only the writer goroutine (Run)
// touches it. A call or agent it does not hold is read from the database
// before the batch that mentions it is applied (prefetch), which is also how
// a restarted router carries on the rows its predecessor left open.

// callFields is a calls row as written.
type callFields struct {
	id, node, callerNumber, did, queue, agent string
	priority                                  int
	enqueuedAt, firstOfferedAt                time.Time
	answeredAt, endedAt                       time.Time
	outcome                                   string
	wait, talk, wrapup                        float64 // seconds
	transfers                                 int
	updatedAt                                 time.Time
	data                                      string // JSON, set in the snapshot
}

// callRow is a call the model holds: its record, kept by the projection (calllog).
type callRow struct {
	calllog.Call
	node  string
	dirty bool
}

// fields returns the row to write (data is set by the snapshot).
func (c *callRow) fields() callFields {
	return callFields{id: c.ID, node: c.node, callerNumber: c.Number, did: c.DID, queue: c.Queue, agent: c.Agent,
		priority: c.Priority, enqueuedAt: c.EnqueuedAt, firstOfferedAt: c.FirstOfferedAt, answeredAt: c.AnsweredAt,
		endedAt: c.EndedAt, outcome: c.Outcome, wait: c.Wait, talk: c.Talk, wrapup: c.WrapUp,
		transfers: c.Transfers, updatedAt: c.UpdatedAt}
}

// legFields is a call_legs row as written and read.
type legFields struct {
	callID                                   string
	seq                                      int
	queue, agent, outcome                    string
	enteredAt, offeredAt, answeredAt, leftAt time.Time
	talk                                     float64
}

func legFieldsOf(l *calllog.Leg) legFields {
	return legFields{callID: l.Call, seq: l.Seq, queue: l.Queue, agent: l.Agent, outcome: l.Outcome,
		enteredAt: l.EnteredAt, offeredAt: l.OfferedAt, answeredAt: l.AnsweredAt, leftAt: l.LeftAt, talk: l.Talk}
}

func legOf(f legFields) *calllog.Leg {
	return &calllog.Leg{Call: f.callID, Seq: f.seq, Queue: f.queue, Agent: f.agent, Outcome: f.outcome,
		EnteredAt: f.enteredAt, OfferedAt: f.offeredAt, AnsweredAt: f.answeredAt, LeftAt: f.leftAt, Talk: f.talk}
}

type agentFields struct {
	id, agent, node, state, reason, callID string
	startedAt, endedAt                     time.Time
}

type agentRow struct {
	agentFields
	dirty bool
}

// agentSlot is what the model knows of an agent: its open interval, if any.
type agentSlot struct {
	cur *agentRow
}

// eventRow is one queue_events row.
type eventRow struct {
	at                         time.Time
	callID, queue, agent, kind string
	data                       json.RawMessage
}

// reconciled is a reconciliation: the calls the router held at `at`.
type reconciled struct {
	live map[string]bool
	at   time.Time
}

// callInfo is what the router knows of a call and the engine does not.
type callInfo struct {
	callID, callerNumber, did string
	data                      map[string]string
	gone                      time.Time // when a call that never queued ended
	outcome                   string    // and how (CallGone)
}

type model struct {
	node   string
	calls  map[string]*callRow
	agents map[string]*agentSlot

	// changed in the batch being built
	dirtyCalls  []*callRow
	dirtyLegs   []*calllog.Leg
	legDirty    map[*calllog.Leg]bool
	dirtyAgents []*agentRow
	events      []eventRow
}

var _ calllog.Tracker = (*model)(nil)

func newModel(node string) *model {
	return &model{node: node, calls: map[string]*callRow{}, agents: map[string]*agentSlot{},
		legDirty: map[*calllog.Leg]bool{}}
}

// CallChanged marks the call's row to be written (calllog.Tracker).
func (m *model) CallChanged(c *calllog.Call, _ time.Time) {
	r := m.calls[c.ID]
	if r == nil || &r.Call != c || r.dirty {
		return
	}
	r.dirty = true
	m.dirtyCalls = append(m.dirtyCalls, r)
}

// LegChanged marks the leg's row to be written (calllog.Tracker).
func (m *model) LegChanged(l *calllog.Leg) {
	if !m.legDirty[l] {
		m.legDirty[l] = true
		m.dirtyLegs = append(m.dirtyLegs, l)
	}
}

func (m *model) touchAgent(a *agentRow) {
	if !a.dirty {
		a.dirty = true
		m.dirtyAgents = append(m.dirtyAgents, a)
	}
}

// call returns the call's row, creating it when the call is new.
func (m *model) call(id string) *callRow {
	c := m.calls[id]
	if c == nil {
		c = &callRow{Call: calllog.Call{ID: id}, node: m.node}
		m.calls[id] = c
	}
	return c
}

func (m *model) event(at time.Time, call, queue, agent, kind string, data map[string]any) {
	var raw json.RawMessage = []byte("{}")
	for k, v := range data {
		if s, ok := v.(string); ok {
			data[k] = clean(s)
		}
	}
	if len(data) > 0 {
		if b, err := json.Marshal(data); err == nil {
			raw = b
		}
	}
	m.events = append(m.events, eventRow{at: at, callID: call, queue: queue, agent: agent, kind: kind, data: raw})
}

func secs(d time.Duration) float64 { return d.Seconds() }

// info applies a CallInfo.
func (m *model) info(ci callInfo) {
	c := m.call(ci.callID)
	var data map[string]string
	for k, v := range ci.data {
		if data == nil {
			data = map[string]string{}
		}
		data[clean(k)] = clean(v)
	}
	c.Note(m, ci.callerNumber, ci.did, data)
	if !ci.gone.IsZero() {
		c.Gone(m, ci.outcome, ci.gone)
	}
}

// closeGone closes the open calls of the node that the router no longer holds (see
// Journal.Reconciled); prefetch has read those the model did not hold. A call that never
// queued ends abandoned, with no leg and no queue event, as CallGone ends one.
func (m *model) closeGone(g reconciled) {
	ids := make([]string, 0, len(m.calls))
	for id, c := range m.calls {
		if c.Outcome == "" && c.node == m.node && !g.live[id] {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids) // queue events in a stable order
	for _, id := range ids {
		c := m.calls[id]
		queued := c.Queued()
		outcome := c.Lost(m, g.at)
		if queued {
			m.event(g.at, id, c.Queue, c.Agent, "GONE", map[string]any{"outcome": outcome})
		}
	}
}

// apply turns one engine event into row changes (the projection's) and queue events.
func (m *model) apply(ev acd.Event) {
	switch e := ev.(type) {
	case acd.AgentStateChanged:
		m.agentState(e)
		return
	case acd.CallbackOfferDue: // queue events only: no row changes
		m.event(e.At, e.Call, e.Queue, "", "CALLBACKOFFER", map[string]any{"estimate_seconds": secs(e.Estimate)})
		return
	case acd.CallSkillsExpanded:
		m.event(e.At, e.Call, e.Queue, "", "EXPAND", map[string]any{"step": e.Step})
		return
	}
	id := calllog.CallOf(ev)
	if id == "" {
		return
	}
	c := m.call(id)
	l := c.Apply(ev, m)
	switch e := ev.(type) {
	case acd.CallEnqueued:
		d := map[string]any{"priority": e.Priority, "position": e.Position,
			"estimate_seconds": secs(e.Estimate), "enqueued_at": e.EnqueuedAt}
		if c.Number != "" {
			d["caller"] = c.Number
		}
		m.event(e.At, e.Call, e.Queue, "", "ENTERQUEUE", d)
	case acd.CallOffered:
		m.event(e.At, e.Call, e.Queue, e.Agent, "OFFER", map[string]any{"endpoint": e.Endpoint,
			"waited_seconds": secs(e.Waited), "ring_timeout_seconds": secs(e.Deadline.Sub(e.At))})
	case acd.CallAnswered:
		d := map[string]any{"holdtime_seconds": secs(e.Waited)}
		if !l.LastOffer.IsZero() {
			d["ringtime_seconds"] = secs(e.At.Sub(l.LastOffer))
		}
		m.event(e.At, e.Call, e.Queue, e.Agent, "CONNECT", d)
	case acd.CallRequeued:
		d := map[string]any{"reason": e.Reason.String()}
		if !l.LastOffer.IsZero() {
			d["ringtime_seconds"] = secs(e.At.Sub(l.LastOffer))
		}
		m.event(e.At, e.Call, e.Queue, e.Agent, "RINGNOANSWER", d)
	case acd.CallAbandoned:
		m.event(e.At, e.Call, e.Queue, e.Agent, "ABANDON", map[string]any{"waited_seconds": secs(e.Waited)})
	case acd.CallEnded:
		d := map[string]any{"talk_seconds": secs(e.Talk)}
		if l != nil && !l.AnsweredAt.IsZero() { // nil: a hand-over closed the leg, in an earlier run
			d["holdtime_seconds"] = secs(l.AnsweredAt.Sub(l.EnteredAt))
		}
		m.event(e.At, e.Call, e.Queue, e.Agent, "COMPLETE", d)
	case acd.CallDialed:
		m.event(e.At, e.Call, e.Queue, e.Agent, "DIALOUT", map[string]any{"number": e.Number})
	case acd.CallDialFailed:
		m.event(e.At, e.Call, e.Queue, e.Agent, "DIALFAIL", map[string]any{"number": e.Number, "reason": e.Reason,
			"ringtime_seconds": secs(e.At.Sub(e.Started))})
	case acd.CallTransferred:
		m.event(e.At, e.Call, e.From, e.Agent, "TRANSFER", map[string]any{"to": e.To, "talk_seconds": secs(e.Talk)})
	case acd.CallOverflowed:
		m.event(e.At, e.Call, e.From, "", "EXITWITHTIMEOUT", map[string]any{"to": e.To, "callback": e.Callback,
			"waited_seconds": secs(e.Waited)})
	case acd.CallUpdated:
		m.event(e.At, e.Call, e.Queue, "", "UPDATE", map[string]any{"priority": e.Priority})
	case acd.CallRemoved:
		m.event(e.At, e.Call, e.Queue, "", "REMOVED", map[string]any{"reason": e.Reason, "waited_seconds": secs(e.Waited)})
	}
}

func (m *model) agentState(e acd.AgentStateChanged) {
	s := m.agents[e.Agent]
	if s == nil {
		s = &agentSlot{}
		m.agents[e.Agent] = s
	}
	if cur := s.cur; cur != nil {
		cur.endedAt = e.At
		m.touchAgent(cur)
		if cur.state == acd.WrapUp.String() && cur.callID != "" {
			if c := m.calls[cur.callID]; c != nil {
				c.WrappedUp(m, cur.startedAt, e.At)
			}
		}
		s.cur = nil
	}
	if e.To != acd.LoggedOut {
		a := &agentRow{agentFields: agentFields{id: newUUID(), agent: e.Agent, node: m.node, state: e.To.String(),
			reason: e.Reason, callID: e.Call, startedAt: e.At}}
		s.cur = a
		m.touchAgent(a)
	}
	switch {
	case e.To == acd.LoggedOut:
		m.event(e.At, "", "", e.Agent, "AGENTLOGOFF", nil)
	case e.From == acd.LoggedOut:
		m.event(e.At, "", "", e.Agent, "AGENTLOGIN", nil)
	}
	switch {
	case e.To == acd.Paused:
		m.event(e.At, "", "", e.Agent, "PAUSE", map[string]any{"reason": e.Reason})
	case e.From == acd.Paused && e.To != acd.LoggedOut:
		m.event(e.At, "", "", e.Agent, "UNPAUSE", nil)
	}
}

// needs lists the calls and agents a batch mentions that the model does not
// hold, so they can be read from the database first; gone says whether it
// holds a reconciliation, which needs every open call of the node.
func (m *model) needs(items []item) (calls, agents []string, gone bool) {
	seenC, seenA := map[string]bool{}, map[string]bool{}
	addC := func(id string) {
		if id != "" && m.calls[id] == nil && !seenC[id] {
			seenC[id] = true
			calls = append(calls, id)
		}
	}
	for _, it := range items {
		if it.info != nil {
			addC(it.info.callID)
			continue
		}
		if it.gone != nil {
			gone = true
			continue
		}
		if id := calllog.CallOf(it.ev); id != "" {
			addC(id)
		} else if e, ok := it.ev.(acd.AgentStateChanged); ok && m.agents[e.Agent] == nil && !seenA[e.Agent] {
			seenA[e.Agent] = true
			agents = append(agents, e.Agent)
		}
	}
	return calls, agents, gone
}

// wrapCalls lists the calls that agents in the batch are wrapping up and
// that the model does not hold (their wrap-up time is added to the call).
func (m *model) wrapCalls(items []item) []string {
	var out []string
	seen := map[string]bool{}
	for _, it := range items {
		if e, ok := it.ev.(acd.AgentStateChanged); ok {
			if s := m.agents[e.Agent]; s != nil && s.cur != nil && s.cur.state == acd.WrapUp.String() {
				if id := s.cur.callID; id != "" && m.calls[id] == nil && !seen[id] {
					seen[id] = true
					out = append(out, id)
				}
			}
		}
	}
	return out
}

// evict forgets finished calls (and calls that never queued) that no agent is
// wrapping up; they are read back if they come up again.
func (m *model) evict(touched []*callRow) {
	wrapping := map[string]bool{}
	for _, s := range m.agents {
		if s.cur != nil && s.cur.callID != "" {
			wrapping[s.cur.callID] = true
		}
	}
	for _, c := range touched {
		if (c.Outcome != "" || !c.Queued()) && !wrapping[c.ID] && m.calls[c.ID] == c {
			delete(m.calls, c.ID)
		}
	}
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
