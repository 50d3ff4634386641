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
	"slices"
	"syscall"
	"time"

	"switchboard/acd"
	"switchboard/crm"
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
	f, ok := parseDemoFlags(args, stderr)
	if !ok {
		return 2
	}
	level := slog.LevelWarn
	if f.verbose {
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
	cfg, err := demoConfig(f, emuAddr, ariPass)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.duration)
		defer cancel()
	}
	token := secret()
	d, err := startDaemon(ctx, cfg, daemonOptions{Logger: log, MetricsToken: token})
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	defer d.close()
	seed, err := seedDemo(ctx, d)
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	db := "private PostgreSQL in " + f.dataDir + "/pg"
	if cfg.Database.URL != "" {
		db = "DATABASE_URL"
	}
	printDemo(stdout, d.addr, token, db, emuAddr, f.rate, seed)

	go demoPhones(ctx, emu, d)
	go demoCallers(ctx, emu, f.rate, seed.known, demoAccounts(seed.recs), demoSurveyPrompt(cfg))
	select {
	case <-ctx.Done():
		return 0
	case err := <-d.runErrs:
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
}

// demoFlags are the demo command's flags.
type demoFlags struct {
	listen, dataDir string
	rate            float64
	duration        time.Duration
	verbose         bool
}

func parseDemoFlags(args []string, stderr io.Writer) (demoFlags, bool) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f demoFlags
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8080", "HTTP address")
	fs.StringVar(&f.dataDir, "data", "./data", "folder of the private database")
	fs.Float64Var(&f.rate, "rate", 0.2, "new calls per second")
	fs.DurationVar(&f.duration, "duration", 0, "stop after this long (0: run until interrupted)")
	fs.BoolVar(&f.verbose, "v", false, "log every reconciliation and warning")
	return f, fs.Parse(args) == nil
}

// demoConfig is demo.yaml on the emulator at emuAddr, with the flags' address and database.
func demoConfig(f demoFlags, emuAddr, ariPass string) (*config.Config, error) {
	cfg, err := config.LoadConfig(bytes.NewReader(demoYAML), "demo.yaml")
	if err != nil {
		return nil, err
	}
	cfg.ARI.URL, cfg.ARI.User, cfg.ARI.Password = "http://"+emuAddr+"/ari", "switchboard", ariPass
	cfg.HTTP.Listen = f.listen
	cfg.Database.DataDir = f.dataDir
	cfg.Database.URL = os.Getenv(config.EnvDatabaseURL)
	return cfg, nil
}

// demoSeed is what the demo put in the store: its users' passwords and the customers.
type demoSeed struct {
	adminPass, supPass, agentPass string
	recs                          []crm.DemoRecord
	known                         []string
}

// seedDemo logs the demo's agents in, adds its users and the customers for the screen pop
// (some callers call from their numbers).
func seedDemo(ctx context.Context, d *daemon) (demoSeed, error) {
	if err := demoLogin(ctx, d); err != nil {
		return demoSeed{}, err
	}
	s := demoSeed{adminPass: secret(), supPass: secret(), agentPass: secret()}
	for _, u := range []struct {
		name, role, agent, pass string
		queues                  []string
	}{
		{"admin", "admin", "", s.adminPass, nil},
		{"supervisor", "supervisor", "", s.supPass, []string{"support-l1", "support-l2", "support-l3"}},
		{"alice", "agent", demoDeskAgent, s.agentPass, nil},
	} {
		if err := addUser(ctx, d.store, u.name, u.role, u.agent, u.queues, u.pass); err != nil {
			return demoSeed{}, err
		}
	}
	s.recs = crm.Demo(1, 40)
	known, err := d.crm.SeedCRMDemo(ctx, s.recs, time.Now())
	s.known = known
	return s, err
}

func printDemo(stdout io.Writer, addr, token, db, emuAddr string, rate float64, s demoSeed) {
	fmt.Fprintf(stdout, `Switchboard demo is running.

  wallboard: http://%[1]s/wallboard
             admin      / %[6]s   (every queue)
             supervisor / %[7]s   (support lines 1-3)
  desktop:   http://%[1]s/agent
             alice      / %[8]s   (agent 1001: log in on phone PJSIP/1001)
  accounts:  http://%[1]s/admin     (admin: users, API tokens)
  reports:   http://%[1]s/reports   (admin, supervisor)
  health:   http://%[1]s/healthz
  metrics:  http://%[1]s/metrics   (user: any, password: %[2]s)
            curl -s -u metrics:%[2]s http://%[1]s/metrics | grep switchboard_calls
  database: %[3]s
  ARI:      emulator at http://%[4]s/ari with generated callers (%.2[5]f calls/s) and 10 agent phones
  callbacks: http://%[1]s/api/callbacks (as supervisor; metric switchboard_callbacks{state}):
            callers who hang up after 30 s, IVR callers who ask for one, the closed line's requests

Ctrl-C stops it.
`, addr, token, db, emuAddr, rate, s.adminPass, s.supPass, s.agentPass)
}

