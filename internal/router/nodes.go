package router

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"switchboard/acd"
)

// A router over several Asterisk nodes (a NodeTelephony with more than one) keeps one engine,
// so that skills and queues span the nodes, and one Telephony that sends each request to the
// node of its id: every node names its channels "<node>-..." (asterisk.conf systemname), and
// the router's own ids are made from them. Each node has its own event link: a node that (re)connects is
// reconciled alone, as one node is after a restart. A node that goes away holds up only its
// own calls and agents:
//   - its callers keep their places but are offered to nobody (acd Park), its ringing offers
//     are withdrawn, and the agents whose phones are on it are paused "node down";
//   - if it is not back within its DownAfter, its calls are ended as a reconciliation ends
//     calls whose channels are gone (a node that returns later has its live channels
//     re-adopted, as after a restart);
//   - when it is back and reconciled, its callers are offered again and its agents paused
//     "node down" are available again.
//
// A router that starts (or takes over) offers once every node is reconciled, or the longest
// DownAfter passed (a node not reached by then is down): until a node is read, an agent
// counted available may be talking on one of its calls.
//
// A caller on node A offered to an agent whose phone is on node B is rung through the
// inter-node trunk: the agent leg is originated on A to PJSIP/<phone>@<B's trunk>, so that the
// bridge, the recording, the screen pop and the call record stay on A as for a local call.

// ReasonNodeDown is the pause reason of the agents of a node the router cannot see.
const ReasonNodeDown = acd.ReasonNodeDown

// DefaultNodeDownAfter is how long a node may be away before its calls are ended.
const DefaultNodeDownAfter = 10 * time.Second

// NodeConfig is one Asterisk node of a router over several.
type NodeConfig struct {
	Name string
	// Trunk is the PJSIP endpoint, on the other nodes, of the inter-node trunk to this node.
	Trunk string
	// DownAfter is how long the node may be away before its calls are ended (default
	// DefaultNodeDownAfter).
	DownAfter time.Duration
	// DeskPhones are the phones on this node an agent may log in on at the desk, or a
	// supervisor listen on, that no agent is configured with (path.Match patterns).
	DeskPhones []string
}

// NodeTelephony is a Telephony over several nodes: it names them (the first is where ids of
// no node go), answers for one of them (a node's reconciliation reads that node's
// application, channels and bridges), says which node a phone and an id are on, and is told
// the node of an id that names none (a callback's channels, made on its agent's node).
type NodeTelephony interface {
	Telephony
	Nodes() []NodeConfig
	Node(name string) (Telephony, bool)
	PhoneNode(endpoint string) string
	// PhoneOn is the node of a phone, or an error for a phone on none.
	PhoneOn(endpoint string) (string, error)
	NodeOf(id string) (node string, named bool)
	MakeOn(id, node string)
}

// nodeLink is the owner's view of one node's event link.
type nodeLink struct {
	up, ready bool
	seen      bool // reconciled once since the router started
	attempt   int
	lost      int             // losses so far: a grace timer of an earlier loss does nothing
	downed    map[string]bool // agents this router paused "node down"
}

// multiNode says whether the router runs several nodes.
func (r *reconciler) multiNode() bool { return r.u.lnk.topo != nil }

// chanNode is the node of a channel id: the one it names or the Telephony was told of; the
// first node for an id of neither.
func (r *reconciler) chanNode(ch string) string {
	if !r.multiNode() {
		return r.cfg.Node
	}
	node, _ := r.u.lnk.topo.NodeOf(ch)
	return node
}

// callNode is the node a call's caller is on. A callback's is the node of the agent it is
// offered to (its customer is dialed there); "" while it was offered to none, and so is on
// no node: it waits in the engine only.
func (r *reconciler) callNode(c *call) string {
	if cb := c.dialing(); cb != nil && r.multiNode() {
		return cb.node
	}
	return r.chanNode(strings.TrimPrefix(c.id, r.cfg.Node+"-"))
}

