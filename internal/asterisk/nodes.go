package asterisk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"

	"switchboard/internal/router"
)

// Nodes is the router's Telephony over several Asterisk nodes: each request goes to the node
// that owns its channel, bridge, playback or recording. Every node names its channels
// "<node>-..." (asterisk.conf systemname = the node's name) and the router makes its own ids
// from them (agent legs "<caller>-a1", bridges "sb-call-<caller>"), so an id names its node;
// ids the router makes without a channel in them (a snoop, a consultation leg, a recording)
// are remembered with the node they were made on. An id of no node goes to the first node,
// except a bridge's (the queues' holding bridges, one per node): it is made, given music
// and deleted on every node.
type Nodes struct {
	list   []NodeClient
	by     map[string]NodeClient
	phones map[string]string // lower-cased endpoint → node
	mu     sync.Mutex
	owner  map[string]string // ids made on, or reported by, a node
}

// NodeClient is one node: its name, trunk and patience (router.NodeConfig) and its requests
// (a REST, possibly wrapped).
type NodeClient struct {
	router.NodeConfig
	Tel router.Telephony
}

var (
	_ router.NodeTelephony   = (*Nodes)(nil)
	_ router.ChannelControls = (*Nodes)(nil)
)

// NewNodes returns the Telephony over nodes, the first being the default; phones says which
// node each configured agent's phone (endpoint) is on, a node's DeskPhones the others.
func NewNodes(nodes []NodeClient, phones map[string]string) (*Nodes, error) {
	if len(nodes) == 0 {
		return nil, errors.New("asterisk: no nodes")
	}
	n := &Nodes{list: nodes, by: map[string]NodeClient{}, phones: map[string]string{}, owner: map[string]string{}}
	for _, c := range nodes {
		if c.Name == "" || n.by[c.Name].Tel != nil {
			return nil, fmt.Errorf("asterisk: node name %q empty or repeated", c.Name)
		}
		n.by[c.Name] = c
	}
	for ep, node := range phones {
		if _, ok := n.by[node]; !ok {
			return nil, fmt.Errorf("asterisk: phone %s on unknown node %q", ep, node)
		}
		n.phones[strings.ToLower(ep)] = node // Asterisk's endpoint names ignore case
	}
	return n, nil
}

// Nodes are the nodes, in order.
func (n *Nodes) Nodes() []router.NodeConfig {
	out := make([]router.NodeConfig, len(n.list))
	for i, c := range n.list {
		out[i] = c.NodeConfig
	}
	return out
}

// PhoneNode is the node a phone is on (PhoneOn), the first for a phone on none.
func (n *Nodes) PhoneNode(endpoint string) string {
	if node, err := n.PhoneOn(endpoint); err == nil {
		return node
	}
	return n.list[0].Name
}

// PhoneOn is the node of a phone: the one a configured agent's phone is on, else the first
// node one of whose desk phones it is; with one node, that node.
func (n *Nodes) PhoneOn(endpoint string) (string, error) {
	if node, ok := n.phones[strings.ToLower(endpoint)]; ok {
		return node, nil
	}
	if len(n.list) == 1 {
		return n.list[0].Name, nil
	}
	for _, c := range n.list {
		for _, p := range c.DeskPhones {
			if ok, _ := path.Match(p, endpoint); ok {
				return c.Name, nil
			}
		}
	}
	return "", fmt.Errorf("phone %s is on no node: it is no configured agent's phone and none of the nodes' desk_endpoints", endpoint)
}

// Node answers for one node; the channels it lists are remembered on it.
func (n *Nodes) Node(name string) (router.Telephony, bool) {
	c, ok := n.by[name]
	if !ok {
		return nil, false
	}
	return nodeView{Telephony: c.Tel, n: n, node: name}, true
}

// MakeOn remembers that id, which names no node (a callback's channels), is made on node.
func (n *Nodes) MakeOn(id, node string) {
	if _, ok := n.by[node]; ok {
		n.learn(id, node)
	}
}

