package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/collectors"

	"switchboard/acd"
	"switchboard/crm"
	"switchboard/internal/asterisk"
	"switchboard/internal/config"
	"switchboard/internal/pgcluster"
	"switchboard/internal/router"
	"switchboard/internal/screenpop"
	"switchboard/internal/store"
	"switchboard/internal/web"
	"switchboard/recording"
)

// daemon is a running router: database, journal, ARI link, engine and HTTP.
type daemon struct {
	log *slog.Logger
	cfg *config.Config
	daemonData
	daemonCalls
	daemonLoops
	http     *http.Server
	addr     string
	policies atomic.Pointer[map[string]recording.Policy] // recording policy by queue
	crmLive  atomic.Pointer[crmLive]                     // the crm: section at run time: identification, segments
	metrics  *describedRegistry
	ha       daemonOptions // Term and Leading of a router among several
}

// daemonData is the daemon's database side.
type daemonData struct {
	cluster   *pgcluster.Cluster // the private database, when no URL is set
	store     *store.Store
	journal   *store.Journal
	crm       *store.CRM // customers, tickets, interactions
	callbacks *callbackStore
}

// daemonCalls is the daemon's call side.
type daemonCalls struct {
	router       *router.Router
	events       []*asterisk.Events // one per Asterisk node
	nodes        *asterisk.Nodes    // with several nodes: the requests by node, and their events' sinks
	pops         *screenpop.Hub
	desk         *screenpop.Desk
	interactions *interactions   // call legs of identified customers into their records
	callers      *web.CallerBook // the live calls' numbers and IVR paths, for the wallboard
}

// daemonLoops are the daemon's goroutines (runLoops) and how they end.
type daemonLoops struct {
	cancel    context.CancelFunc
	loops     sync.WaitGroup
	closeOnce sync.Once
	runErrs   chan error
}

type daemonOptions struct {
	Logger       *slog.Logger
	MetricsToken string
	// Term is the leader lease's term of a router among several (serve -ha; 0: a router alone):
	// its writes carry it and are refused once the lease has another. Leading then says
	// whether it still leads; its ARI requests that act are sent only while it does.
	Term    int64
	Leading func() bool
}

// purgeEvery is how often recordings past their queue's retention are purged (and recordings
// left on Asterisk collected); both also run at start.
const purgeEvery = time.Hour

// startDaemon brings everything up; it returns once the HTTP server listens.
func startDaemon(ctx context.Context, cfg *config.Config, opt daemonOptions) (*daemon, error) {
	d := &daemon{log: opt.Logger, cfg: cfg, daemonLoops: daemonLoops{runErrs: make(chan error, 4)}, ha: opt}
	ok := false
	defer func() {
		if !ok {
			d.close()
		}
	}()
	if err := d.openStore(ctx, cfg); err != nil {
		return nil, err
	}
	st := d.store
	reg := newDescribedRegistry()
	d.metrics = reg
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(store.NewCallbackCollector(st, 2*time.Second))
	reg.MustRegister(leaderMetrics(d.leading, func() int64 { return opt.Term })...)
	j, err := store.NewJournal(st, store.JournalOptions{Node: cfg.Node, Logger: d.log, Registerer: reg})
	if err != nil {
		return nil, err
	}
	d.journal = j
	d.callbacks = newCallbackStore(st, cfg)
	d.interactions = newInteractions(d.crm, d.log)
	d.callers = web.NewCallerBook()
	d.pops = screenpop.New(screenpop.Options{Logger: d.log, Registerer: reg, Enrichers: []screenpop.Enricher{
		screenpop.Recordings{Index: st}, crm.CustomerPop{Directory: d.crmDirectory, Local: d.crm, IsNotFound: store.IsNotFound}}})
	d.desk = &screenpop.Desk{Hub: d.pops, Store: st, Node: cfg.Node, Dispositions: cfg.Dispositions,
		Callbacks: cfg.Callbacks.Policy(""), Tickets: d.crm}
	if err := d.startRouter(ctx, cfg, reg); err != nil {
		return nil, err
	}
	d.setPolicies(cfg)
	if d.nodes == nil {
		d.events = []*asterisk.Events{asterisk.NewEvents(asterisk.EventsOptions{Types: router.EventTypes(), URL: cfg.ARI.URL, App: cfg.ARI.App, Username: cfg.ARI.User,
			Password: cfg.ARI.Password, Logger: d.log, Registerer: reg}, d.router)}
	}
	for _, n := range multiNodes(cfg) {
		d.events = append(d.events, asterisk.NewEvents(asterisk.EventsOptions{Types: router.EventTypes(), URL: n.URL, App: n.App, Username: n.User,
			Password: n.Password, Logger: d.log, Registerer: reg, Node: n.Name}, d.nodes.Sink(n.Name, router.NodeSink(d.router, n.Name))))
	}

	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	d.addr = ln.Addr().String()
	d.http = d.webServer(cfg, opt)
	d.runLoops()
	go func() {
		if err := d.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.runErrs <- fmt.Errorf("http: %w", err)
		}
	}()
	ok = true
	return d, nil
}

