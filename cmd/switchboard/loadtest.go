package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync/atomic"
	"syscall"
	"time"

	"switchboard/acd"
	"switchboard/internal/config"
	lt "switchboard/internal/loadtest"
	"switchboard/internal/pgcluster"
	"switchboard/internal/store"
)

// loadtest runs the router against the in-process ARI emulator at a steady call rate and
// prints the report; the exit status is 1 when a call was lost or an ARI event dropped.
func loadtest(args []string, stdout, stderr io.Writer) int {
	f, code := parseLoadFlags(args, stderr)
	if code != 0 {
		return code
	}
	opt := f.opt
	if f.verbose {
		opt.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if f.cpuProfile != "" {
		stop, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer stop()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var probe *storeProbe
	if f.withStore {
		j, done, err := loadStore(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "loadtest: store:", err)
			return 1
		}
		defer done()
		probe = newStoreProbe(ctx, j, stderr)
		defer probe.stop()
		opt.Observer, opt.StoreRate = probe.record, probe.rate
	}
	rep, err := lt.Run(ctx, opt)
	if err != nil {
		fmt.Fprintln(stderr, err)
	}
	if f.asJSON {
		if err := json.NewEncoder(stdout).Encode(rep); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	} else {
		fmt.Fprint(stdout, rep)
		if probe != nil {
			fmt.Fprintf(stdout, "store backlog:   max %d events waiting to be written (sampled every 100 ms)\n", probe.maxPending.Load())
		}
	}
	if err != nil || !rep.OK() {
		return 1
	}
	return 0
}

// loadFlags are the loadtest command's flags.
type loadFlags struct {
	opt                        lt.Options
	asJSON, verbose, withStore bool
	cpuProfile                 string
}

// parseLoadFlags returns the flags, or the exit code of a bad command line (2).
func parseLoadFlags(args []string, stderr io.Writer) (loadFlags, int) {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f loadFlags
	o := &f.opt
	fs.Float64Var(&o.Rate, "rate", 200, "new calls per second")
	fs.DurationVar(&o.Duration, "duration", 60*time.Second, "how long callers arrive")
	fs.IntVar(&o.Agents, "agents", 1000, "agents, all logged in (endpoints PJSIP/1000 on)")
	fs.DurationVar(&o.Talk, "talk", 5*time.Second, "talk time of each call")
	fs.DurationVar(&o.AnswerAfter, "answer-after", 200*time.Millisecond, "agent phones answer after this delay")
	fs.DurationVar(&o.PhoneHangup, "phone-hangup", 0, "agent phones hang up this long after answering, bridged or not (0: they stay until the caller leaves)")
	fs.IntVar(&o.Queues, "queues", 1, "queues the agents are spread over")
	fs.BoolVar(&f.asJSON, "json", false, "print one JSON object")
	fs.BoolVar(&f.verbose, "v", false, "log the router's and emulator's warnings to stderr")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file")
	fs.BoolVar(&o.Pops, "pops", false, "connect a screen-pop desktop (SSE over HTTP) per agent and measure offer → pop delivered")
	fs.IntVar(&o.Cost.SessionLimit, "session-limit", 0, "HTTP sessions the emulated Asterisk serves at once (0: Asterisk's default 100, -1: no limit)")
	fs.DurationVar(&o.Cost.Request, "request-cost", 0, "service time of one ARI request on the emulated Asterisk (0: Asterisk's 118µs, -1ns: none)")
	fs.BoolVar(&f.withStore, "store", true, "journal every engine event to PostgreSQL (DATABASE_URL, or a private cluster in a temporary folder)")
	if err := fs.Parse(args); err != nil {
		return f, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: switchboard loadtest [-rate 200] [-duration 60s] [-agents 1000] [-talk 5s] [-answer-after 200ms] [-phone-hangup 100ms] [-queues 1] [-session-limit 100] [-request-cost 118µs] [-pops] [-json] [-v] [-cpuprofile file]")
		return f, 2
	}
	if o.PhoneHangup < 0 {
		fmt.Fprintf(stderr, "loadtest: -phone-hangup %v: a time after answering cannot be negative\n", o.PhoneHangup)
		return f, 2
	}
	return f, 0
}

// startCPUProfile writes a CPU profile to path until the returned stop.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// storeProbe journals the run's events and measures the store: the rate it writes them at,
// and the largest backlog, sampled every 100 ms.
type storeProbe struct {
	ctx        context.Context
	j          *store.Journal
	stderr     io.Writer
	start      time.Time
	recorded   atomic.Int64
	maxPending atomic.Int64
	sample     *time.Ticker
}

func newStoreProbe(ctx context.Context, j *store.Journal, stderr io.Writer) *storeProbe {
	p := &storeProbe{ctx: ctx, j: j, stderr: stderr, start: time.Now(), sample: time.NewTicker(100 * time.Millisecond)}
	go func() {
		for range p.sample.C {
			if n := int64(j.Pending()); n > p.maxPending.Load() {
				p.maxPending.Store(n)
			}
		}
	}()
	return p
}

func (p *storeProbe) stop() { p.sample.Stop() }

func (p *storeProbe) record(ev acd.Event) { p.recorded.Add(1); p.j.Record(ev) }

// rate waits until everything recorded is written and returns the events written per second.
func (p *storeProbe) rate() float64 {
	fctx, cancel := context.WithTimeout(p.ctx, time.Minute)
	defer cancel()
	if err := p.j.Flush(fctx); err != nil {
		fmt.Fprintln(p.stderr, "loadtest: store flush:", err)
		return 0
	}
	return float64(p.recorded.Load()) / time.Since(p.start).Seconds()
}

// loadStore starts the journal on DATABASE_URL or on a private cluster in a temporary folder.
func loadStore(ctx context.Context) (*store.Journal, func(), error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var cleanup []func()
	done := func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}
	url := os.Getenv(config.EnvDatabaseURL)
	if url == "" {
		dir, err := os.MkdirTemp(pgcluster.TempBase(), "sbload-")
		if err != nil {
			return nil, done, err
		}
		_ = os.Chmod(dir, 0o755)
		cleanup = append(cleanup, func() { os.RemoveAll(dir) })
		cl, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir + "/pg", NoSync: true, Logger: log})
		if err != nil {
			done()
			return nil, func() {}, err
		}
		cleanup = append(cleanup, func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = cl.Stop(sctx)
		})
		url = cl.URL("postgres")
	}
	st, err := store.Open(ctx, url, log)
	if err != nil {
		done()
		return nil, func() {}, err
	}
	cleanup = append(cleanup, st.Close)
	j, err := store.NewJournal(st, store.JournalOptions{Node: "load", Logger: log})
	if err != nil {
		done()
		return nil, func() {}, err
	}
	jctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = j.Run(jctx) }()
	cleanup = append(cleanup, func() { cancel(); <-stopped })
	return j, done, nil
}
