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
	"switchboard/internal/store"
	"switchboard/internal/web"
	"switchboard/ivr"
	"switchboard/ivr/callback"
	"switchboard/recording"
)

// daemon is a running router: database, journal, ARI link, engine and HTTP.
type daemon struct {
	log       *slog.Logger
	cfg       *config.Config
	cluster   *pgcluster.Cluster
	store     *store.Store
	journal   *store.Journal
	router    *router.Router
	events    *asterisk.Events
	http      *http.Server
	addr      string
	cancel    context.CancelFunc
	loops     sync.WaitGroup
	closeOnce sync.Once
	runErrs   chan error
	loginAll  bool
	policies  atomic.Pointer[map[string]recording.Policy] // recording policy by queue
	metrics   *describedRegistry
}

type daemonOptions struct {
	Logger       *slog.Logger
	MetricsToken string
	LoginAgents  bool // until agents log in from their desktop (issue 6), every agent starts logged in
	// RecordingsDir is the recording store's folder; default <data dir>/recordings.
	RecordingsDir string
	// RecordingsShared is Asterisk's recording folder mounted here (read instead of fetching
	// over ARI); "": over ARI. The configuration file has no key for it yet.
	RecordingsShared string
}

// Recording retention: the configuration has no per-queue retention yet, so every queue keeps
// its recordings this long; the purge job runs at start and then every purgeEvery.
const (
	defaultRecordingRetention = 90 * 24 * time.Hour
	purgeEvery                = time.Hour
	recordingNotice           = "sound:beep" // played to the caller when a recording starts
)

// startDaemon brings everything up; it returns once the HTTP server listens.
func startDaemon(ctx context.Context, cfg *config.Config, opt daemonOptions) (*daemon, error) {
	d := &daemon{log: opt.Logger, cfg: cfg, runErrs: make(chan error, 4), loginAll: opt.LoginAgents}
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
	rcfg, err := routerConfig(cfg, opt.LoginAgents)
	if err != nil {
		return nil, err
	}
	recDir := opt.RecordingsDir
	if recDir == "" {
		recDir = filepath.Join(cfg.Database.DataDir, "recordings")
	}
	if abs, err := filepath.Abs(recDir); err == nil {
		recDir = abs // the index keeps paths; they must not depend on the working folder
	}
	last, err := st.LastAgentStates(ctx, cfg.Node)
	if err != nil {
		return nil, err
	}
	rest := asterisk.NewREST(asterisk.RESTOptions{URL: cfg.ARI.URL, App: cfg.ARI.App, Username: cfg.ARI.User, Password: cfg.ARI.Password})
	r, err := router.New(rcfg, rest, router.Options{
		Logger: d.log, Registerer: reg, Observers: []func(acd.Event){j.Record},
		CallInfo: func(id, number, did string) { j.CallInfo(id, number, did, nil) },
		Callback: func(callID string, cb ivr.Callback, at time.Time) error {
			// No callback section in the configuration yet: numbers must come in E.164 (the
			// IVR lets a caller with another format enter one), three attempts within a day.
			policy := callback.Policy{AllowInternational: true, MaxAttempts: callback.DefaultMaxAttempts, Expiry: 24 * time.Hour}
			number, err := policy.Number(cb.Number)
			if err != nil {
				return err
			}
			cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _, err = st.RequestCallback(cctx, store.CallbackRequest{Node: cfg.Node, Number: number, Queue: cb.Queue,
				Priority: cb.Priority, EnqueuedAt: at, Reason: callback.Offered, CallID: callID,
				MaxAttempts: policy.Attempts(), ExpiresAt: policy.ExpiresAt(at), Data: cb.Data})
			return err
		},
		AgentState: func(id string) (acd.AgentState, string, bool) {
			iv, ok := last[id]
			switch {
			case !ok:
				return 0, "", false
			case !iv.EndedAt.IsZero():
				return acd.LoggedOut, "", true
			case iv.State == acd.Paused.String():
				return acd.Paused, iv.Reason, true
			}
			return 0, "", false
		},
		Recall: func(id string) (router.Recalled, bool) {
			rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			c, err := st.Call(rctx, id)
			if err != nil || c.EnqueuedAt.IsZero() || c.Outcome != "" {
				return router.Recalled{}, false
			}
			return router.Recalled{Queue: c.Queue, Priority: c.Priority, EnqueuedAt: c.EnqueuedAt}, true
		},
		RecordingsDir: recDir, RecordingsShared: opt.RecordingsShared,
		Recorded: func(rec router.Recorded) error {
			ictx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			fillFromCall(ictx, st, &rec)
			return st.IndexRecording(ictx, rec)
		},
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
	d.http = &http.Server{Handler: web.Handler(web.Options{
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
		Accounts:   st,
		Reports:    st,
		RecordCall: func(ctx context.Context, agent, call string) error {
			return r.RecordOnDemand(ctx, call, agent, func(queue string) bool { return (*d.policies.Load())[queue].OnRequest() })
		},
		Logger: d.log,
	}), ReadHeaderTimeout: 10 * time.Second}

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
	run("router", r.Run)
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
			n, err := st.PurgeRecordings(ctx, time.Now(), nil, defaultRecordingRetention, d.log)
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
	rcfg, err := routerConfig(cfg, d.loginAll)
	if err != nil {
		return err
	}
	if err := d.router.Reload(ctx, rcfg); err != nil {
		return err
	}
	if _, err := d.store.SaveConfigSnapshot(ctx, cfg.Snapshot()); err != nil {
		return err
	}
	d.cfg = cfg
	d.setPolicies(cfg)
	return nil
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

// setPolicies keeps the queues' recording policies for on-demand requests.
func (d *daemon) setPolicies(cfg *config.Config) {
	m := map[string]recording.Policy{}
	for name, media := range cfg.Media {
		m[name] = recording.Policy{Mode: recording.Mode(media.Recording.Policy), Sample: media.Recording.Sample, Keep: defaultRecordingRetention}
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
func routerConfig(cfg *config.Config, loginAgents bool) (router.Config, error) {
	rc := router.Config{
		Node: cfg.Node, App: cfg.ARI.App, Queues: cfg.Queues, Agents: cfg.Agents, LoginAgents: loginAgents,
		Settings: map[string]router.QueueSettings{}, DIDs: map[string]router.Route{},
	}
	for name, m := range cfg.Media {
		s := router.QueueSettings{AnnounceEvery: m.Announce.Every, AnnouncePosition: m.Announce.Position,
			AnnounceWait: m.Announce.Wait, MOH: m.MOH, RecordingNotice: recordingNotice}
		switch m.Recording.Policy {
		case config.RecordAlways:
			s.RecordShare = 1
		case config.RecordSample:
			s.RecordShare = m.Recording.Sample
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
