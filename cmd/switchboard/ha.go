package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"switchboard/internal/config"
	"switchboard/internal/lease"
	"switchboard/internal/store"
	"switchboard/internal/web"
)

// A router among several (serve -ha, docs/ha.md): it waits as a standby until it takes the
// leader lease in the database, then runs as the daemon does, its writes fenced by its term
// and its ARI requests by its lease; when it loses the lease it exits (exitSteppedDown) and
// its supervisor starts it again, as a standby.

// exitSteppedDown is serve's exit status when the router lost the lease.
const exitSteppedDown = 3

var errNotLeader = errors.New("this router no longer leads")

// haFlags are serve's flags for a router among several.
type haFlags struct {
	on    bool
	name  string
	lease time.Duration
}

// idleInTx ends a leader's transaction left open this long (a frozen leader), so that it does
// not hold up the next take-over.
const idleInTx = 2 * time.Second

// leaseBackend is the store as the elector's backend.
type leaseBackend struct{ st *store.Store }

func (b leaseBackend) Acquire(ctx context.Context, holder string, d time.Duration) (int64, bool, error) {
	l, ok, err := b.st.AcquireLease(ctx, holder, d, 500*time.Millisecond)
	return l.Term, ok, err
}

func (b leaseBackend) Renew(ctx context.Context, holder string, term int64, d time.Duration) error {
	err := b.st.RenewLease(ctx, holder, term, d)
	if errors.Is(err, store.ErrLeaseLost) {
		return fmt.Errorf("%w: %w", lease.ErrLost, err)
	}
	return err
}

// leaderView is what a standby knows of the leader, read from the lease every second.
type leaderView struct {
	holder atomic.Pointer[string]
	term   atomic.Int64
	held   atomic.Bool
}

func (v *leaderView) get() (string, int64, bool) {
	h := v.holder.Load()
	if h == nil {
		return "", v.term.Load(), false
	}
	return *h, v.term.Load(), v.held.Load()
}

func (v *leaderView) read(ctx context.Context, st *store.Store) {
	if l, err := st.CurrentLease(ctx); err == nil {
		v.holder.Store(&l.Holder)
		v.term.Store(l.Term)
		v.held.Store(l.Held)
	}
}

// watch reads the lease every second until ctx ends.
func (v *leaderView) watch(ctx context.Context, st *store.Store) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		v.read(ctx, st)
	}
}

// leaderMetrics are switchboard_leader (1 leads, 0 standby) and switchboard_leader_term.
func leaderMetrics(leading func() bool, term func() int64) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "switchboard_leader",
			Help: "1 while this router leads (holds the leader lease), 0 on a standby."}, func() float64 {
			if leading() {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "switchboard_leader_term",
			Help: "The leader lease's term: this router's while it leads, the leader's as last read on a standby (0 without -ha)."},
			func() float64 { return float64(term()) }),
	}
}

// standby serves the standby's pages until the lease is taken; it returns the term and when
// the winning attempt started, or ctx's error.
func standby(ctx context.Context, cfg *config.Config, base *store.Store, el *lease.Elector, token string, log *slog.Logger) (int64, time.Time, error) {
	var view leaderView
	view.read(ctx, base)
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go view.watch(wctx, base)
	reg := prometheus.NewRegistry()
	reg.MustRegister(leaderMetrics(func() bool { return false }, view.term.Load)...)
	srv := &http.Server{Handler: web.NewStandby(view.get, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), token),
		ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("http: %w", err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	log.Info("standby: waiting for the leader lease", "router", el.Options().Holder, "http", ln.Addr().String())
	return el.Campaign(ctx)
}

// serveHA runs a router among several: standby, then leader until it loses the lease.
func serveHA(ctx context.Context, s serveSession, ha haFlags) int {
	cfg, log := s.cfg, s.log
	if cfg.Database.URL == "" {
		log.Error("-ha needs database.url: the routers share one database")
		return 1
	}
	if ha.name == "" {
		host, _ := os.Hostname()
		ha.name = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	base, err := store.Open(ctx, cfg.Database.URL, log)
	if err != nil {
		log.Error("start", "err", err)
		return 1
	}
	defer base.Close()
	el, err := lease.New(leaseBackend{base}, lease.Options{Holder: ha.name, Duration: ha.lease, Logger: log})
	if err != nil {
		log.Error("start", "err", err)
		return 1
	}
	term, from, err := standby(ctx, cfg, base, el, s.token, log)
	if ctx.Err() != nil {
		return 0 // stopped while standing by
	}
	if err != nil {
		log.Error("standby", "err", err)
		return 1
	}
	lost := make(chan error, 1)
	hctx, stopHold := context.WithCancel(context.Background())
	defer stopHold()
	go func() { lost <- el.Hold(hctx, term, from) }()
	log.Info("leading", "router", ha.name, "term", term)
	d, err := startDaemon(ctx, cfg, daemonOptions{Logger: log, MetricsToken: s.token, Term: term, Leading: el.Leading})
	if err != nil {
		log.Error("start", "err", err)
		_ = base.ReleaseLease(context.Background(), ha.name, term)
		return 1
	}
	code := s.loop(ctx, d, lost)
	if code == exitSteppedDown {
		log.Error("lost the leader lease: stepping down", "term", term)
		return code // at once: no write, no request more; the journal's are refused anyway
	}
	d.close()
	stopHold()
	if err := base.ReleaseLease(context.Background(), ha.name, term); err != nil {
		log.Warn("releasing the lease", "err", err)
	}
	return code
}
