// Command sbload is the SIP traffic generator that proves a deployment
// before go-live: callers that place calls with G.711 media and RFC 4733
// DTMF into an Asterisk (or any SIP peer), and agent phones that answer.
//
//	sbload [--json] [--interval 1s] [--rate calls/s] [--duration d] [--cpuprofile file] [-v] scenario.yaml
//
// Progress goes to stderr every interval; the summary goes to stdout at the
// end, as text or, with --json, as one JSON object. The exit status is 1 when
// any call failed, 2 on a usage or scenario error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"switchboard/internal/sipload"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sbload:", err)
	}
	os.Exit(code)
}

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("sbload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	interval := fs.Duration("interval", time.Second, "progress report interval on stderr (0: none)")
	verbose := fs.Bool("v", false, "debug logging")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	rate := fs.Float64("rate", 0, "override callers.rate (calls/s)")
	duration := fs.Duration("duration", 0, "override the scenario's duration")
	if err := fs.Parse(args); err != nil {
		return 2, nil
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2, errors.New("want one scenario file")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return 2, err
	}
	sc, err := sipload.ParseScenario(f)
	f.Close()
	if err != nil {
		return 2, err
	}
	if *rate > 0 {
		if sc.Callers == nil {
			return 2, errors.New("--rate: the scenario has no callers")
		}
		sc.Callers.Rate = *rate
	}
	if *duration > 0 {
		sc.Duration = sipload.Duration(*duration)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	if *cpuprofile != "" {
		pf, err := os.Create(*cpuprofile)
		if err != nil {
			return 2, err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return 2, err
		}
		defer pprof.StopCPUProfile()
	}
	stats := sipload.NewStats()
	// SIGUSR1 hangs up the calls in progress (kill -USR1 <pid>); the run goes on.
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	tell := make(chan struct{})
	runDone := make(chan struct{})
	defer close(runDone)
	go func() {
		for {
			select {
			case <-usr1:
				select {
				case tell <- struct{}{}:
				case <-runDone:
					return
				}
			case <-runDone:
				return
			}
		}
	}()
	sum, err := sipload.Run(ctx, sc, stats, log, func(s sipload.Summary) {
		if *interval > 0 {
			s.WriteText(stderr, false)
		}
	}, *interval, runtime.GOMAXPROCS(0), sipload.WithHangup(tell))
	if err != nil {
		return 2, err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return 2, err
		}
	} else {
		sum.WriteText(stdout, true)
	}
	if sum.Failed > 0 {
		return 1, nil
	}
	return 0, nil
}