// openStore opens the database (a private cluster when no URL is set), the customer records
// and the crm: section's run-time side, and keeps the configuration's snapshot.
func (d *daemon) openStore(ctx context.Context, cfg *config.Config) error {
	dbURL := cfg.Database.URL
	if dbURL == "" {
		// The cluster folder inside is private to the database user; its parent must let that
		// user (not root, when run as root) through.
		if err := os.MkdirAll(cfg.Database.DataDir, 0o755); err != nil {
			return fmt.Errorf("data folder: %w", err)
		}
		dir := filepath.Join(cfg.Database.DataDir, "pg")
		cl, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir, Logger: d.log})
		if err != nil {
			return fmt.Errorf("private database in %s: %w", dir, err)
		}
		d.cluster = cl
		dbURL = cl.URL("postgres")
		d.log.Info("private database running", "cluster", cl)
	}
	st, err := store.Open(ctx, dbURL, d.log)
	if err == nil && d.ha.Term > 0 {
		st.Close() // migrated; the leader's connections carry its term
		st, err = store.OpenFenced(ctx, dbURL, d.ha.Term, idleInTx, d.log)
	}
	if err != nil {
		return err
	}
	d.store = st
	d.crm = st.CRM(crmOptions(cfg.CRM))
	live, err := newCRMLive(cfg.CRM, d.crm, d.log)
	if err != nil {
		return err
	}
	d.crmLive.Store(live)
	_, err = st.SaveConfigSnapshot(ctx, cfg.Snapshot())
	return err
}

// startRouter builds the router on the store: agents come back as they were when the previous
// router on this node stopped, with what they asked for and had not yet taken.
func (d *daemon) startRouter(ctx context.Context, cfg *config.Config, reg *describedRegistry) error {
	st := d.store
	rcfg, err := routerConfig(cfg)
	if err != nil {
		return err
	}
	if rcfg.Agents, err = withOverrides(ctx, st, rcfg, d.log); err != nil {
		return err
	}
	recDir, shared := cfg.RecordingsDir(), cfg.Recordings.SharedDir // SharedDir: set only with fetch shared
	if abs, err := filepath.Abs(recDir); err == nil {
		recDir = abs // the index keeps paths; they must not depend on the working folder
	}
	// Agents come back as they were when the previous router on this node stopped (an open
	// interval: logged in; none open: logged out); the agents_login setting decides for the others.
	last, err := st.LastAgentStates(ctx, cfg.Node)
	if err != nil {
		return err
	}
	// A pause or logout asked during a call and not yet taken is taken after it still.
	asked, err := st.PendingAgentRequests(ctx, cfg.Node)
	if err != nil {
		return err
	}
	ds := daemonStore{st: st, node: cfg.Node, last: last, asked: asked, journal: d.journal}
	tel, err := d.telephony(cfg, reg)
	if err != nil {
		return err
	}
	ropt := routerOptions(cfg)
	ropt.Logger, ropt.Probes.Registerer = d.log, reg
	ropt.Observers = []func(acd.Event){d.journal.Record, d.pops.Observe, d.interactions.Observe, d.callers.Observe}
	ropt.Callback, ropt.Callbacks = d.callbacks.ivrCallback, d.callbacks
	ropt.Agents, ropt.Journal = ds, ds // calls that ended while the router was away are closed
	ropt.Lookups.Lookup, ropt.Lookups.Classify = ivrLookup(d.crmLive.Load), classifier(d.crmLive.Load)
	ropt.CSAT = ds.csat
	ropt.Recordings = router.RecordingOptions{Dir: recDir, Shared: shared, Index: ds.recorded}
	r, err := router.New(rcfg, tel, ropt)
	if err != nil {
		return err
	}
	d.router = r
	return nil
}