// phoneNode is the node a phone is on.
func (r *reconciler) phoneNode(endpoint string) string {
	if !r.multiNode() {
		return r.cfg.Node
	}
	return r.u.lnk.topo.PhoneNode(endpoint)
}

// phoneOnNode refuses, with several nodes, a phone that is on none: neither a configured
// agent's nor one of a node's desk phones.
func (r *reconciler) phoneOnNode(endpoint string) error {
	if !r.multiNode() {
		return nil
	}
	if _, err := r.u.lnk.topo.PhoneOn(endpoint); err != nil {
		return &acd.Error{Code: acd.EInvalid, Message: err.Error(), Key: "desk.err.phone_no_node", Args: []any{endpoint}}
	}
	return nil
}

// agentNode is the node of an agent's phone now.
func (r *reconciler) agentNode(agent string) string {
	v, _ := r.eng.Agent(agent)
	return r.phoneNode(v.Endpoint)
}

// nodeReady says whether the router sees node now (connected and reconciled).
func (r *reconciler) nodeReady(node string) bool {
	if !r.multiNode() {
		return true // the engine's hold covers the one link
	}
	nl := r.u.lnk.nodes[node]
	return nl != nil && nl.ready
}

// dialString is what the caller's node dials for an agent's endpoint: the endpoint itself
// when the phone is on the same node, else PJSIP/<resource>@<trunk to the phone's node>.
func (r *reconciler) dialString(endpoint, callNode, agentNode string) (string, error) {
	if callNode == agentNode {
		return endpoint, nil
	}
	var trunk string
	for _, n := range r.u.lnk.order {
		if n.Name == agentNode {
			trunk = n.Trunk
		}
	}
	res, ok := strings.CutPrefix(endpoint, "PJSIP/")
	if !ok || trunk == "" || strings.Contains(res, "@") {
		return "", fmt.Errorf("phone %s on node %s cannot be reached from node %s: %w", endpoint, agentNode, callNode, ErrUnreachable)
	}
	return "PJSIP/" + res + "@" + trunk, nil
}

// NodeSink is the event sink of one node's reader (asterisk.Events) for a router over
// several nodes: the node's events, and its (re)connections and losses by name.
func NodeSink(r *Router, node string) NodeLink { return NodeLink{r: r, node: node} }

// NodeLink is NodeSink's sink.
type NodeLink struct {
	r    *Router
	node string
}

// Deliver queues an event of the node.
func (l NodeLink) Deliver(ev Event) { l.r.Deliver(ev) }

// Connected queues a reconciliation of the node: its websocket (re)connected. Its calls are
// offered again, and its agents back, once that is done.
func (l NodeLink) Connected(attempt int) {
	r := l.r
	if !r.u.recon.multiNode() {
		r.Connected(attempt)
		return
	}
	r.post(func() {
		r.u.recon.startGrace()
		nl := r.u.lnk.node(l.node)
		nl.up, nl.attempt, nl.ready = true, attempt, false
		r.u.recon.reconcileNode(l.node, attempt)
	})
}

// Disconnected queues the loss of the node's event link.
func (l NodeLink) Disconnected() {
	if !l.r.u.recon.multiNode() {
		l.r.Disconnected()
		return
	}
	l.r.post(func() { l.r.u.recon.nodeLost(l.node) })
}

func (lk *linker) node(name string) *nodeLink {
	if lk.nodes == nil {
		lk.nodes = map[string]*nodeLink{}
	}
	nl := lk.nodes[name]
	if nl == nil {
		nl = &nodeLink{downed: map[string]bool{}}
		lk.nodes[name] = nl
	}
	return nl
}

