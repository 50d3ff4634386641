// Package router runs calls: it joins the acd engine to an Asterisk node, or to several
// (nodes.go: one engine, each node's link reconciled on its own). One owner goroutine
// holds the engine and the calls and takes, in order, Asterisk's events (the router's own
// types, decoded by the adapter), timer expiries and requests from the API; what it decides is
// carried out on Asterisk by one worker per call, so a slow request holds up only its own call.
// Each call is in one phase (phase.go), which takes the caller's inputs. The owner loop
// (Router) hands the work to units (units.go), each keeping its own state: the callers'
// channels, the connections, announcements, IVR flows, lookups, the callback dialer (which
// claims from the store on its own goroutine, dialerState.Run), the link, recordings, secure
// entries and the agents' requests. After every (re)connection the owner reconciles with what
// Asterisk reports, re-adopting calls from their channel variables.
// The router declares the ports it needs (Channels, Bridges, Playbacks, Recordings, Agents,
// Journal, Callbacks); adapters implement them.
package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/acd"
	"switchboard/internal/inbox"
	"switchboard/ivr"
)

// ErrNotFound is what Telephony errors wrap when Asterisk answers 404.
var ErrNotFound = errors.New("not found")

// ErrUnreachable is what an Originate error wraps when Asterisk could not reach the endpoint
// (not registered, or no such endpoint): the agent's phone failed, not Asterisk or the link.
var ErrUnreachable = errors.New("endpoint unreachable")

// Originate asks Asterisk to ring an agent's endpoint into the application.
type Originate struct {
	Endpoint  string
	ChannelID string
	AppArgs   string
	CallerID  string
	Timeout   time.Duration
	Variables map[string]string // set on the new channel by the originate itself
}

// Channel is what reconciliation needs to know of a channel.
type Channel struct {
	ID      string
	State   string
	Number  string // caller number
	Exten   string // dialplan extension: the DID for inbound calls
	Created time.Time
}

// Telephony is what the router asks of an Asterisk node, by resource. Every request takes
// the context of the unit making it: its deadline and cancellation bound the request.
type Telephony interface {
	Channels
	Bridges
	Playbacks
	Recordings
}

// Channels are the requests on channels, and what reconciliation reads of the application.
type Channels interface {
	Answer(ctx context.Context, chanID string) error
	Hangup(ctx context.Context, chanID, reason string) error
	Originate(ctx context.Context, o Originate) error
	SetVar(ctx context.Context, chanID, name, value string) error
	Var(ctx context.Context, chanID, name string) (string, error)
	// Continue sends a channel out of the application into the dialplan at context,
	// extension, priority.
	Continue(ctx context.Context, chanID, context, extension string, priority int) error
	AppState(ctx context.Context) (channels, bridges []string, err error)
	Channels(ctx context.Context) ([]Channel, error)
}

// Bridges are the requests on bridges.
type Bridges interface {
	CreateBridge(ctx context.Context, id, kind string) error // kind: holding or mixing
	DeleteBridge(ctx context.Context, id string) error
	AddChannel(ctx context.Context, bridgeID string, chanIDs ...string) error
	RemoveChannel(ctx context.Context, bridgeID, chanID string) error
	BridgeMOH(ctx context.Context, bridgeID, class string) error
	// HoldChannel adds a waiting caller to holding bridge bridgeID as a participant that
	// Asterisk itself plays music on hold to, in class ("" or "default": the channel's own),
	// while it waits there: no music request, and none again after the bridge emptied.
	HoldChannel(ctx context.Context, bridgeID, chanID, class string) error
	BridgeChannels(ctx context.Context, bridgeID string) ([]string, error)
	// ListBridges is every bridge Asterisk has, by id, with the channels in it: also those
	// the application is not subscribed to (an empty bridge is in no application's list).
	ListBridges(ctx context.Context) (map[string][]string, error)
}

