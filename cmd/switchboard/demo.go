package main

import (
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"os/signal"
	"syscall"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/config"
)

//go:embed demo.yaml
var demoYAML []byte

func secret() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// demoCmd runs the product on its embedded default: a private PostgreSQL (or DATABASE_URL),
// the ARI emulator in-process with generated callers and agent phones, and the router with
// its HTTP side, until Ctrl-C or -duration.
func demoCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "HTTP address")
	dataDir := fs.String("data", "./data", "folder of the private database")
	rate := fs.Float64("rate", 0.2, "new calls per second")
	duration := fs.Duration("duration", 0, "stop after this long (0: run until interrupted)")
	verbose := fs.Bool("v", false, "log every reconciliation and warning")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	ariPass := secret()
	emu, err := ariemu.New(ariemu.Options{Username: "switchboard", Password: ariPass, Logger: log})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer emu.Close()
	emuAddr, err := emu.Start("127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	cfg, err := config.LoadConfig(bytes.NewReader(demoYAML), "demo.yaml")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	cfg.ARI.URL, cfg.ARI.User, cfg.ARI.Password = "http://"+emuAddr+"/ari", "switchboard", ariPass
	cfg.HTTP.Listen = *listen
	cfg.Database.DataDir = *dataDir
	cfg.Database.URL = os.Getenv(config.EnvDatabaseURL)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	token := secret()
	d, err := startDaemon(ctx, cfg, daemonOptions{Logger: log, MetricsToken: token, LoginAgents: true})
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	defer d.close()
	adminPass, supPass := secret(), secret()
	// Agent accounts a1..a3 work as the demo's agents 1001..1003.
	agentPass := []string{secret(), secret(), secret()}
	type demoUser struct {
		name, role, agent, pass string
		queues                  []string
	}
	users := []demoUser{
		{"admin", "admin", "", adminPass, nil},
		{"supervisor", "supervisor", "", supPass, []string{"support-l1", "support-l2", "support-l3"}},
	}
	for i, p := range agentPass {
		users = append(users, demoUser{fmt.Sprintf("a%d", i+1), "agent", d.cfg.Agents[i].ID, p, nil})
	}
	for _, u := range users {
		if err := addUser(ctx, d.store, u.name, u.role, u.agent, u.queues, u.pass); err != nil {
			fmt.Fprintln(stderr, "demo:", err)
			return 1
		}
	}
	db := "private PostgreSQL in " + *dataDir + "/pg"
	if cfg.Database.URL != "" {
		db = "DATABASE_URL"
	}
	fmt.Fprintf(stdout, `Switchboard demo is running.

  wallboard: http://%[1]s/wallboard
             admin      / %[6]s   (every queue)
             supervisor / %[7]s   (support lines 1-3)
  agents:    a1 / %[8]s   (agent %[11]s)
             a2 / %[9]s   (agent %[12]s)
             a3 / %[10]s   (agent %[13]s)
  accounts:  http://%[1]s/admin     (admin: users, API tokens)
  reports:   http://%[1]s/reports   (admin, supervisor)
  health:   http://%[1]s/healthz
  metrics:  http://%[1]s/metrics   (user: any, password: %[2]s)
            curl -s -u metrics:%[2]s http://%[1]s/metrics | grep switchboard_calls
  database: %[3]s
  ARI:      emulator at http://%[4]s/ari with generated callers (%.2[5]f calls/s) and 10 agent phones

Ctrl-C stops it.
`, d.addr, token, db, emuAddr, *rate, adminPass, supPass, agentPass[0], agentPass[1], agentPass[2],
		d.cfg.Agents[0].ID, d.cfg.Agents[1].ID, d.cfg.Agents[2].ID)

	go demoPhones(ctx, emu, d)
	go demoCallers(ctx, emu, *rate)
	select {
	case <-ctx.Done():
		return 0
	case err := <-d.runErrs:
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
}

// demoPhones gives each agent phone a behaviour: most answer after a few seconds, one never
// answers (its agent gets paused "no answer"). Paused agents are made ready again after a
// while, and now and then a level-1 call is escalated to level 2.
func demoPhones(ctx context.Context, emu *ariemu.Server, d *daemon) {
	for _, a := range d.cfg.Agents {
		p := ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: time.Duration(1+mrand.IntN(3)) * time.Second}
		if a.ID == "1004" {
			p = ariemu.Phone{Behaviour: ariemu.PhoneRingOut}
		}
		emu.SetPhone(a.Endpoint, p)
	}
	tick := time.NewTicker(20 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		_ = d.router.Do(ctx, func(e *acd.Engine) error {
			for _, id := range e.AgentIDs() {
				if v, _ := e.Agent(id); v.State == acd.Paused && time.Since(v.Since) > 30*time.Second {
					_ = e.Ready(id)
				}
			}
			for _, id := range e.CallIDs() {
				if v, _ := e.Call(id); v.State == "connected" && v.Queue == "support-l1" && mrand.IntN(4) == 0 {
					return e.Transfer(id, "support-l2")
				}
			}
			return nil
		})
	}
}

// demoCallers places Poisson arrivals: first-line support, billing, VIPs, and the IVR (where some
// ask for a callback);
// callers talk 15-60 s and give up after an exponential patience of mean 90 s.
func demoCallers(ctx context.Context, emu *ariemu.Server, rate float64) {
	if rate <= 0 {
		return
	}
	n := 0
	for {
		wait := time.Duration(mrand.ExpFloat64() / rate * float64(time.Second))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		n++
		did := "5551000"
		var digits []ariemu.DigitPress
		switch x := mrand.IntN(10); {
		case x < 2:
			did = "5552000"
		case x < 3:
			did = "5553000"
		case x < 6: // the IVR: support, billing, or a callback (accepted)
			did = "5554000"
			digits = []ariemu.DigitPress{{Digit: string(rune('1' + mrand.IntN(3))), After: time.Second}}
			if digits[0].Digit == "3" {
				digits = append(digits, ariemu.DigitPress{Digit: "1", After: 500 * time.Millisecond, AfterPrompt: true})
			}
		}
		_, err := emu.PlaceCaller(ariemu.Caller{
			Number: fmt.Sprintf("+7999%07d", mrand.IntN(10_000_000)), DID: did, Digits: digits,
			Patience: time.Duration(mrand.ExpFloat64() * 90 * float64(time.Second)),
			TalkTime: time.Duration(15+mrand.IntN(46)) * time.Second,
		})
		if err != nil && ctx.Err() == nil {
			slog.Warn("demo caller", "err", err)
		}
	}
}
