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
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"switchboard/acd"
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
	log          *slog.Logger
	cfg          *config.Config
	cluster      *pgcluster.Cluster
	store        *store.Store
	journal      *store.Journal
	router       *router.Router
	pops         *screenpop.Hub
	desk         *screenpop.Desk
	events       *asterisk.Events
	http         *http.Server
	addr         string
	cancel       context.CancelFunc
	loops        sync.WaitGroup
	closeOnce    sync.Once
	runErrs      chan error
	policies     atomic.Pointer[map[string]recording.Policy] // recording policy by queue
	crm          *store.CRM                                  // customers, tickets, interactions
	interactions *interactions                               // call legs of identified customers into their records
	crmLive      atomic.Pointer[crmLive]                     // the crm: section at run time: identification, segments

	callbacks *callbackStore
	metrics   *describedRegistry
}

type daemonOptions struct {
	Logger       *slog.Logger
	MetricsToken string
}

// purgeEvery is how often recordings past their queue's retention are purged (and recordings
// left on Asterisk collected); both also run at start.
const purgeEvery = time.Hour

// startDaemon brings everything up; it returns once the HTTP server listens.
func startDaemon(ctx context.Context, cfg *config.Config, opt daemonOptions) (*daemon, error) {
	d := &daemon{log: opt.Logger, cfg: cfg, runErrs: make(chan error, 4)}
	ok := false
	defer func() {
		if !ok {
			d.close()
		}
	}()
	dbURL := cfg.Database.URL
	if dbURL == "" {
		// The cluster folder inside is private to the database user; its parent must let that
		// user (not root, when run as root) through.
		if err := os.MkdirAll(cfg.Database.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("data folder: %w", err)
		}
		dir := filepath.Join(cfg.Database.DataDir, "pg")
		cl, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir, Logger: d.log})
		if err != nil {
			return nil, fmt.Errorf("private database in %s: %w", dir, err)
		}
		d.cluster = cl
		dbURL = cl.URL("postgres")
		d.log.Info("private database running", "cluster", cl)
	}
	st, err := store.Open(ctx, dbURL, d.log)
	if err != nil {
		return nil, err
	}
	d.store = st
	d.crm = st.CRM(crmOptions(cfg.CRM))
	live, err := newCRMLive(cfg.CRM, d.crm, d.log)
	if err != nil {
		return nil, err
	}
	d.crmLive.Store(live)
	if _, err := st.SaveConfigSnapshot(ctx, cfg.Snapshot()); err != nil {
		return nil, err
	}
	reg := newDescribedRegistry()
	d.metrics = reg
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(store.NewCallbackCollector(st, 2*time.Second))
	j, err := store.NewJournal(st, store.JournalOptions{Node: cfg.Node, Logger: d.log, Registerer: reg})
	if err != nil {
		return nil, err
	}
	d.journal = j
	rcfg, err := routerConfig(cfg)
	if err != nil {
		return nil, err
	}
	if rcfg.Agents, err = withOverrides(ctx, st, rcfg, d.log); err != nil {
		return nil, err
	}
	recDir, shared := cfg.RecordingsDir(), cfg.Recordings.SharedDir // SharedDir: set only with fetch shared
	if abs, err := filepath.Abs(recDir); err == nil {
		recDir = abs // the index keeps paths; they must not depend on the working folder
	}
	// Agents come back as they were when the previous router on this node stopped (an open
	// interval: logged in; none open: logged out); the agents_login setting decides for the others.
	last, err := st.LastAgentStates(ctx, cfg.Node)
	if err != nil {
		return nil, err
	}
	// A pause or logout asked during a call and not yet taken is taken after it still.
	asked, err := st.PendingAgentRequests(ctx, cfg.Node)
	if err != nil {
		return nil, err
	}
	cbs := newCallbackStore(st, cfg)
	d.callbacks = cbs
	d.interactions = newInteractions(d.crm, d.log)
	hub := screenpop.New(screenpop.Options{Logger: d.log, Registerer: reg, Enrichers: []screenpop.Enricher{
		screenpop.Recordings{Index: st}, crmEnricher{live: d.crmLive.Load, local: d.crm}}})
	d.pops = hub
	d.desk = &screenpop.Desk{Hub: hub, Store: st, Node: cfg.Node, Dispositions: cfg.Dispositions,
		Callbacks: cfg.Callbacks.Policy(""), Tickets: d.crm}
	rest := asterisk.NewREST(asterisk.RESTOptions{URL: cfg.ARI.URL, App: cfg.ARI.App, Username: cfg.ARI.User, Password: cfg.ARI.Password, MaxConns: cfg.ARI.MaxConns, Registerer: reg})
	r, err := router.New(rcfg, rest, router.Options{
		Logger: d.log, Registerer: reg, Observers: []func(acd.Event){j.Record, hub.Observe, d.interactions.Observe},
		CallInfo: func(id, number, did string) {
			j.CallInfo(id, number, did, nil)
			hub.CallInfo(id, number, did)
			d.interactions.CallInfo(id, number)
		},
		CallGone: j.CallGone, // a call that never queued: ended by its caller or by the router
		IVRRouted: func(id string, path []router.IVRStep, data map[string]string) {
			j.CallInfo(id, "", "", data) // the call's data (IVR inputs, customer, segment) on its row
			hub.Routed(id, path, data)
			d.interactions.Routed(id, data)
		},
		Callback: cbs.ivrCallback, Callbacks: cbs,
		Agents:  agentMemory{st: st, node: cfg.Node, last: last, asked: asked},
		Journal: callMemory{st: st, j: j}, // calls that ended while the router was away are closed
		Lookups: router.Lookups{LookupTimeout: cfg.IVR.LookupTimeout,
			Lookup: ivrLookup(d.crmLive.Load), Classify: classifier(d.crmLive.Load)},
		CSAT: func(ctx context.Context, c router.CSAT) error {
			return st.SaveCSAT(ctx, store.CSAT{CallID: c.CallID, Agent: c.Agent, Queue: c.Queue, Score: c.Score, At: c.At})
		},
		Recordings: router.RecordingOptions{Dir: recDir, Shared: shared, Index: func(rec router.Recorded) error {
			ictx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			fillFromCall(ictx, st, &rec)
			return st.IndexRecording(ictx, rec)
		}},
	})
	if err != nil {
		return nil, err
	}
	d.router = r
	d.setPolicies(cfg)
	d.events = asterisk.NewEvents(asterisk.EventsOptions{Types: router.EventTypes(), URL: cfg.ARI.URL, App: cfg.ARI.App, Username: cfg.ARI.User,
		Password: cfg.ARI.Password, Logger: d.log, Registerer: reg}, r)

	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	d.addr = ln.Addr().String()
	d.http = web.NewServer(web.Options{
		Checks: []web.Check{
			{Name: "ari", OK: d.events.IsConnected},
			{Name: "reconciled", OK: func() bool { return r.Reconciliations() > 0 }},
			{Name: "store", OK: j.Healthy},
		},
		Metrics:      promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		MetricsToken: opt.MetricsToken,
		Users:        st,
		Live: func() web.Live {
			s := r.Snapshot()
			return web.Live{At: s.At, Queues: s.Queues, Agents: s.Agents}
		},
		Recordings: st,
		CRM:        d.crm,
		Callbacks:  st,
		Accounts:   st,
		KPIs:       ticketKPIs(d.crm, d.crmLive.Load),
		Reports:    st,
		RecordCall: func(ctx context.Context, agent, call string) error {
			return r.RecordOnDemand(ctx, call, agent, func(queue string) bool { return (*d.policies.Load())[queue].OnRequest() })
		},
		Secure:   r,
		Pops:     hub,
		Desk:     d.desk,
		Desktop:  deskRouter{r, st},
		AgentDay: st.AgentDay,
		CallbacksPending: func(ctx context.Context) (map[string]int, error) {
			counts, err := st.CallbackCounts(ctx)
			out := map[string]int{}
			for q, byState := range counts {
				for _, n := range byState {
					out[q] += n
				}
			}
			return out, err
		},
		Logger:         d.log,
		Limits:         web.LimitsOf(cfg.HTTP),
		PublicURL:      cfg.HTTP.PublicURL,
		TrustedProxies: cfg.HTTP.TrustedProxies,
	})

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
	run("journal", j.Run)
	run("interactions", d.interactions.Run)
	run("router", r.Run)
	run("screen pop", hub.Run)
	run("ari events", d.events.Run)
	run("recording sweep", func(ctx context.Context) error {
		// Recordings left on Asterisk (a failed fetch or index write, a finish while the
		// router was away) are collected once the router has reconciled, then hourly.
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
	})
	run("recording purge", func(ctx context.Context) error {
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
	})
	go func() {
		if err := d.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.runErrs <- fmt.Errorf("http: %w", err)
		}
	}()
	ok = true
	return d, nil
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
func routerConfig(cfg *config.Config) (router.Config, error) {
	rc := router.Config{
		Node: cfg.Node, App: cfg.ARI.App, Queues: cfg.Queues, Agents: cfg.Agents, LoginAgents: cfg.AgentsLogin == config.AgentsLoginAll,
		DeskEndpoints: deskPhones(cfg),
		Settings:      map[string]router.QueueSettings{}, DIDs: map[string]router.Route{},
		TransferContext: cfg.IVR.TransferContext, SecureTimeout: cfg.IVR.SecureTimeout,
		Dialer: dialerConfig(cfg.Callbacks),
	}
	if cfg.IVR.SecurePrompt != "" {
		rc.SecurePrompt = "sound:" + cfg.IVR.SecurePrompt
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