// nodeView is one node's Telephony that remembers the channels the node lists: a channel
// whose id names no node (a callback's, made on the node of the agent who took it) is found
// there by a router that did not make it (restarted, or a standby that took over).
type nodeView struct {
	router.Telephony
	n    *Nodes
	node string
}

func (v nodeView) AppState(ctx context.Context) (channels, bridges []string, err error) {
	channels, bridges, err = v.Telephony.AppState(ctx)
	for _, ch := range channels {
		v.n.learnListed(ch, v.node)
	}
	return channels, bridges, err
}

func (v nodeView) Channels(ctx context.Context) ([]router.Channel, error) {
	chs, err := v.Telephony.Channels(ctx)
	for _, ch := range chs {
		v.n.learnListed(ch.ID, v.node)
	}
	return chs, err
}

// learnListed remembers a channel node listed when its id does not say so.
func (n *Nodes) learnListed(id, node string) {
	if got, ok := n.NodeOf(id); !ok || got != node {
		n.learn(id, node)
	}
}

// NodeOf is the node an id belongs to, and whether the id names one (else the first node):
// one remembered, or that names a node or a remembered id (sb-call-<id>).
func (n *Nodes) NodeOf(id string) (string, bool) {
	cand := id
	for range 3 {
		n.mu.Lock()
		node, ok := n.owner[cand]
		n.mu.Unlock()
		if ok {
			return node, true
		}
		best := ""
		for _, c := range n.list {
			if len(c.Name) > len(best) && strings.HasPrefix(cand, c.Name+"-") {
				best = c.Name
			}
		}
		if best != "" {
			return best, true
		}
		rest, isOurs := strings.CutPrefix(cand, "sb-")
		if !isOurs {
			break
		}
		_, cand, isOurs = strings.Cut(rest, "-") // sb-call-<channel>, sb-ann-<channel>-3...
		if !isOurs {
			break
		}
	}
	return n.list[0].Name, false
}

func (n *Nodes) of(id string) router.Telephony {
	node, _ := n.NodeOf(id)
	return n.by[node].Tel
}

func (n *Nodes) learn(id, node string) {
	if id == "" {
		return
	}
	n.mu.Lock()
	n.owner[id] = node
	n.mu.Unlock()
}

func (n *Nodes) forget(id string) {
	n.mu.Lock()
	delete(n.owner, id)
	n.mu.Unlock()
}

// everywhere runs f on every node; it fails only when every node failed.
func (n *Nodes) everywhere(f func(router.Telephony) error) error {
	var errs []error
	for _, c := range n.list {
		if err := f(c.Tel); err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", c.Name, err))
		}
	}
	if len(errs) == len(n.list) {
		return errors.Join(errs...)
	}
	return nil
}

func (n *Nodes) Answer(ctx context.Context, ch string) error { return n.of(ch).Answer(ctx, ch) }
func (n *Nodes) Hangup(ctx context.Context, ch, reason string) error {
	return n.of(ch).Hangup(ctx, ch, reason)
}
func (n *Nodes) SetVar(ctx context.Context, ch, name, value string) error {
	return n.of(ch).SetVar(ctx, ch, name, value)
}
func (n *Nodes) Var(ctx context.Context, ch, name string) (string, error) {
	return n.of(ch).Var(ctx, ch, name)
}
func (n *Nodes) Continue(ctx context.Context, ch, dialplan, exten string, prio int) error {
	return n.of(ch).Continue(ctx, ch, dialplan, exten, prio)
}

// Originate rings on the node of the new channel's id.
func (n *Nodes) Originate(ctx context.Context, o router.Originate) error {
	node, _ := n.NodeOf(o.ChannelID)
	n.learn(o.ChannelID, node)
	return n.by[node].Tel.Originate(ctx, o)
}

// AppState and Channels are every node's, one after the other (remembered as Node's are).
func (n *Nodes) AppState(ctx context.Context) (channels, bridges []string, err error) {
	for _, c := range n.list {
		ch, br, err := c.Tel.AppState(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("node %s: %w", c.Name, err)
		}
		for _, id := range ch {
			n.learnListed(id, c.Name)
		}
		channels, bridges = append(channels, ch...), append(bridges, br...)
	}
	return channels, bridges, nil
}