// updateNodes sets the link's summary from the nodes: offers are held while no node is
// ready, and, once the router starts (or takes over), until every node was reconciled once
// or the longest DownAfter passed: until then an agent the engine counts available may be
// talking on a call of a node not read yet, which that node's reconciliation re-attaches.
func (lk *linker) updateNodes() {
	lk.link.up, lk.link.ready = false, false
	for _, nl := range lk.nodes {
		lk.link.up = lk.link.up || nl.up
		lk.link.ready = lk.link.ready || nl.ready
	}
	if !lk.started {
		lk.started = true
		for _, n := range lk.order {
			if nl := lk.nodes[n.Name]; nl == nil || !nl.seen {
				lk.started = false
			}
		}
	}
	lk.link.ready = lk.link.ready && lk.started
	lk.updateHold()
}

// startGrace starts, at the first node's connection, the wait after which offers go on
// without the nodes not reconciled yet (they are away: their calls are ended as a node's
// that stays away).
func (r *reconciler) startGrace() {
	lk := r.u.lnk
	if lk.graceArmed {
		return
	}
	lk.graceArmed = true
	wait := time.Duration(0)
	for _, n := range lk.order {
		wait = max(wait, cmp.Or(n.DownAfter, DefaultNodeDownAfter))
	}
	r.u.ex.after(wait, func() {
		r.post(func() {
			if lk.started {
				return
			}
			lk.started = true
			for _, n := range lk.order {
				if nl := lk.node(n.Name); !nl.seen && !nl.up {
					r.log.Warn("asterisk node not reached since the start; offers go on without it", "node", n.Name, "after", wait)
					r.nodeLost(n.Name) // its agents paused "node down" until it is reconciled
				}
			}
			lk.updateNodes()
		})
	})
}

// nodeLost: node's link is down. Its calls are parked and its ringing offers withdrawn; its
// agents are paused; its calls end if it is not back within NodeDownAfter.
func (r *reconciler) nodeLost(node string) {
	nl := r.u.lnk.node(node)
	if !nl.up && !nl.ready && nl.lost > 0 {
		return
	}
	nl.up, nl.ready = false, false
	nl.lost++
	r.u.lnk.updateNodes()
	withdrawn := 0
	for _, c := range r.snapshotCalls() {
		if r.callNode(c) != node {
			continue
		}
		if cb := c.dialing(); cb == nil || cb.dialed {
			_ = r.eng.Park(c.id) // an undialed callback has nothing on the node: another's agent may take it
		}
		v, ok := r.eng.Call(c.id)
		if !ok || v.State != "offered" {
			continue
		}
		if c.dialing() != nil && c.dialing().dialed {
			if err := r.eng.Remove(c.id, "callback interrupted: event link lost"); err == nil {
				withdrawn++
			}
			continue
		}
		if err := r.eng.OfferFailed(c.id, acd.Withdrawn); err == nil {
			withdrawn++
		}
	}
	r.pauseNodeAgents(node)
	r.log.Warn("asterisk node down: its calls wait, its agents are paused", "node", node, "withdrawn", withdrawn)
	wait, lost := time.Duration(0), nl.lost
	for _, n := range r.u.lnk.order {
		if n.Name == node {
			wait = n.DownAfter
		}
	}
	if wait <= 0 {
		wait = DefaultNodeDownAfter
	}
	r.u.ex.after(wait, func() {
		r.post(func() {
			if nl.lost == lost && !nl.ready {
				r.nodeGone(node)
			}
		})
	})
}

// pauseNodeAgents pauses "node down" the logged-in agents of node (one on a call or in
// wrap-up after it).
func (r *reconciler) pauseNodeAgents(node string) {
	nl := r.u.lnk.node(node)
	for _, id := range r.eng.AgentIDs() {
		if r.agentNode(id) != node {
			continue
		}
		v, ok := r.eng.Agent(id)
		if !ok || v.State == acd.LoggedOut || v.State == acd.Paused && v.Reason != ReasonNodeDown {
			continue
		}
		if err := r.eng.Pause(id, ReasonNodeDown); err == nil {
			nl.downed[id] = true
		}
	}
}

