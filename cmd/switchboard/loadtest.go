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
	"syscall"
	"time"

	lt "switchboard/internal/loadtest"
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
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: switchboard loadtest [-rate 200] [-duration 60s] [-agents 1000] [-talk 5s] [-answer-after 200ms] [-queues 1] [-json] [-v] [-cpuprofile file]")
		return 2
	}
	opt := lt.Options{Rate: *rate, Duration: *duration, Agents: *agents, Talk: *talk, AnswerAfter: *answerAfter, Queues: *queues}
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
	}
	if err != nil || !rep.OK() {
		return 1
	}
	return 0
}