func (n *Nodes) Channels(ctx context.Context) ([]router.Channel, error) {
	var out []router.Channel
	for _, c := range n.list {
		chs, err := c.Tel.Channels(ctx)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", c.Name, err)
		}
		for _, ch := range chs {
			n.learnListed(ch.ID, c.Name)
		}
		out = append(out, chs...)
	}
	return out, nil
}

// bridgeNode is the node of a bridge id, "" when it names none.
func (n *Nodes) bridgeNode(id string) string {
	node, ok := n.NodeOf(id)
	if !ok {
		return ""
	}
	return node
}

func (n *Nodes) CreateBridge(ctx context.Context, id, kind string) error {
	if node := n.bridgeNode(id); node != "" {
		return n.by[node].Tel.CreateBridge(ctx, id, kind)
	}
	return n.everywhere(func(t router.Telephony) error { return t.CreateBridge(ctx, id, kind) })
}

func (n *Nodes) DeleteBridge(ctx context.Context, id string) error {
	defer n.forget(id)
	if node := n.bridgeNode(id); node != "" {
		return n.by[node].Tel.DeleteBridge(ctx, id)
	}
	return n.everywhere(func(t router.Telephony) error { return t.DeleteBridge(ctx, id) })
}

func (n *Nodes) BridgeMOH(ctx context.Context, id, class string) error {
	if node := n.bridgeNode(id); node != "" {
		return n.by[node].Tel.BridgeMOH(ctx, id, class)
	}
	return n.everywhere(func(t router.Telephony) error { return t.BridgeMOH(ctx, id, class) })
}

// AddChannel goes to the bridge's node, or the channels' when the bridge names none.
func (n *Nodes) AddChannel(ctx context.Context, bridge string, chs ...string) error {
	t := n.of(bridge)
	if n.bridgeNode(bridge) == "" && len(chs) > 0 {
		t = n.of(chs[0])
	}
	return t.AddChannel(ctx, bridge, chs...)
}

func (n *Nodes) RemoveChannel(ctx context.Context, bridge, ch string) error {
	return n.of(ch).RemoveChannel(ctx, bridge, ch)
}

// HoldChannel goes to the caller's node: each node has its own holding bridge of a queue.
func (n *Nodes) HoldChannel(ctx context.Context, bridge, ch, class string) error {
	return n.of(ch).HoldChannel(ctx, bridge, ch, class)
}

func (n *Nodes) BridgeChannels(ctx context.Context, id string) ([]string, error) {
	return n.of(id).BridgeChannels(ctx, id)
}

// ListBridges is every node's; a holding bridge on several has their channels together.
func (n *Nodes) ListBridges(ctx context.Context) (map[string][]string, error) {
	out := map[string][]string{}
	for _, c := range n.list {
		m, err := c.Tel.ListBridges(ctx)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", c.Name, err)
		}
		for b, chs := range m {
			out[b] = append(out[b], chs...)
		}
	}
	return out, nil
}

func (n *Nodes) Play(ctx context.Context, ch, playbackID string, media []string) error {
	node, _ := n.NodeOf(ch)
	n.learn(playbackID, node)
	return n.by[node].Tel.Play(ctx, ch, playbackID, media)
}

func (n *Nodes) StopPlayback(ctx context.Context, id string) error {
	return n.of(id).StopPlayback(ctx, id)
}

func (n *Nodes) RecordBridge(ctx context.Context, bridge, name string) error {
	node, _ := n.NodeOf(bridge)
	n.learn(name, node)
	return n.by[node].Tel.RecordBridge(ctx, bridge, name)
}

func (n *Nodes) PauseRecording(ctx context.Context, name string) error {
	return n.of(name).PauseRecording(ctx, name)
}

func (n *Nodes) ResumeRecording(ctx context.Context, name string) error {
	return n.of(name).ResumeRecording(ctx, name)
}

