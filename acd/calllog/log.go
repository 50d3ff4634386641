package calllog

import (
	"time"

	"switchboard/acd"
)

// Log is the records of the calls of a stream, for followers that keep them in memory. It
// keeps a call until Forget, and adds each agent's wrap-up to the call wrapped up.
type Log struct {
	calls    map[string]*Call
	wrapping map[string]wrap // by agent
}

type wrap struct {
	call string
	from time.Time
}

// NewLog returns an empty log.
func NewLog() *Log {
	return &Log{calls: map[string]*Call{}, wrapping: map[string]wrap{}}
}

// Apply takes one event of the stream and returns the record of the call it is about, made on
// first sight (nil for an agent's event), and the leg it was about (nil for none). An agent
// leaving wrap-up returns the call it wrapped up, if the log holds it.
func (g *Log) Apply(ev acd.Event) (*Call, *Leg) {
	if e, ok := ev.(acd.AgentStateChanged); ok {
		return g.agent(e), nil
	}
	id := CallOf(ev)
	if id == "" {
		return nil, nil
	}
	c := g.calls[id]
	if c == nil {
		c = &Call{ID: id}
		g.calls[id] = c
	}
	return c, c.Apply(ev, nil)
}

func (g *Log) agent(e acd.AgentStateChanged) *Call {
	var c *Call
	if w, ok := g.wrapping[e.Agent]; ok {
		delete(g.wrapping, e.Agent)
		if c = g.calls[w.call]; c != nil {
			c.WrappedUp(nil, w.from, e.At)
		}
	}
	if e.To == acd.WrapUp && e.Call != "" {
		g.wrapping[e.Agent] = wrap{call: e.Call, from: e.At}
	}
	return c
}

// Call returns the record of a call the log holds.
func (g *Log) Call(id string) (*Call, bool) {
	c, ok := g.calls[id]
	return c, ok
}

// Forget drops a call's record.
func (g *Log) Forget(id string) { delete(g.calls, id) }

// Calls returns the ids of the calls the log holds, in no order.
func (g *Log) Calls() []string {
	ids := make([]string, 0, len(g.calls))
	for id := range g.calls {
		ids = append(ids, id)
	}
	return ids
}
