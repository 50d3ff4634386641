// Command ariemu runs the ARI emulator: an Asterisk 22 REST Interface stand-in
// (REST under /ari/, events on /ari/events) with a control API under
// /control/ to place synthetic callers and configure agent phones.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"switchboard/internal/ariemu"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ariemu:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		listen   = flag.String("listen", "127.0.0.1:8088", "address to listen on")
		user     = flag.String("user", "switchboard", "ARI user name (empty: no authentication)")
		password = flag.String("password", "switchboard", "ARI user password")
		sounds   = flag.String("sounds", "/usr/share/asterisk/sounds", "sounds folder (<dir>/<lang>/<name>.wav)")
		recs     = flag.String("recordings", "", "folder for recorded WAV files (default: a temporary folder)")
		speed    = flag.Float64("speed", 1, "time acceleration: 10 plays everything ten times faster")
		phone    = flag.String("default-phone", "answer", "behaviour of endpoints not configured: answer, ring, busy, unreachable")
		answer   = flag.Duration("answer-after", 2*time.Second, "answer delay of the default phone")
		verbose  = flag.Bool("v", false, "debug logs")
		sessions = flag.Int("session-limit", 0, "HTTP sessions served at once (0: Asterisk's 100, -1: no limit)")
		reqCost  = flag.Duration("request-cost", 0, "service time of a REST request (0: Asterisk's 118µs, -1ns: none)")
	)
	flag.Parse()
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	srv, err := ariemu.New(ariemu.Options{
		Username: *user, Password: *password, SoundsDir: *sounds, RecordingsDir: *recs,
		Speed: *speed, Logger: log, Cost: ariemu.Cost{SessionLimit: *sessions, Request: *reqCost},
		DefaultPhone: &ariemu.Phone{Behaviour: ariemu.PhoneBehaviour(*phone), AnswerAfter: *answer},
	})
	if err != nil {
		return err
	}
	addr, err := srv.Start(*listen)
	if err != nil {
		return err
	}
	log.Info("ari emulator ready", "ari", "http://"+addr+"/ari", "events", "ws://"+addr+"/ari/events?app=switchboard",
		"control", "http://"+addr+"/control/", "recordings", srv.RecordingsDir(), "speed", *speed)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	log.Info("shutting down")
	return srv.Close()
}