// Playbacks play media to channels.
type Playbacks interface {
	// Play plays media (items such as "sound:queue-thereare", "number:3") one after the other
	// under one playback id: Asterisk takes them as a JSON array, never a comma string.
	Play(ctx context.Context, chanID, playbackID string, media []string) error
	StopPlayback(ctx context.Context, playbackID string) error
}

// Recordings are the requests on live and stored recordings.
type Recordings interface {
	RecordBridge(ctx context.Context, bridgeID, name string) error
	// PauseRecording and ResumeRecording pause and unpause a live recording: the paused
	// time is not in the file.
	PauseRecording(ctx context.Context, name string) error
	ResumeRecording(ctx context.Context, name string) error
	// FetchRecording opens a stored recording's file; DeleteRecording removes it from Asterisk.
	FetchRecording(ctx context.Context, name string) (io.ReadCloser, error)
	DeleteRecording(ctx context.Context, name string) error
	StoredRecordings(ctx context.Context) ([]string, error) // names of the finished recordings Asterisk stores
}

// Route says where calls to a DID go.
type Route struct {
	Queue    string
	Priority int
	Skills   map[string]int
	Data     map[string]string
	// Open, when set, tells business hours; outside them the call goes to ClosedQueue, or
	// hears ClosedMessage (a sound name) and is hung up.
	Open          func(time.Time) bool
	ClosedQueue   string
	ClosedMessage string
	// ClosedCallback lets a caller leave a callback request after ClosedMessage (press 1,
	// confirm the number), when Options.Callbacks is set.
	ClosedCallback bool
	// Flow, when set, is the IVR flow callers walk first; it decides the queue.
	Flow *ivr.Flow
}

// QueueSettings are the router's own settings of a queue (the engine has the rest).
type QueueSettings struct {
	AnnounceEvery    time.Duration // 0: no periodic announcements
	AnnouncePosition bool
	AnnounceWait     bool
	MOH              string // music-on-hold class, default "default"
	// CallbackPrompt offers a waiting caller a callback that keeps its place, when the
	// expected wait passes the queue's callback threshold and a callback store is set; the
	// caller accepts with 1 (default "press 1 to be called back").
	CallbackPrompt  string
	RecordShare     float64 // share of answered calls recorded: 1 always, 0 never
	RecordingNotice string  // media played to the caller when a recording starts; "": none
	// Survey, when set, is the flow a caller hears when the agent hangs up first: the caller
	// stays in the application and the score goes to Options.CSAT.
	Survey *ivr.Flow
	// MissedAfter: a caller who hangs up after waiting this long gets a callback at the
	// original place (Options.Callbacks); 0: never.
	MissedAfter time.Duration
}

// Config is what the router runs.
type Config struct {
	Node     string // this Asterisk node's name; call ids carry it
	App      string // the Stasis application
	Queues   []acd.QueueConfig
	Agents   []acd.AgentConfig
	Settings map[string]QueueSettings
	DIDs     map[string]Route
	Default  *Route // for DIDs not listed; nil: play a message and hang up
	// LoginAgents logs in, at start and when a reload adds them, the agents Options.Agents
	// knows nothing of (every agent without it); otherwise they start logged out and log in
	// from their desktop.
	LoginAgents bool
	// RingMargin is added to the ring timeout for the originate timeout, so that the engine's
	// timer, not Asterisk's, decides a ring-out (default 2s).
	RingMargin time.Duration
	// IVR is what the caller's own inputs need beyond the flows: transfers and secure entry.
	IVR IVRSettings
	// Dialer says how callbacks are dialed (Options.Callbacks; dialer.go).
	Dialer Dialer
	// DeskEndpoints are the phones an agent may log in on or a supervisor may set (glob
	// patterns, path.Match); empty: none. See EndpointAllowed.
	DeskEndpoints []string
}

