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
	"switchboard/internal/ariemu"
	"switchboard/internal/config"
	lt "switchboard/internal/loadtest"
	"switchboard/internal/pgcluster"
	"switchboard/internal/store"
)

// loadtest runs the router against the in-process ARI emulator at a steady call rate and
// prints the report; the exit status is 1 when a call was lost or an ARI event dropped.
func loadtest(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rate := fs.Float64("rate", 200, "new calls per second")
	duration := fs.Duration("duration", 60*time.Second, "how long callers arrive")
	agents := fs.Int("agents", 1000, "agents, all logged in (endpoints PJSIP/1000 on)")
	talk := fs.Duration("talk", 5*time.Second, "talk time of each call")
	answerAfter := fs.Duration("answer-after", 200*time.Millisecond, "agent phones answer after this delay")
	queues := fs.Int("queues", 1, "queues the agents are spread over")
	asJSON := fs.Bool("json", false, "print one JSON object")
	verbose := fs.Bool("v", false, "log the router's and emulator's warnings to stderr")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	withPops := fs.Bool("pops", false, "connect a screen-pop desktop (SSE over HTTP) per agent and measure offer → pop delivered")
	sessionLimit := fs.Int("session-limit", 0, "HTTP sessions the emulated Asterisk serves at once (0: Asterisk's default 100, -1: no limit)")
	requestCost := fs.Duration("request-cost", 0, "service time of one ARI request on the emulated Asterisk (0: Asterisk's 118µs, -1ns: none)")
	withStore := fs.Bool("store", true, "journal every engine event to PostgreSQL (DATABASE_URL, or a private cluster in a temporary folder)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: switchboard loadtest [-rate 200] [-duration 60s] [-agents 1000] [-talk 5s] [-answer-after 200ms] [-queues 1] [-session-limit 100] [-request-cost 118µs] [-pops] [-json] [-v] [-cpuprofile file]")
		return 2
	}
	opt := lt.Options{Rate: *rate, Duration: *duration, Agents: *agents, Talk: *talk, AnswerAfter: *answerAfter, Queues: *queues, Pops: *withPops,
		Cost: ariemu.Cost{SessionLimit: *sessionLimit, Request: *requestCost}}
	if *verbose {
		opt.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var maxPending int
	if *withStore {
		j, done, err := loadStore(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "loadtest: store:", err)
			return 1
		}
		defer done()
		start := time.Now()
		var recorded atomic.Int64
		opt.Observer = func(ev acd.Event) { recorded.Add(1); j.Record(ev) }
		sample := time.NewTicker(100 * time.Millisecond)
		defer sample.Stop()
		go func() {
			for range sample.C {
				if p := j.Pending(); p > maxPending {
					maxPending = p
				}
			}
		}()
		opt.StoreRate = func() float64 {
			fctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			if err := j.Flush(fctx); err != nil {
				fmt.Fprintln(stderr, "loadtest: store flush:", err)
				return 0
			}
			return float64(recorded.Load()) / time.Since(start).Seconds()
		}
	}
	rep, err := lt.Run(ctx, opt)
	if err != nil {
		fmt.Fprintln(stderr, err)
	}
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(rep); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	} else {
		fmt.Fprint(stdout, rep)
		if *withStore {
			fmt.Fprintf(stdout, "store backlog:   max %d events waiting to be written (sampled every 100 ms)\n", maxPending)
		}
	}
	if err != nil || !rep.OK() {
		return 1
	}
	return 0
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
