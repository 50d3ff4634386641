package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/acd"
	"switchboard/crm"
	"switchboard/internal/ariemu"
	"switchboard/internal/config"
	"switchboard/internal/testkit"
)

// TestBrowserDesk walks the agent desktop's rules in Chromium: an agent logs in not ready and
// takes calls only once she says she is available; a colleague cannot log in on her phone
// and is told who holds it; a readable error; the wrap-up counts down and, billing requiring
// a disposition, she cannot leave it without one; the next call starts with clean forms; a
// pause asked during a call shows at once and is taken after it; with the server gone the
// page says so within 5 s and greys what it shows. No console error on the way. With
// $README_SHOTS set (docs/img) the desktop on a call is saved there for the README.
func TestBrowserDesk(t *testing.T) {
	browser, shots := browserShots(t)
	emu, d, _ := demoDaemon(t, func(c *config.Config) {
		c.DeskEndpoints = []string{"PJSIP/2*"}
		for i := range c.Queues {
			if c.Queues[i].Name == "billing" {
				c.Queues[i].WrapUp, c.Queues[i].RequireDisposition = 15*time.Second, true
			}
		}
	})
	ctx := context.Background()
	base := "http://" + d.addr
	addAccounts(t, d, testAccount{name: "heidi", role: "agent", agent: "1008"}, testAccount{name: "ivan", role: "agent", agent: "1009"})
	// Billing's agents are 1003, 1008 (Heidi) and 1009 (Ivan): only Heidi takes its calls.
	if err := d.router.Do(ctx, func(e *acd.Engine) error {
		for _, id := range []string{"1003", "1008", "1009"} {
			if err := e.Logout(id); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	emu.SetPhone("PJSIP/2008", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 200 * time.Millisecond})
	// The first caller is a customer of the demo CRM with an open ticket: the desktop on that
	// call is the README's picture.
	known, err := d.crm.SeedCRMDemo(ctx, crm.Demo(1, 40), d.crm.Now())
	if err != nil || len(known) < 2 {
		t.Fatalf("seed: %d numbers, %v", len(known), err)
	}
	cands, err := d.crmLive.Load().dir.Identify(ctx, known[1], "")
	if err != nil || len(cands) != 1 {
		t.Fatalf("identify %s: %+v %v", known[1], cands, err)
	}
	if _, err := d.crm.CreateTicket(ctx, crm.NewTicket{CustomerID: cands[0].ID, Subject: "Card payment declined", Priority: 3}); err != nil {
		t.Fatal(err)
	}

	root := startChromium(t, ctx, chromiumFlags(t, browser, 1366, 768)...)
	// The console of every tab: an error or an exception fails the test. The API's refusals the
	// story asks for on purpose are the browser's notes on those answers, not faults; so is the
	// favicon's 404 until the site has one.
	var mu sync.Mutex
	var problems []string
	refused := regexp.MustCompile(`status of (409|422)`)
	person := func() context.Context {
		c, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		if err := chromedp.Do(c, chromedp.Navigate("about:blank"), chromedp.EmulateViewport(1366, 768)); err != nil {
			t.Fatalf("new tab: %v", err)
		}
		go func() {
			for m, err := range chromedp.Console(c) {
				if err != nil {
					return
				}
				if m.Type != chromedp.ConsoleError && !m.IsException() || m.Source == "network" && (refused.MatchString(m.Text) || strings.HasSuffix(m.URL, "/favicon.ico")) {
					continue
				}
				mu.Lock()
				problems = append(problems, m.String()+" at "+m.URL)
				mu.Unlock()
			}
		}()
		return c
	}
	heidi, ivan := person(), person()
	run := stepRunner(shots, "desk-failed")
	get := func(t *testing.T, c context.Context, what, js string) string {
		t.Helper()
		step, cancel := context.WithTimeout(c, 20*time.Second)
		defer cancel()
		v, err := chromedp.Run(step, chromedp.Evaluate[string](js))
		if err != nil {
			shot(t, c, shots, "desk-failed")
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	signIn := func(t *testing.T, c context.Context, user string) {
		t.Helper()
		run(t, c, user+" signs in", chromedp.Navigate(base+"/login"),
			chromedp.SendKeys(css(`input[name=username]`), user),
			chromedp.SendKeys(css(`input[name=password]`), "a long password"),
			chromedp.Click(css(`button[type=submit]`)),
			chromedp.WaitVisible(css(`#state[data-state="logged_out"]`)))
	}
	step := func(name string, f func(t *testing.T)) {
		if !t.Failed() {
			t.Run(name, f)
		}
	}
	state := func() acd.AgentView { v, _ := d.router.Agent(ctx, "1008"); return v }
	calls := 0
	call := func(t *testing.T) string {
		calls++
		number := fmt.Sprintf("+49305550%03d", calls)
		if calls == 1 {
			number = known[1]
		}
		ch, err := emu.PlaceCaller(ariemu.Caller{Number: number, DID: "5552000"})
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	waitingIn := func(queue string) int {
		n := 0
		calls, _ := d.router.WaitingCalls(ctx)
		for _, c := range calls {
			if c.Queue == queue {
				n++
			}
		}
		return n
	}
	var first string

	step("the agent logs in not ready", func(t *testing.T) {
		first = call(t)
		testkit.Eventually(t, "the call waits in billing", func() bool { return waitingIn("billing") == 1 })
		signIn(t, heidi, "heidi")
		run(t, heidi, "log in on PJSIP/2008", chromedp.SetValue(css(`#endpoint`), "PJSIP/2008"), chromedp.Click(css(`#login`)),
			chromedp.WaitVisible(css(`#state[data-state="paused"]`)), chromedp.WaitVisible(css(`#notready`)))
		if r := get(t, heidi, "reason", `document.getElementById("reason").textContent`); r != "(not ready)" {
			t.Fatalf("the reason shown is %q", r)
		}
		if v := state(); v.State != acd.Paused || v.Reason != acd.ReasonNotReady || waitingIn("billing") != 1 {
			t.Fatalf("after login the engine has %s %q with %d waiting: no call may ring before she is ready", v.State, v.Reason, waitingIn("billing"))
		}
		shot(t, heidi, shots, "desk-not-ready")
	})

	step("another agent cannot log in on her phone", func(t *testing.T) {
		signIn(t, ivan, "ivan")
		run(t, ivan, "log in on Heidi's phone", chromedp.SetValue(css(`#endpoint`), "PJSIP/2008"), chromedp.Click(css(`#login`)),
			chromedp.WaitVisible(css(`#message`)))
		if m := get(t, ivan, "message", `document.getElementById("message").textContent`); m != "Could not log in: Phone PJSIP/2008 is in use by Heidi (agent 1008)." {
			t.Fatalf("Ivan reads %q", m)
		}
		if v, _ := d.router.Agent(ctx, "1009"); v.State != acd.LoggedOut {
			t.Fatalf("Ivan is %s", v.State)
		}
		shot(t, ivan, shots, "desk-phone-in-use")
		// In Russian, in Russian.
		run(t, ivan, "Ivan switches to Russian", chromedp.Navigate(base+"/agent?lang=ru"), chromedp.WaitVisible(css(`#state[data-state="logged_out"]`)),
			chromedp.SetValue(css(`#endpoint`), "PJSIP/2008"), chromedp.Click(css(`#login`)), chromedp.WaitVisible(css(`#message`)))
		if m := get(t, ivan, "message", `document.getElementById("message").textContent`); m != "Не удалось войти: Телефон PJSIP/2008 занят: на нём работает Heidi (агент 1008)." {
			t.Fatalf("Ivan reads in Russian %q", m)
		}
		shot(t, ivan, shots, "desk-phone-in-use-ru")
	})

	step("ready, she takes the call", func(t *testing.T) {
		run(t, heidi, "available", chromedp.Click(css(`#available`)), chromedp.WaitVisible(css(`#state[data-state="on_call"]`)),
			chromedp.WaitVisible(css(`#pop-customers li:not(.muted)`)), chromedp.WaitVisible(css(`#pop-tickets li[data-ticket]`)),
			chromedp.WaitNotVisible(css(`#notready`)))
		if v := state(); v.Call != "demo-"+first {
			t.Fatalf("Heidi is on %q, want demo-%s", v.Call, first)
		}
		// The desktop on a call, for the README.
		shot(t, heidi, shots, "desk-on-call")
		if dir := os.Getenv("README_SHOTS"); dir != "" { // docs/img, to renew the README's picture
			shot(t, heidi, dir, "desktop-call")
		}
		// A readable refusal, and what she types for this call.
		run(t, heidi, "a callback to a bad number", chromedp.SetValue(css(`#callback-number`), "12ab"),
			chromedp.Evaluate[chromedp.Void](`const d = new Date(Date.now() + 864e5); d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
				document.getElementById("callback-at").value = d.toISOString().slice(0, 16)`), // tomorrow
			chromedp.SetValue(css(`#ticket-subject`), "Refund"),
			chromedp.Click(css(`#callback-form button[type=submit]`)), chromedp.WaitVisible(css(`#message`)))
		if m := get(t, heidi, "message", `document.getElementById("message").textContent`); m != "Callback not scheduled: The number must contain digits only." {
			t.Fatalf("the refusal reads %q", m)
		}
	})

	step("wrap-up counts down and needs a disposition", func(t *testing.T) {
		if err := emu.Hangup(first); err != nil {
			t.Fatal(err)
		}
		run(t, heidi, "wrap-up", chromedp.WaitVisible(css(`#state[data-state="wrap_up"]`)), chromedp.WaitVisible(css(`#wrapup`)),
			chromedp.WaitVisible(css(`#wrapup-required`)))
		left := get(t, heidi, "countdown", `document.getElementById("wrapup-left").textContent`)
		if !regexp.MustCompile(`^0:(0\d|1[0-5]) left$`).MatchString(left) {
			t.Fatalf("the countdown reads %q", left)
		}
		shot(t, heidi, shots, "desk-wrap-up")
		run(t, heidi, "leave without a disposition", chromedp.Click(css(`#available`)), chromedp.WaitVisible(css(`#message`)))
		if m := get(t, heidi, "message", `document.getElementById("message").textContent`); m != "Could not change state: Choose a disposition before you leave wrap-up." {
			t.Fatalf("the refusal reads %q", m)
		}
		if v := state(); v.State != acd.WrapUp {
			t.Fatalf("Heidi left wrap-up without a disposition: %s", v.State)
		}
		// The time passes; she is still in wrap-up until she chooses one.
		run(t, heidi, "time is up", chromedp.WaitVisible(css(`#wrapup-left.overdue`)))
		if v := state(); v.State != acd.WrapUp || !v.DispositionDue {
			t.Fatalf("past the wrap-up time without a disposition Heidi is %s", v.State)
		}
		shot(t, heidi, shots, "desk-wrap-up-overdue")
		run(t, heidi, "save the wrap-up", chromedp.Evaluate[chromedp.Void](`document.getElementById("disposition").selectedIndex = 1`),
			chromedp.Click(css(`#wrapup-form button[type=submit]`)),
			chromedp.WaitVisible(css(`#state[data-state="available"]`)), chromedp.WaitNotVisible(css(`#wrapup`)))
		if m := get(t, heidi, "message", `document.getElementById("message").textContent`); m != "Wrap-up saved." {
			t.Fatalf("after saving: %q", m)
		}
	})

	step("the next call starts clean; a pause asked on it comes after it", func(t *testing.T) {
		second := call(t)
		run(t, heidi, "the next call", chromedp.WaitVisible(css(`#state[data-state="on_call"]`)), chromedp.WaitVisible(css(`#call-body`)))
		testkit.Eventually(t, "the pop of the second call", func() bool {
			return get(t, heidi, "call", `document.getElementById("pop-call").textContent`) == "demo-"+second
		})
		forms := get(t, heidi, "forms", `["callback-number", "callback-at", "ticket-subject", "disposition", "notes", "wrapup-ticket"].map(id => id + "=" + document.getElementById(id).value).join(" ") + " message=" + document.getElementById("message").hidden`)
		if forms != "callback-number= callback-at= ticket-subject= disposition= notes= wrapup-ticket= message=true" {
			t.Fatalf("the second call's forms: %s", forms)
		}
		run(t, heidi, "pause during the call", chromedp.SetValue(css(`#pause-reason`), "lunch"), chromedp.Click(css(`#pause`)),
			chromedp.WaitVisible(css(`#after`)))
		if a := get(t, heidi, "after", `document.getElementById("after").textContent`); a != "Pause after this call (lunch)" {
			t.Fatalf("the desktop says %q", a)
		}
		if v := state(); v.State != acd.OnCall || !v.NextAsked || v.Next != acd.Paused {
			t.Fatalf("during the call Heidi is %s (next %v %s)", v.State, v.NextAsked, v.Next)
		}
		shot(t, heidi, shots, "desk-pause-after-call")
		if err := emu.Hangup(second); err != nil {
			t.Fatal(err)
		}
		run(t, heidi, "wrap-up of the second call", chromedp.WaitVisible(css(`#wrapup`)),
			chromedp.Evaluate[chromedp.Void](`document.getElementById("disposition").selectedIndex = 1`),
			chromedp.Click(css(`#wrapup-form button[type=submit]`)), chromedp.WaitNotVisible(css(`#wrapup`)))
		run(t, heidi, "paused after the call", chromedp.WaitVisible(css(`#state[data-state="paused"]`)), chromedp.WaitNotVisible(css(`#after`)))
		if r := get(t, heidi, "reason", `document.getElementById("reason").textContent`); r != "(lunch)" {
			t.Fatalf("after the call the reason is %q", r)
		}
	})

	step("the server goes away", func(t *testing.T) {
		mu.Lock()
		seen := slices.Clone(problems)
		mu.Unlock()
		for _, p := range seen { // what follows are the browser's notes on a server gone
			t.Errorf("console: %s", p)
		}
		gone := time.Now()
		d.http.Close()
		run(t, heidi, "the banner", chromedp.WaitVisible(css(`#offline`)))
		if waited := time.Since(gone); waited > 5*time.Second {
			t.Errorf("the banner came after %v, want within 5 s", waited)
		}
		if st := get(t, heidi, "stale", `String(document.body.classList.contains("stale"))`); st != "true" {
			t.Fatalf("the page's data is not greyed")
		}
		if txt := get(t, heidi, "banner", `document.getElementById("offline").textContent`); !strings.Contains(txt, "reconnecting") {
			t.Fatalf("the banner reads %q", txt)
		}
		shot(t, heidi, shots, "desk-disconnected")
	})
	if !t.Failed() {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Logf("console: %s", p)
	}
}