// IVRSettings are the router's settings of the caller's transfers and secure digit entries.
type IVRSettings struct {
	// TransferContext is the dialplan context an IVR transfer node sends the caller to, with
	// the node's number as the extension (POST /channels/{id}/continue); "" refuses transfers.
	TransferContext string
	// SecurePrompt is played to the caller when an agent asks for a secure digit entry
	// (default "sound:beep"); SecureTimeout is the wait for the first digit (default 15s) and,
	// capped at 5s, between digits.
	SecurePrompt  string
	SecureTimeout time.Duration
}

// How a call the engine never held ended (acd.CallGone's Outcome); the store's call outcomes.
const (
	GoneAbandoned         = "abandoned"          // its caller hung up
	GoneSelfService       = "self_service"       // the IVR said goodbye and hung up
	GoneCallbackRequested = "callback_requested" // a callback request was taken
	GoneTransferredOut    = "transferred_out"    // sent out of the application to the dialplan
	GoneClosed            = "closed"             // the line was closed
)

// Options are the router's dependencies.
type Options struct {
	Logger *slog.Logger
	// Observers see every event of the stream, in order, on the owner goroutine: the engine's
	// and the router's own facts (acd.CallArrived, acd.CallRouted, acd.CallGone).
	Observers []func(acd.Event)
	Clock     acd.Clock // default: the system clock
	// Location is the center's time zone: the "today" statistics start at its midnight
	// (default UTC). A reload keeps the zone the router started with.
	Location *time.Location
	// Probes measure the router from outside: offer latency, work in flight.
	Probes Probes
	// Agents, when set, remembers the agents across a restart: where each stood, and the pause
	// or logout one waits for (see Agents).
	Agents Agents
	// Journal, when set, is the store's memory of the calls (see Journal).
	Journal Journal
	// Callback, when set, stores a callback the caller asked for in the IVR.
	Callback func(callID string, cb ivr.Callback, at time.Time) error
	// Callbacks, when set, stores missed and after-hours callbacks and runs the dialer that
	// calls them back (dialer.go).
	Callbacks Callbacks
	// Recordings says where finished call recordings go (see RecordingOptions).
	Recordings RecordingOptions
	// Lookups are the questions asked about a caller off the owner goroutine (see Lookups).
	Lookups Lookups
	// CSAT, when set, stores a post-call survey score; called on the call's worker.
	CSAT func(ctx context.Context, s CSAT) error
}

// Probes measure the router from outside.
type Probes struct {
	// Registerer, when set, registers the router's metrics.
	Registerer prometheus.Registerer
	// OfferLatency, when set, is told each offer's latency: from the moment the router
	// received the caller's StasisStart (first offer without waiting) or the engine decided
	// (later offers) to the moment the originate request is sent. Called from workers.
	OfferLatency func(time.Duration)
	// Activity, when set, counts the router's work in flight (see Activity): tests wait on
	// it until the router is idle.
	Activity *Activity
}

// Lookups are the questions the router asks about a caller, each off the owner goroutine and
// bounded by its timeout whatever the hook does with its context.
type Lookups struct {
	// Lookup, when set, answers the IVR's lookup nodes (see selfservice.go); nil finds nobody.
	// It is called off the owner goroutine and given LookupTimeout (default 2s).
	Lookup        func(ctx context.Context, q LookupQuery) (ivr.Customer, bool, error)
	LookupTimeout time.Duration
	// Classify, when set, is asked about every new caller before it joins its queue (after
	// the IVR, if any): the customer's segment may choose another queue or a higher priority.
	// It is called off the owner goroutine and given ClassifyTimeout (default 300ms); the
	// route stays as configured when it fails or is late.
	Classify        func(ctx context.Context, q ClassifyQuery) (Classification, bool, error)
	ClassifyTimeout time.Duration
}

// RecordingOptions say where the finished call recordings go (recording.go).
type RecordingOptions struct {
	// Dir is the recording store's folder: finished recordings are fetched from Asterisk into
	// it and handed to Index, which indexes them. Either empty: recordings stay on Asterisk.
	Dir   string
	Index func(Recorded) error
	// Shared, when set, is Asterisk's recording folder as mounted here: finished recordings
	// are read from it instead of over ARI.
	Shared string
	// Wait bounds how long a recorded call's bridge is kept, once its legs are asked to leave,
	// for Asterisk's RecordingFinished; then it is deleted anyway and the stored file
	// collected (default 5s; recclose.go).
	Wait time.Duration
}