// telephony is the router's ARI requests: one node's REST, or the nodes' (asterisk.Nodes),
// each node's fenced behind the lease of a router among several.
func (d *daemon) telephony(cfg *config.Config, reg *describedRegistry) (router.Telephony, error) {
	fence := func(rest *asterisk.REST) router.Telephony {
		if d.ha.Leading != nil {
			return newLeaderTel(rest, d.ha.Leading, d.log)
		}
		return rest
	}
	nodes := multiNodes(cfg)
	if nodes == nil {
		return fence(asterisk.NewREST(asterisk.RESTOptions{URL: cfg.ARI.URL, App: cfg.ARI.App, Username: cfg.ARI.User, Password: cfg.ARI.Password, MaxConns: cfg.ARI.MaxConns, Registerer: reg})), nil
	}
	var clients []asterisk.NodeClient
	for _, n := range nodes {
		clients = append(clients, asterisk.NodeClient{NodeConfig: router.NodeConfig{Name: n.Name, Trunk: n.Trunk, DownAfter: n.DownAfter, DeskPhones: n.DeskEndpoints},
			Tel: fence(asterisk.NewREST(asterisk.RESTOptions{URL: n.URL, App: n.App, Username: n.User, Password: n.Password,
				MaxConns: n.MaxConns, Registerer: reg}))})
	}
	ns, err := asterisk.NewNodes(clients, phoneNodes(cfg))
	if err != nil {
		return nil, err
	}
	d.nodes = ns
	return ns, nil
}

// phoneNodes says which node each configured phone is on: an agent's endpoint (and browser
// phone) is on the agent's node:.
func phoneNodes(cfg *config.Config) map[string]string {
	m := map[string]string{}
	for _, a := range cfg.Agents {
		m[a.Endpoint] = cfg.NodeOf(a.ID)
		if cfg.Softphone != nil {
			m[cfg.Softphone.AgentEndpoint(a.ID)] = cfg.NodeOf(a.ID)
		}
	}
	return m
}

// multiNodes are the nodes of a router over several, nil with one.
func multiNodes(cfg *config.Config) []config.Node {
	if len(cfg.Nodes) < 2 {
		return nil
	}
	return cfg.Nodes
}

// ariConnected: the event websocket of at least one node is up.
func (d *daemon) ariConnected() bool {
	for _, e := range d.events {
		if e.IsConnected() {
			return true
		}
	}
	return false
}

// leading: a router alone always leads; one among several while it holds the lease.
func (d *daemon) leading() bool { return d.ha.Leading == nil || d.ha.Leading() }

// webServer builds the HTTP side on the store, the router and the screen pop (webwire.go).
func (d *daemon) webServer(cfg *config.Config, opt daemonOptions) *http.Server {
	return web.NewServer(d.webOptions(cfg, opt.MetricsToken))
}

