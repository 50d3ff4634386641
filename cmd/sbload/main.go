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
	sc, err := loadScenario(fs.Arg(0), *rate, *duration)
	if err != nil {
		return 2, err
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	if *cpuprofile != "" {
		stop, err := startCPUProfile(*cpuprofile)
		if err != nil {
			return 2, err
		}
		defer stop()
	}
	stats := sipload.NewStats()
	tell, stopHangups := hangupOnUSR1()
	defer stopHangups()
	sum, err := sipload.Run(ctx, sc, stats, log, func(s sipload.Summary) {
		if *interval > 0 {
			s.WriteText(stderr, false)
		}
	}, *interval, runtime.GOMAXPROCS(0), sipload.WithHangup(tell))
	if err != nil {
		return 2, err
	}
	if err := writeSummary(stdout, sum, *asJSON); err != nil {
		return 2, err
	}
	if sum.Failed > 0 {
		return 1, nil
	}
	return 0, nil
}

// loadScenario reads the scenario file, with the command line's rate and duration (0: the
// scenario's).
func loadScenario(path string, rate float64, duration time.Duration) (*sipload.Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	sc, err := sipload.ParseScenario(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	if rate > 0 {
		if sc.Callers == nil {
			return nil, errors.New("--rate: the scenario has no callers")
		}
		sc.Callers.Rate = rate
	}
	if duration > 0 {
		sc.Duration = sipload.Duration(duration)
	}
	return sc, nil
}

// startCPUProfile writes a CPU profile to path until the returned stop.
func startCPUProfile(path string) (stop func(), err error) {
	pf, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(pf); err != nil {
		pf.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); pf.Close() }, nil
}

// hangupOnUSR1 tells the run, on each SIGUSR1 (kill -USR1 <pid>), to hang up the calls in
// progress; the run goes on. stop ends it.
func hangupOnUSR1() (tell chan struct{}, stop func()) {
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	tell = make(chan struct{})
	runDone := make(chan struct{})
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
	return tell, func() { close(runDone); signal.Stop(usr1) }
}

// writeSummary prints the run's summary, as text or as indented JSON.
func writeSummary(w io.Writer, sum sipload.Summary, asJSON bool) error {
	if !asJSON {
		sum.WriteText(w, true)
		return nil
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sum)
}