// nodeBack: node is reconciled on its new link. Its calls are offered again and its agents
// paused "node down" (by this router or, before a restart, by the previous one) available.
func (r *reconciler) nodeBack(node string, attempt int) {
	nl := r.u.lnk.node(node)
	if !nl.up || nl.attempt != attempt {
		return
	}
	nl.ready, nl.seen = true, true
	r.u.lnk.link.backoff = 0
	for _, c := range r.snapshotCalls() {
		if r.callNode(c) == node {
			_ = r.eng.Unpark(c.id)
		}
	}
	back := 0
	for _, id := range r.eng.AgentIDs() {
		if r.agentNode(id) != node {
			continue
		}
		v, ok := r.eng.Agent(id)
		if !ok {
			continue
		}
		switch {
		case v.State == acd.Paused && v.Reason == ReasonNodeDown,
			nl.downed[id] && v.State != acd.Paused && v.State != acd.LoggedOut:
			if err := r.eng.Ready(id); err != nil {
				r.log.Warn("agent not made available after its node returned", "agent", id, "err", err)
				continue
			}
			back++
		}
		delete(nl.downed, id)
	}
	r.u.lnk.updateNodes()
	r.log.Info("asterisk node ready", "node", node, "agents_back", back)
}

// nodeGone ends the calls of a node that stayed away, as a reconciliation ends calls whose
// channels are gone; but a caller who was waiting did not give up: its call is removed
// (reason node_down), not abandoned, and counts in no queue's abandon rate.
func (r *reconciler) nodeGone(node string) {
	empty := &asteriskView{app: map[string]bool{}, exists: map[string]Channel{}, inBridge: map[string]string{}, ourBridges: map[string]bool{}}
	before := len(r.calls)
	var waiting []string
	for _, c := range r.calls {
		if v, ok := r.eng.Call(c.id); ok && v.State != "connected" && r.callNode(c) == node {
			waiting = append(waiting, c.id)
		}
	}
	slices.Sort(waiting)
	for _, id := range waiting {
		if err := r.eng.Remove(id, "node_down"); err != nil {
			r.log.Warn("a down node's waiting call not removed", "call", id, "err", err)
		}
	}
	r.flush()
	r.catchUp(empty, node)
	r.flush()
	r.log.Warn("asterisk node still down: its calls are ended", "node", node, "ended", before-len(r.calls))
}

// offerElsewhere checks an offer against the nodes before it rings: a call whose node the
// router cannot see is parked and its offer withdrawn; an agent on such a node is paused
// "node down" and the offer withdrawn. It reports whether the offer may go on.
func (r *reconciler) offerElsewhere(c *call, agent, endpoint string) bool {
	if !r.multiNode() {
		return true
	}
	cn, an := r.callNode(c), r.phoneNode(endpoint)
	if r.nodeReady(cn) && r.nodeReady(an) {
		return true
	}
	r.post(func() {
		if v, ok := r.eng.Call(c.id); !ok || v.State != "offered" || v.Agent != agent || r.calls[c.id] != c {
			return
		}
		if !r.nodeReady(an) {
			r.pauseNodeAgents(an) // kept when the offer is withdrawn
		}
		if !r.nodeReady(cn) {
			_ = r.eng.Park(c.id)
		}
		_ = r.eng.OfferFailed(c.id, acd.Withdrawn)
	})
	return false
}

// nodeStatus is each node's state, calls and logged-in agents; nil with one node.
func (r *reconciler) nodeStatus() []NodeStatus {
	if !r.multiNode() {
		return nil
	}
	at := map[string]int{}
	out := make([]NodeStatus, len(r.u.lnk.order))
	for i, n := range r.u.lnk.order {
		out[i] = NodeStatus{Name: n.Name, Ready: r.nodeReady(n.Name)}
		at[n.Name] = i
	}
	for _, c := range r.calls {
		if i, ok := at[r.callNode(c)]; ok {
			out[i].Calls++
		}
	}
	for _, id := range r.eng.AgentIDs() {
		if v, ok := r.eng.Agent(id); ok && v.State != acd.LoggedOut {
			out[at[r.agentNode(id)]].Agents++
		}
	}
	return out
}