// Agents is where the agents stood when the previous router stopped, and what they asked for
// during a call.
type Agents interface {
	// LastState says where an agent stood when the previous router stopped; the agent comes
	// back so: logged out, paused with its reason, or logged in and available (any other
	// state). ok false: not known (Config.LoginAgents decides). A connected call re-adopted at
	// reconciliation puts its agent on it whatever the state (acd.Engine.Adopt).
	LastState(agentID string) (state acd.AgentState, reason string, ok bool)
	// KeepRequest keeps what an agent asked for during a call (SetAgentState calls it before
	// it returns): req is the pause or logout the agent now waits for, nil when it waits for
	// nothing (the state was taken at once, or the agent asked to stay available).
	KeepRequest(ctx context.Context, agentID string, req *AgentRequest) error
	// PendingRequest says what an agent was waiting for when the previous router stopped (see
	// KeepRequest). At the first reconciliation, once the connected calls are back on their
	// agents, an agent on a call takes it when the call ends; any other at once.
	PendingRequest(agentID string) (AgentRequest, bool)
}

// Journal is the store's memory of the calls, beside the events it records.
type Journal interface {
	// Recall finds a call's queue, priority and original enqueue time; reconciliation asks it
	// for a channel whose variables are missing.
	Recall(callID string) (Recalled, bool)
	// Reconciled is told at the end of every reconciliation, on the owner goroutine and after
	// the engine events it caused, the calls the router holds and the time (the router's
	// clock): any other call the store has open ended while the router did not listen.
	Reconciled(live []string, at time.Time)
}

// AgentRequest is a pause or logout an agent asked for during a call: it takes effect when
// the call, and its wrap-up, end.
type AgentRequest struct {
	State  acd.AgentState // Paused or LoggedOut
	Reason string         // the pause's
	Call   string         // the call it waits for
	At     time.Time      // when it was asked, on the router's clock
}

// Recalled is what the store remembers of a live call.
type Recalled struct {
	Queue      string
	Priority   int
	EnqueuedAt time.Time
}

// Router runs the calls of one Asterisk node, or of several: the owner loop and the state it alone touches, and
// the units (units.go) that do the rest of the work.
type Router struct {
	cfg     Config
	tel     Telephony
	log     *slog.Logger
	eng     *acd.Engine
	clock   acd.Clock
	calls   map[string]*call // by call id
	chans   map[string]*call // by caller and agent channel id
	loop    loop
	metrics *metrics
	hooks   hooks
	u       units
	ctl     *controls // the agents' call controls and supervisors' monitoring (controls.go)
}

// loop is the owner loop's own state: its inbox, the engine's events not yet handed on, and
// its timers.
type loop struct {
	inbox     *inbox.Inbox[func()]
	pending   []acd.Event
	observers []func(acd.Event)
	received  time.Time   // when the ARI event being handled arrived
	stopped   atomic.Bool // Run returned: workers start nothing new
	sched     sched
	stats     stats
}

// hooks are the stores the router writes to and reads from, besides the journal hooks.
type hooks struct {
	latency  func(time.Duration)
	journal  Journal
	callback func(callID string, cb ivr.Callback, at time.Time) error
	csat     func(ctx context.Context, s CSAT) error
}

// requests are the agents' pause and logout requests kept across a restart (agents.go).
type requests struct {
	agents Agents
	asked  map[string]AgentRequest // requests of the previous router, until the first reconciliation
	mu     sync.Mutex              // one SetAgentState at a time: its engine change and its kept request
}

// sched is the owner's timers: the engine's next deadline and the tick.
type sched struct {
	deadline  time.Time // the engine deadline the deadline timer is armed for
	deadlineT Timer
	tickT     Timer
}