// demoDeskAgent is the agent the demo's agent account works as: the demo leaves its login and
// its pauses to the person at the desktop.
const demoDeskAgent = "1001"

// demoLogin logs the demo's simulated agents in, as its generated traffic needs them (one
// paused when the demo last stopped stays paused until demoPhones readies it); the desk agent
// is left as the last run left it, logged out the first time: its person logs in from the
// desktop.
func demoLogin(ctx context.Context, d *daemon) error {
	return d.router.Do(ctx, func(e *acd.Engine) error {
		for _, id := range e.AgentIDs() {
			if v, _ := e.Agent(id); v.State == acd.LoggedOut && id != demoDeskAgent {
				if err := e.Login(id); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// demoPhones gives each agent phone a behaviour: most answer after a few seconds, one never
// answers (its agent gets paused "no answer"), two on line 2 often hang up before the caller
// (who then hears the survey). Paused agents are made ready again after a while, and now and
// then a level-1 call is escalated to level 2.
func demoPhones(ctx context.Context, emu *ariemu.Server, d *daemon) {
	for _, a := range d.cfg.Agents {
		p := ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: time.Duration(1+mrand.IntN(3)) * time.Second}
		switch a.ID {
		case "1004":
			p = ariemu.Phone{Behaviour: ariemu.PhoneRingOut}
		case "1005", "1006":
			p.TalkTime = time.Duration(15+mrand.IntN(20)) * time.Second
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
				if v, _ := e.Agent(id); v.State == acd.Paused && time.Since(v.Since) > 30*time.Second && id != demoDeskAgent {
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

// demoCustomer gives a caller's number a phone for when it is called back: most answer after
// a few seconds and talk 15-60 s, one in ten is busy and one in ten does not answer.
func demoCustomer(emu *ariemu.Server, number string) {
	p := ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: time.Duration(2+mrand.IntN(5)) * time.Second,
		TalkTime: time.Duration(15+mrand.IntN(46)) * time.Second}
	switch mrand.IntN(10) {
	case 0:
		p = ariemu.Phone{Behaviour: ariemu.PhoneBusy, AnswerAfter: 2 * time.Second}
	case 1:
		p = ariemu.Phone{Behaviour: ariemu.PhoneRingOut}
	}
	emu.SetCustomer(number, p)
}

// demoCallers places Poisson arrivals: first-line support, billing, VIPs, and the IVR menu
// (demoMenu; some ask for a callback; now and then one calls the closed line and leaves a
// request), each number with a phone that answers (or not) when it is called back; callers
// talk 15-60 s and give up after an exponential patience of mean 90 s (menu callers half a
// minute later). Four in ten call from a known customer's number (known; accounts maps each to
// its account number), the others from random ones. A caller who hears the survey prompt
// (survey, "" for none) rates the call.
func demoCallers(ctx context.Context, emu *ariemu.Server, rate float64, known []string, accounts map[string]string, survey string) {
	if rate <= 0 {
		return
	}
	for {
		wait := time.Duration(mrand.ExpFloat64() / rate * float64(time.Second))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		number := fmt.Sprintf("+7999%07d", mrand.IntN(10_000_000))
		if len(known) > 0 && mrand.IntN(10) < 4 {
			number = known[mrand.IntN(len(known))]
		}
		did := "5551000"
		var digits []ariemu.DigitPress
		switch x := mrand.IntN(10); {
		case x < 2:
			did = "5552000"
		case x < 3:
			did = "5553000"
		case x < 6:
			did = "5554000"
			account := accounts[number]
			if account == "" && len(known) > 0 && mrand.IntN(2) == 0 { // a customer calling from another phone
				account = accounts[known[mrand.IntN(len(known))]]
			}
			if account == "" { // an account nobody has
				account = fmt.Sprintf("%06d", 200000+mrand.IntN(700000))
			}
			digits = demoMenu(account)
		}
		if did == "5551000" && mrand.IntN(3) == 0 { // accepts the offer made while waiting, if it comes
			digits = []ariemu.DigitPress{{Digit: "1", After: time.Duration(20+mrand.IntN(60)) * time.Second, AfterPrompt: true}}
		}
		if mrand.IntN(20) == 0 { // the closed line: press 1, then 1 to confirm the number
			did = "5555000"
			digits = []ariemu.DigitPress{{Digit: "1", After: time.Second, AfterPrompt: true}, {Digit: "1", After: time.Second, AfterPrompt: true}}
		}
		patience := time.Duration(mrand.ExpFloat64() * 90 * float64(time.Second))
		if did == "5554000" { // and half a minute for the menu
			patience += 30 * time.Second
		}
		demoCustomer(emu, number)
		ch, err := emu.PlaceCaller(ariemu.Caller{
			Number: number, DID: did, Digits: digits, Patience: patience,
			TalkTime: time.Duration(15+mrand.IntN(46)) * time.Second,
		})
		if err != nil && ctx.Err() == nil {
			slog.Warn("demo caller", "err", err)
		} else if err == nil && survey != "" {
			go demoRate(ctx, emu, ch, survey)
		}
	}
}

// demoMenu is how a caller walks the main menu (demo.yaml main-menu), each choice made when its
// prompt has ended: the language (three in four English, the others Russian; one in ten presses
// a wrong key first, one in twenty nothing at all and ends in support in English), the topic
// (support, billing or a callback; one in ten a wrong key first, one in twenty nothing and ends
// in support). Billing callers key account and # (one in ten forgets the #, which the menu
// takes after a pause); callback callers mostly accept the offer, the others wait in support;
// one in three support callers accepts the offer made while waiting, if it comes.
func demoMenu(account string) []ariemu.DigitPress {
	var out []ariemu.DigitPress
	press := func(keys string) {
		for i, k := range keys {
			if i == 0 { // once the prompt has ended
				out = append(out, ariemu.DigitPress{Digit: string(k), After: time.Duration(500+mrand.IntN(1500)) * time.Millisecond, AfterPrompt: true})
			} else {
				out = append(out, ariemu.DigitPress{Digit: string(k), After: time.Duration(250+mrand.IntN(450)) * time.Millisecond})
			}
		}
	}
	wrong := func() {
		if mrand.IntN(10) == 0 {
			press([]string{"0", "9", "*", "#"}[mrand.IntN(4)])
		}
	}
	if mrand.IntN(20) == 0 {
		return nil // silence: English, then support
	}
	wrong()
	press([]string{"1", "1", "1", "2"}[mrand.IntN(4)])
	if mrand.IntN(20) == 0 {
		return out // no topic: support
	}
	wrong()
	switch mrand.IntN(10) {
	case 0, 1, 2, 3, 4: // support
		press("1")
	case 5, 6, 7: // billing
		press("2")
		press(account)
		if mrand.IntN(10) != 0 {
			press("#")
		}
		return out
	default: // a callback
		press("3")
		if mrand.IntN(5) != 0 {
			press("1")
			return out
		}
		press("2")
	}
	if mrand.IntN(3) == 0 { // accepts the offer made while waiting, if it comes
		out = append(out, ariemu.DigitPress{Digit: "1", After: time.Duration(20+mrand.IntN(60)) * time.Second, AfterPrompt: true})
	}
	return out
}

// demoAccounts maps each demo customer's phone number to its account number.
func demoAccounts(recs []crm.DemoRecord) map[string]string {
	out := map[string]string{}
	for _, r := range recs {
		if len(r.Customer.Phones) > 0 && len(r.Customer.Accounts) > 0 {
			out[r.Customer.Phones[0]] = r.Customer.Accounts[0]
		}
	}
	return out
}

// demoSurveyPrompt is the first sound of the survey flow's first node, as the emulator notes
// it; "" without a survey.
func demoSurveyPrompt(cfg *config.Config) string {
	for _, name := range cfg.IVR.Surveys {
		if f := cfg.Flows[name]; f != nil && f.Nodes[f.Start] != nil && len(f.Nodes[f.Start].Prompt) > 0 {
			return f.Nodes[f.Start].Prompt[0].String()
		}
	}
	return ""
}

// demoRate answers the survey if the caller hears it: mostly 4 or 5, now and then worse.
func demoRate(ctx context.Context, emu *ariemu.Server, ch, prompt string) {
	rec, err := emu.WaitCall(ctx, ch, func(r ariemu.CallRecord) bool { return !r.Ended.IsZero() || slices.Contains(r.Played, prompt) })
	if err != nil || !rec.Ended.IsZero() {
		return
	}
	select {
	case <-ctx.Done():
		return
	case <-time.After(1500 * time.Millisecond): // the prompt's end
	}
	_ = emu.PressDigit(ch, []string{"5", "5", "5", "4", "4", "3", "2", "1"}[mrand.IntN(8)])
}