func (n *Nodes) FetchRecording(ctx context.Context, name string) (io.ReadCloser, error) {
	return n.of(name).FetchRecording(ctx, name)
}

func (n *Nodes) DeleteRecording(ctx context.Context, name string) error {
	err := n.of(name).DeleteRecording(ctx, name)
	if err == nil {
		n.forget(name)
	}
	return err
}

// StoredRecordings lists every node's stored recordings that it can, and remembers where
// each is; it fails when one node did not answer, with the others' names.
func (n *Nodes) StoredRecordings(ctx context.Context) ([]string, error) {
	var names []string
	var errs []error
	for _, c := range n.list {
		list, err := c.Tel.StoredRecordings(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", c.Name, err))
			continue
		}
		for _, name := range list {
			n.learn(name, c.Name)
		}
		names = append(names, list...)
	}
	return names, errors.Join(errs...)
}

// The call controls go to the channel's node; a node without them refuses.
func (n *Nodes) controls(ch string) (router.ChannelControls, error) {
	node, _ := n.NodeOf(ch)
	ctl, ok := n.by[node].Tel.(router.ChannelControls)
	if !ok {
		return nil, fmt.Errorf("node %s has no call controls", node)
	}
	return ctl, nil
}

func (n *Nodes) Hold(ctx context.Context, ch string) error {
	c, err := n.controls(ch)
	if err != nil {
		return err
	}
	return c.Hold(ctx, ch)
}

func (n *Nodes) Unhold(ctx context.Context, ch string) error {
	c, err := n.controls(ch)
	if err != nil {
		return err
	}
	return c.Unhold(ctx, ch)
}

func (n *Nodes) Mute(ctx context.Context, ch, direction string) error {
	c, err := n.controls(ch)
	if err != nil {
		return err
	}
	return c.Mute(ctx, ch, direction)
}

func (n *Nodes) Unmute(ctx context.Context, ch, direction string) error {
	c, err := n.controls(ch)
	if err != nil {
		return err
	}
	return c.Unmute(ctx, ch, direction)
}

func (n *Nodes) StartMOH(ctx context.Context, ch, class string) error {
	c, err := n.controls(ch)
	if err != nil {
		return err
	}
	return c.StartMOH(ctx, ch, class)
}

func (n *Nodes) StopMOH(ctx context.Context, ch string) error {
	c, err := n.controls(ch)
	if err != nil {
		return err
	}
	return c.StopMOH(ctx, ch)
}

func (n *Nodes) SendDTMF(ctx context.Context, ch, digits string) error {
	c, err := n.controls(ch)
	if err != nil {
		return err
	}
	return c.SendDTMF(ctx, ch, digits)
}

// Snoop makes the snoop channel on the target's node, and remembers it there.
func (n *Nodes) Snoop(ctx context.Context, ch string, s router.Snoop) error {
	c, err := n.controls(ch)
	if err != nil {
		return err
	}
	node, _ := n.NodeOf(ch)
	n.learn(s.ID, node)
	return c.Snoop(ctx, ch, s)
}

// Sink is the event sink of node's reader (NewEvents): everything goes to s (the router's
// sink of that node, router.NodeSink), and the channels it reports are remembered on the
// node until destroyed.
func (n *Nodes) Sink(node string, s Sink) Sink { return nodeSink{n: n, node: node, s: s} }

type nodeSink struct {
	n    *Nodes
	node string
	s    Sink
}

func (k nodeSink) Deliver(ev router.Event) {
	switch ev := ev.(type) {
	case router.StasisStart:
		if node, ok := k.n.NodeOf(ev.Channel); !ok || node != k.node {
			k.n.learn(ev.Channel, k.node) // an id that does not name its node (no systemname)
		}
	case router.ChannelDestroyed:
		k.n.forget(ev.Channel)
	case router.PlaybackFinished:
		k.n.forget(ev.ID)
	}
	k.s.Deliver(ev)
}

func (k nodeSink) Connected(attempt int) { k.s.Connected(attempt) }
func (k nodeSink) Disconnected()         { k.s.Disconnected() }