// stats is the statistics copy the owner refreshes.
type stats struct {
	snap   atomic.Pointer[Snapshot]
	snapAt time.Time
}

// New builds a router and its engine from the configuration.
func New(cfg Config, tel Telephony, opt Options) (*Router, error) {
	if cfg.Node == "" || cfg.App == "" {
		return nil, errors.New("router: node and app are required")
	}
	if cfg.RingMargin <= 0 {
		cfg.RingMargin = 2 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Clock == nil {
		opt.Clock = acd.SystemClock{}
	}
	r := &Router{
		cfg: cfg, tel: tel, log: opt.Logger, clock: opt.Clock,
		calls: map[string]*call{}, chans: map[string]*call{},
		loop:  loop{inbox: inbox.New[func()](), observers: opt.Observers},
		hooks: hooks{latency: opt.Probes.OfferLatency, journal: opt.Journal, callback: opt.Callback, csat: opt.CSAT},
	}
	eng, err := acd.New(acd.Options{Clock: opt.Clock, Location: opt.Location, OnEvent: func(ev acd.Event) { r.loop.pending = append(r.loop.pending, ev) }})
	if err != nil {
		return nil, err
	}
	r.eng = eng
	r.u = newUnits(r, opt)
	if nt, ok := tel.(NodeTelephony); ok && len(nt.Nodes()) > 1 {
		r.u.lnk.topo, r.u.lnk.order = nt, nt.Nodes() // several nodes (nodes.go)
	}
	r.ctl = newControls(r)
	eng.Hold() // until the first reconciliation (link.go)
	for _, q := range cfg.Queues {
		if err := eng.AddQueue(q); err != nil {
			return nil, fmt.Errorf("router: %w", err)
		}
	}
	for _, a := range cfg.Agents {
		if err := eng.AddAgent(a); err != nil {
			return nil, fmt.Errorf("router: %w", err)
		}
		if err := restoreAgent(eng, a.ID, cfg.LoginAgents, opt.Agents); err != nil {
			return nil, fmt.Errorf("router: %w", err)
		}
	}
	r.metrics = newMetrics(r, opt.Probes.Registerer)
	r.flush()
	r.refreshSnapshot(true)
	// The owner's first turn is queued now, so that the router counts as busy until Run has
	// armed its timers: they run from when Run starts, whenever its goroutine is scheduled.
	r.post(func() {})
	return r, nil
}

// restoreAgent puts a newly added (logged out) agent where it stood when the previous router
// stopped (Agents.LastState); an agent not known there is logged in if loginUnknown.
func restoreAgent(eng *acd.Engine, id string, loginUnknown bool, agents Agents) error {
	st, reason, ok := acd.LoggedOut, "", false
	if agents != nil {
		st, reason, ok = agents.LastState(id)
	}
	switch {
	case !ok && !loginUnknown, ok && st == acd.LoggedOut:
		return nil
	case ok && st == acd.Paused:
		if err := eng.Login(id); err != nil {
			return err
		}
		return eng.Pause(id, reason)
	}
	return eng.Login(id)
}

// Deliver queues an event from Asterisk; it never blocks and never drops.
func (r *Router) Deliver(ev Event) {
	at := time.Now()
	r.post(func() { r.loop.received = at; r.onARI(ev) })
}

// Connected queues a reconciliation: the websocket (re)connected. Offers resume once it
// is done (link.go).
func (r *Router) Connected(attempt int) {
	if r.u.recon.multiNode() {
		NodeSink(r, r.u.lnk.order[0].Name).Connected(attempt)
		return
	}
	r.post(func() {
		r.u.lnk.linkConnected(attempt)
		r.u.recon.reconcile(attempt)
	})
}

// Do runs f with the engine on the owner goroutine and waits for it.
func (r *Router) Do(ctx context.Context, f func(e *acd.Engine) error) error {
	done := make(chan error, 1)
	r.post(func() {
		err := f(r.eng)
		r.flush()
		done <- err
	})
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Reconciliations counts completed reconciliations (for health checks and tests).
func (r *Router) Reconciliations() int64 { return r.u.recon.reconciled.Load() }

// Run is the owner loop; it returns when ctx ends. Timers (the engine's deadlines, a tick
// for the statistics and the dialer) post to the inbox like everything else.
func (r *Router) Run(ctx context.Context) error {
	defer r.loop.stopped.Store(true)
	r.u.lnk.link.ctx = ctx
	go r.u.cbd.dialer.Run(ctx) // its round in flight, if any, ends on its own, as a worker's job does
	every := time.Second
	if d := r.cfg.Dialer.Every; d > 0 && d < every {
		every = d
	}
	var tick func()
	tick = func() { r.loop.sched.tickT = r.u.ex.after(every, func() { r.post(tick) }) }
	tick()
	r.armDeadline()
	defer func() {
		r.loop.sched.tickT.Stop()
		if r.loop.sched.deadlineT != nil {
			r.loop.sched.deadlineT.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.loop.inbox.Ready():
		}
		items := r.loop.inbox.Drain()
		for _, f := range items {
			f()
			r.flush()
		}
		r.refreshSnapshot(false)
		r.u.cbd.dialerTick()
		r.armDeadline()
		r.u.ex.ownerDone()
	}
}

// armDeadline sets the deadline timer for the engine's next deadline, if it changed.
func (r *Router) armDeadline() {
	d, ok := r.eng.NextDeadline()
	if !ok || d.Equal(r.loop.sched.deadline) && r.loop.sched.deadlineT != nil {
		return
	}
	if r.loop.sched.deadlineT != nil {
		r.loop.sched.deadlineT.Stop()
	}
	r.loop.sched.deadline = d
	var t Timer
	t = r.u.ex.after(d.Sub(r.clock.Now()), func() {
		r.post(func() {
			if r.loop.sched.deadlineT == t {
				r.loop.sched.deadlineT = nil
			}
			r.withdrawUnrung()
			r.eng.Tick()
		})
	})
	r.loop.sched.deadlineT = t
}

// flush hands the engine's events to the observers and acts on them.
func (r *Router) flush() {
	for len(r.loop.pending) > 0 {
		ev := r.loop.pending[0]
		r.loop.pending = r.loop.pending[1:]
		for _, o := range r.loop.observers {
			o(ev)
		}
		r.metrics.observe(ev)
		r.onEngine(ev)
	}
}

// Snapshot is a copy of the live statistics, refreshed every second by the owner.
type Snapshot struct {
	At     time.Time
	Queues []acd.QueueStats
	Agents map[acd.AgentState]int
	Calls  int
	Nodes  []NodeStatus // with several nodes, in the configuration's order
}

// NodeStatus is one Asterisk node as the router sees it.
type NodeStatus struct {
	Name   string
	Ready  bool // connected and reconciled
	Calls  int  // the router's calls whose caller is on the node
	Agents int  // logged-in agents whose phone is on the node
}

// Snapshot returns the latest statistics copy.
func (r *Router) Snapshot() *Snapshot { return r.loop.stats.snap.Load() }

func (r *Router) refreshSnapshot(force bool) {
	now := r.clock.Now()
	if !force && now.Sub(r.loop.stats.snapAt) < time.Second {
		return
	}
	r.loop.stats.snapAt = now
	s := &Snapshot{At: now, Agents: map[acd.AgentState]int{}, Calls: len(r.calls)}
	for _, name := range r.eng.Queues() {
		if st, err := r.eng.Stats(name); err == nil {
			s.Queues = append(s.Queues, st)
		}
	}
	for _, id := range r.eng.AgentIDs() {
		if v, ok := r.eng.Agent(id); ok {
			s.Agents[v.State]++
		}
	}
	s.Nodes = r.u.recon.nodeStatus()
	r.loop.stats.snap.Store(s)
}
