package routertest

import (
	"time"

	"switchboard/acd"
	"switchboard/internal/router"
	"switchboard/ivr"
)

// Config is the call-flow tests' router: node ast1, queues line1 (agents a1, then a2) and
// line2 (b1), DIDs 5551000 → line1 and 5552000 → line2, rings of 1.5 s, wrap-ups of 200 ms.
func Config() router.Config {
	return router.Config{
		Node: "ast1", App: "switchboard", LoginAgents: true, RingMargin: 500 * time.Millisecond,
		Queues: []acd.QueueConfig{
			{Name: "line1", RingTimeout: 1500 * time.Millisecond, WrapUp: 200 * time.Millisecond},
			{Name: "line2", RingTimeout: 1500 * time.Millisecond, WrapUp: 200 * time.Millisecond},
		},
		Agents: []acd.AgentConfig{
			{ID: "a1", Endpoint: "PJSIP/1001", Queues: []acd.Membership{{Queue: "line1"}}},
			{ID: "a2", Endpoint: "PJSIP/1002", Queues: []acd.Membership{{Queue: "line1", Penalty: 1}}},
			{ID: "b1", Endpoint: "PJSIP/2001", Queues: []acd.Membership{{Queue: "line2"}}},
		},
		DIDs: map[string]router.Route{"5551000": {Queue: "line1"}, "5552000": {Queue: "line2"}},
	}
}

// Sounds is the media list of the named prompts.
func Sounds(names ...string) []ivr.Media {
	ms := make([]ivr.Media, len(names))
	for i, n := range names {
		ms[i] = ivr.Sound(n)
	}
	return ms
}

// Flow builds an IVR flow of nodes, numbering their lines in the order given and naming the
// first the start.
func Flow(name, fallback string, nodes ...*ivr.Node) *ivr.Flow {
	f := &ivr.Flow{Name: name, Start: nodes[0].ID, Fallback: fallback, Nodes: map[string]*ivr.Node{}}
	for i, n := range nodes {
		n.Line = i + 1
		f.Nodes[n.ID] = n
	}
	return f
}