// runLoops starts the daemon's goroutines; close stops them.
func (d *daemon) runLoops() {
	runCtx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	run := func(name string, f func(context.Context) error) {
		d.loops.Add(1)
		go func() {
			defer d.loops.Done()
			if err := f(runCtx); err != nil {
				d.runErrs <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	run("journal", d.journal.Run)
	run("interactions", d.interactions.Run)
	run("router", d.router.Run)
	run("screen pop", d.pops.Run)
	for _, e := range d.events {
		run("ari events", e.Run)
	}
	run("recording sweep", d.sweepRecordings)
	run("recording purge", d.purgeLoop)
}

// sweepRecordings collects the recordings left on Asterisk (a failed fetch or index write, a
// finish while the router was away) once the router has reconciled, then hourly.
func (d *daemon) sweepRecordings(ctx context.Context) error {
	r := d.router
	for r.Reconciliations() == 0 {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
	for {
		if n, err := r.CollectStored(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("recording sweep", "collected", n, "err", err)
		} else if n > 0 {
			d.log.Info("recording sweep done", "collected", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(purgeEvery):
		}
	}
}

// purgeLoop purges the recordings past their queue's retention, at start and hourly.
func (d *daemon) purgeLoop(ctx context.Context) error {
	for {
		n, err := d.purgeRecordings(ctx, time.Now())
		if err != nil && ctx.Err() == nil {
			d.log.Error("recording purge", "purged", n, "err", err)
		} else if n > 0 {
			d.log.Info("recording purge done", "purged", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(purgeEvery):
		}
	}
}

// daemonStore answers the router's questions to the store: it is the router's Agents and
// Journal, and indexes recordings and keeps survey scores.
type daemonStore struct {
	st      *store.Store
	node    string
	last    map[string]store.AgentInterval
	asked   map[string]store.AgentRequest
	journal *store.Journal
}

var (
	_ router.Agents  = daemonStore{}
	_ router.Journal = daemonStore{}
)

// LastState says where an agent stood when the previous router stopped.
func (ds daemonStore) LastState(id string) (acd.AgentState, string, bool) {
	iv, ok := ds.last[id]
	switch {
	case !ok:
		return 0, "", false
	case !iv.EndedAt.IsZero():
		return acd.LoggedOut, "", true
	case iv.State == acd.Paused.String():
		return acd.Paused, iv.Reason, true
	}
	return acd.Available, "", true // available, or busy with a call reconciliation re-adopts
}

// KeepRequest keeps what an agent asked for during a call (nil: nothing).
func (ds daemonStore) KeepRequest(ctx context.Context, agent string, req *router.AgentRequest) error {
	if req == nil {
		return ds.st.DropAgentRequest(ctx, ds.node, agent)
	}
	return ds.st.SaveAgentRequest(ctx, store.AgentRequest{Node: ds.node, Agent: agent, State: req.State.String(),
		Reason: req.Reason, CallID: req.Call, AskedAt: req.At})
}

// PendingRequest says what an agent was waiting for when the previous router stopped.
func (ds daemonStore) PendingRequest(agent string) (router.AgentRequest, bool) {
	p, ok := ds.asked[agent]
	if !ok {
		return router.AgentRequest{}, false
	}
	state := acd.Paused
	if p.State == acd.LoggedOut.String() {
		state = acd.LoggedOut
	}
	return router.AgentRequest{State: state, Reason: p.Reason, Call: p.CallID, At: p.AskedAt}, true
}

// Recall finds a call's queue and place in the store (a queued call that is still open).
func (ds daemonStore) Recall(id string) (router.Recalled, bool) {
	rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := ds.st.Call(rctx, id)
	if err != nil || c.EnqueuedAt.IsZero() || c.Outcome != "" {
		return router.Recalled{}, false
	}
	return router.Recalled{Queue: c.Queue, Priority: c.Priority, EnqueuedAt: c.EnqueuedAt}, true
}

// Reconciled closes the calls that ended while the router was away.
func (ds daemonStore) Reconciled(live []string, at time.Time) { ds.journal.Reconciled(live, at) }

func (ds daemonStore) csat(ctx context.Context, c router.CSAT) error {
	return ds.st.SaveCSAT(ctx, store.CSAT{CallID: c.CallID, Agent: c.Agent, Queue: c.Queue, Score: c.Score, At: c.At})
}

// recorded indexes a finished recording, with what the store knows of its call.
func (ds daemonStore) recorded(rec router.Recorded) error {
	ictx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fillFromCall(ictx, ds.st, &rec)
	return ds.st.IndexRecording(ictx, rec)
}

// reload applies a changed configuration file; calls stay up.
func (d *daemon) reload(ctx context.Context, cfg *config.Config) error {
	rcfg, err := routerConfig(cfg)
	if err != nil {
		return err
	}
	if rcfg.Agents, err = withOverrides(ctx, d.store, rcfg, d.log); err != nil {
		return err
	}
	live, err := newCRMLive(cfg.CRM, d.crm, d.log)
	if err != nil {
		return err
	}
	if err := d.router.Reload(ctx, rcfg); err != nil {
		return err
	}
	d.crmLive.Store(live) // segments, the external CRM and the reopen window; home_country at the next start
	if _, err := d.store.SaveConfigSnapshot(ctx, cfg.Snapshot()); err != nil {
		return err
	}
	if cfg.Recordings != d.cfg.Recordings {
		d.log.Warn("recordings: section changed; it applies at the next start")
	}
	if !reflect.DeepEqual(cfg.HTTP, d.cfg.HTTP) {
		d.log.Warn("http: section changed; it applies at the next start")
	}
	d.cfg = cfg
	d.callbacks.cfg.Store(cfg)
	d.setPolicies(cfg)
	d.desk.SetDispositions(cfg.Dispositions)
	return nil
}

// purgeRecordings deletes the recordings past their queue's retention; a queue no longer in
// the configuration keeps config.DefaultRetention.
func (d *daemon) purgeRecordings(ctx context.Context, now time.Time) (int, error) {
	keep := map[string]time.Duration{}
	for q, p := range *d.policies.Load() {
		keep[q] = p.Keep
	}
	return d.store.PurgeRecordings(ctx, now, keep, config.DefaultRetention, d.log)
}

// fillFromCall completes what the router no longer knew of a recording's call (a recording
// collected after the call was gone) from the call record: queue, agent, caller number, and the
// answer time as the start.
func fillFromCall(ctx context.Context, st *store.Store, rec *router.Recorded) {
	if rec.Queue != "" && rec.Agent != "" && !rec.Started.IsZero() {
		return
	}
	if c, err := st.Call(ctx, rec.CallID); err == nil {
		if rec.Queue == "" {
			rec.Queue = c.Queue
		}
		if rec.Agent == "" {
			rec.Agent = c.Agent
		}
		if rec.Number == "" {
			rec.Number = c.CallerNumber
		}
		if rec.Started.IsZero() {
			rec.Started = c.AnsweredAt
		}
	}
	if rec.Started.IsZero() {
		rec.Started = time.Now().Add(-rec.Duration)
	}
}

// setPolicies keeps the queues' recording policies for on-demand requests and the purge.
func (d *daemon) setPolicies(cfg *config.Config) {
	m := map[string]recording.Policy{}
	for name, media := range cfg.Media {
		m[name] = recording.Policy{Mode: recording.Mode(media.Recording.Policy), Sample: media.Recording.Sample, Keep: media.Recording.Retention}
	}
	d.policies.Store(&m)
}

// close stops everything, the journal writing what it holds first. Calling it again does nothing.
func (d *daemon) close() { d.closeOnce.Do(d.shutdown) }

func (d *daemon) shutdown() {
	if d.http != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_ = d.http.Shutdown(sctx)
		cancel()
	}
	if d.cancel != nil {
		d.cancel()
		d.loops.Wait() // the journal writes what it holds before its Run returns
	}
	if d.router != nil {
		d.router.WaitRecordings() // recordings being fetched are indexed before the store closes
	}
	if d.store != nil {
		d.store.Close()
	}
	if d.cluster != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := d.cluster.Stop(sctx); err != nil {
			d.log.Warn("stopping the private database", "err", err)
		}
		cancel()
	}
}

// routerConfig maps the configuration file onto the router's.
// routerOptions are the router's options the config decides; the daemon adds its hooks.
func routerOptions(cfg *config.Config) router.Options {
	return router.Options{Location: cfg.TimeZone, Lookups: router.Lookups{LookupTimeout: cfg.IVR.LookupTimeout}}
}

func routerConfig(cfg *config.Config) (router.Config, error) {
	rc := router.Config{
		Node: cfg.Node, App: cfg.ARI.App, Queues: cfg.Queues, Agents: cfg.Agents, LoginAgents: cfg.AgentsLogin == config.AgentsLoginAll,
		DeskEndpoints: deskPhones(cfg),
		Settings:      map[string]router.QueueSettings{}, DIDs: map[string]router.Route{},
		IVR:    router.IVRSettings{TransferContext: cfg.IVR.TransferContext, SecureTimeout: cfg.IVR.SecureTimeout},
		Dialer: dialerConfig(cfg.Callbacks),
	}
	if cfg.IVR.SecurePrompt != "" {
		rc.IVR.SecurePrompt = "sound:" + cfg.IVR.SecurePrompt
	}
	for name, m := range cfg.Media {
		s := router.QueueSettings{AnnounceEvery: m.Announce.Every, AnnouncePosition: m.Announce.Position,
			AnnounceWait: m.Announce.Wait, MOH: m.MOH, MissedAfter: cfg.Callbacks.Queues[name].MissedAfter}
		if m.Recording.Notice != "" {
			s.RecordingNotice = "sound:" + m.Recording.Notice
		}
		switch m.Recording.Policy {
		case config.RecordAlways:
			s.RecordShare = 1
		case config.RecordSample:
			s.RecordShare = m.Recording.Sample
		}
		if flow := cfg.IVR.Surveys[name]; flow != "" {
			s.Survey = cfg.Flows[flow]
		}
		rc.Settings[name] = s
	}
	for _, did := range cfg.DIDs {
		route := router.Route{Queue: did.Queue, Priority: did.Priority, Skills: did.Skills}
		if did.Flow != "" {
			f := cfg.Flows[did.Flow]
			if f == nil {
				return rc, fmt.Errorf("did %s: flow %s not found", did.Number, did.Flow)
			}
			route.Flow = f
		}
		if h := cfg.Hours[did.Hours]; did.Hours != "" && h != nil {
			route.Open = h.Open
			route.ClosedQueue, route.ClosedMessage = h.Closed.Queue, h.Closed.Message
			route.ClosedCallback = cfg.Callbacks.Queues[did.Queue].AfterHours
		}
		rc.DIDs[did.Number] = route
	}
	return rc, nil
}

func newLogger(cfg config.Log, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.Level}
	if cfg.Format == config.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
