package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/acd"
	"switchboard/acd/calllog"
	"switchboard/crm"
	"switchboard/internal/account"
	"switchboard/internal/ariemu"
	"switchboard/internal/config"
	"switchboard/internal/testkit"
)

// The call controls and the supervisor's monitoring in a real Chromium against one daemon and
// the ARI emulator: Heidi, on a billing call, holds and resumes it (the caller hears music,
// then not), mutes and unmutes, sends digits to the caller; Sue, from the wallboard's agent
// grid, listens silently into her phone, then whispers, then barges in, and stops (the
// sessions are audited); Heidi transfers the call to a number; on a second call to the
// support queue; on a third she hangs up. Any error on either browser's console fails the
// test. Screenshots go to $SCREENSHOT_DIR as ctl-*.png.
func TestBrowserCallControls(t *testing.T) {
	browser, shots := browserShots(t)
	emu, d, _ := demoDaemon(t, func(c *config.Config) {
		c.DeskEndpoints = []string{"PJSIP/2*"} // Heidi's desk phone and Sue's
		c.IVR.TransferContext = "transfers"
		c.ShowMonitored = true // the agent sees when a supervisor listens
	})
	ctx := context.Background()
	base := "http://" + d.addr
	addAccounts(t, d, testAccount{name: "heidi", role: "agent", agent: "1008"}, testAccount{name: "sue", role: "supervisor", queues: []string{"billing"}})
	if err := d.router.Do(ctx, func(e *acd.Engine) error { // only Heidi takes billing's calls
		for _, id := range []string{"1003", "1008", "1009"} {
			if err := e.Logout(id); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	emu.SetPhone("PJSIP/2008", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 100 * time.Millisecond})
	emu.SetPhone("PJSIP/2901", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 100 * time.Millisecond})
	emu.SetPhone("PJSIP/2009", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 100 * time.Millisecond})
	emu.SetCustomer("5550123", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 100 * time.Millisecond})

	root := startChromium(t, ctx, chromiumFlags(t, browser, 1366, 768)...)
	var mu sync.Mutex
	var problems []string
	person := func(who string) context.Context {
		c, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		if err := chromedp.Do(c, chromedp.Navigate("about:blank"), chromedp.EmulateViewport(1366, 768)); err != nil {
			t.Fatalf("new tab: %v", err)
		}
		msgs := chromedp.Console(c)
		go func() {
			for m, err := range msgs {
				if err != nil {
					return
				}
				// The browser asks for a favicon by itself; the site has none yet (another
				// part adds it). Not the page's fault.
				if m.Source == "network" && strings.HasSuffix(m.URL, "/favicon.ico") {
					continue
				}
				if m.Type == chromedp.ConsoleError || m.IsException() {
					mu.Lock()
					problems = append(problems, who+": "+m.String()+" at "+m.URL)
					mu.Unlock()
				}
			}
		}()
		return c
	}
	heidi, sue := person("heidi"), person("sue")
	run := stepRunner(shots, "ctl-failed")
	signIn := func(t *testing.T, c context.Context, user string) {
		t.Helper()
		run(t, c, user+" signs in", chromedp.Navigate(base+"/login"),
			chromedp.SendKeys(css(`input[name=username]`), user),
			chromedp.SendKeys(css(`input[name=password]`), "a long password"),
			chromedp.Click(css(`button[type=submit]`)),
			chromedp.WaitVisible(css(`header h1`)))
	}
	step := func(name string, f func(t *testing.T)) {
		if !t.Failed() {
			t.Run(name, f)
		}
	}
	var callerCh, agentCh, callID string
	// place has a billing caller rung to Heidi and waits for the controls on her desktop.
	place := func(t *testing.T) {
		ch, err := emu.PlaceCaller(ariemu.Caller{Number: "+4930111222", DID: "5552000"})
		if err != nil {
			t.Fatal(err)
		}
		callerCh, callID = ch, "demo-"+ch
		run(t, heidi, "the controls show", chromedp.WaitVisible(css(`#ctl-panel[data-call="`+callID+`"] #ctl-hold`)))
		testkit.Eventually(t, "Heidi's leg bridged", func() bool {
			agentCh = peerOn(emu, callerCh, "PJSIP/2008")
			return agentCh != ""
		})
	}
	backToWork := func(t *testing.T) {
		if err := d.router.SetAgentState(ctx, "1008", acd.Available, ""); err != nil {
			t.Fatal(err)
		}
		testkit.Eventually(t, "Heidi available", func() bool { v, _ := d.router.Agent(ctx, "1008"); return v.State == acd.Available })
	}

	step("agent logs in and takes a call", func(t *testing.T) {
		signIn(t, heidi, "heidi")
		run(t, heidi, "log in on PJSIP/2008", chromedp.WaitVisible(css(`#state[data-state="logged_out"]`)),
			chromedp.SetValue(css(`#endpoint`), "PJSIP/2008"), chromedp.Click(css(`#login`)),
			chromedp.WaitVisible(css(`#state[data-state="paused"]`)), chromedp.Click(css(`#available`)),
			chromedp.WaitVisible(css(`#state[data-state="available"]`)))
		if hidden := getText(t, heidi, `String(document.getElementById("ctl-panel").hidden)`); hidden != "true" {
			t.Fatalf("the controls show without a call")
		}
		place(t)
		shot(t, heidi, shots, "ctl-on-call")
	})
	ctlControlSteps(t, step, run, heidi, emu, &callerCh, &agentCh, shots)
	ctlMonitorSteps(t, step, run, signIn, heidi, sue, d, emu, &agentCh, shots)

	step("agent transfers the call to a number", func(t *testing.T) {
		run(t, heidi, "transfer to 5550123", chromedp.SetValue(css(`#ctl-target-kind`), "number"),
			chromedp.SetValue(css(`#ctl-target`), "5550123"), chromedp.Click(css(`#ctl-transfer-form button[type=submit]`)),
			chromedp.WaitVisible(css(`#state[data-state="wrap_up"]`)))
		rec, _ := emu.Call(callerCh)
		if rec.Continued != "transfers,5550123,1" {
			t.Fatalf("the caller went to %q", rec.Continued)
		}
		testkit.Eventually(t, "the record ends transferred out", func() bool {
			c, err := d.store.Call(context.Background(), "demo-"+callerCh)
			return err == nil && c.Outcome == calllog.TransferredOut && c.Transfers == 1
		})
		shot(t, heidi, shots, "ctl-transferred")
		backToWork(t)
	})
	step("agent transfers a call to a queue", func(t *testing.T) {
		place(t)
		run(t, heidi, "transfer to support-l1", chromedp.SetValue(css(`#ctl-target-kind`), "queue"),
			chromedp.SetValue(css(`#ctl-target`), "support-l1"), chromedp.Click(css(`#ctl-transfer-form button[type=submit]`)),
			chromedp.WaitNotVisible(css(`#ctl-panel`)))
		testkit.Eventually(t, "the call in support-l1", func() bool {
			var q string
			_ = d.router.Do(ctx, func(e *acd.Engine) error { v, _ := e.Call(callID); q = v.Queue; return nil })
			return q == "support-l1"
		})
		if rec, _ := emu.Call(agentCh); rec.Ended.IsZero() {
			t.Fatal("Heidi's leg is still up")
		}
		_ = emu.Hangup(callerCh)
		backToWork(t)
	})
	ctlConsultSteps(t, step, run, heidi, d, emu, place, &callerCh, shots)
	step("agent hangs up", func(t *testing.T) {
		backToWork(t)
		place(t)
		run(t, heidi, "hang up", chromedp.Click(css(`#ctl-hangup`)), chromedp.WaitVisible(css(`#state[data-state="wrap_up"]`)),
			chromedp.WaitNotVisible(css(`#ctl-panel`)))
		if rec, _ := emu.Call(callerCh); rec.Ended.IsZero() || rec.HungUpBy != "app" {
			t.Fatalf("the caller: %+v", rec)
		}
		shot(t, heidi, shots, "ctl-hung-up")
	})
	step("supervisor takes a call over", func(t *testing.T) {
		backToWork(t)
		place(t)
		row := `#agents tr[data-agent="1008"] `
		clickRow(t, sue, row+`.ctl-mon-monitor`)
		run(t, sue, "the phone answers", chromedp.WaitVisible(css(row+`.ctl-mon-takeover`)))
		clickRow(t, sue, row+`.ctl-mon-takeover`)
		run(t, sue, "taken over", chromedp.WaitNotVisible(css(`#ctl-mon-stop`)))
		if rec := waitEnded(t, emu, agentCh); rec.HungUpBy != "app" {
			t.Fatalf("Heidi's leg: %+v", rec)
		}
		var phone string
		testkit.Eventually(t, "Sue talks with the caller", func() bool { phone = peerOn(emu, callerCh, "PJSIP/2901"); return phone != "" })
		shot(t, sue, shots, "ctl-takeover")
		if err := emu.Hangup(phone); err != nil {
			t.Fatal(err)
		}
		if rec := waitEnded(t, emu, callerCh); rec.HungUpBy != "app" {
			t.Fatalf("the caller after Sue hung up: %+v", rec)
		}
		run(t, heidi, "Heidi wraps up the call", chromedp.WaitVisible(css(`#state[data-state="wrap_up"]`)))
	})
	ctlDialSteps(t, step, run, heidi, d, emu, backToWork, shots)
	step("agent calls from a customer's page", func(t *testing.T) {
		backToWork(t)
		// A customer's page has no pop stream of its own: it opens one while its dial lasts,
		// and the attempt then shows in the customer's calls.
		const busy = "+4930777666"
		dora, err := d.crm.CreateCustomer(ctx, crm.Customer{Name: "Dora Dial", Phones: []string{"+4930777555", busy}})
		if err != nil {
			t.Fatal(err)
		}
		emu.SetCustomer(busy, ariemu.Phone{Behaviour: ariemu.PhoneBusy, AnswerAfter: 100 * time.Millisecond})
		page := fmt.Sprintf("%s/customers/%d", base, dora.ID)
		run(t, heidi, "call Dora's second phone", chromedp.Navigate(page),
			chromedp.Click(css(`button.customer-dial[data-number="`+busy+`"]`)),
			chromedp.WaitVisible(css(`#dial-status[data-state="ended"][data-reason="busy"]`)))
		if c := getText(t, heidi, `getComputedStyle(document.getElementById("dial-status")).color`); c != "rgb(207, 34, 46)" {
			t.Fatalf("a busy number's status is in %s, not red", c)
		}
		shot(t, heidi, shots, "ctl-customer-dial-busy")
		testkit.Eventually(t, "the attempt on Dora's page", func() bool {
			if err := chromedp.Do(heidi, chromedp.Navigate(page)); err != nil {
				return false
			}
			text, err := chromedp.Run(heidi, chromedp.Evaluate[string](`document.body.innerText`))
			return err == nil && strings.Contains(text, "outbound: busy")
		})
	})
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("console: %s", p)
	}
}

// ctlControlSteps: hold and resume, mute and unmute, digits, on the call placed before.
func ctlControlSteps(t *testing.T, step func(string, func(*testing.T)), run func(*testing.T, context.Context, string, ...chromedp.Action[chromedp.Void]),
	heidi context.Context, emu *ariemu.Server, callerCh, agentCh *string, shots string) {
	step("agent holds and resumes", func(t *testing.T) {
		run(t, heidi, "hold", chromedp.Click(css(`#ctl-hold`)), chromedp.WaitVisible(css(`#ctl-resume`)))
		if !emu.HearsMusic(*callerCh) {
			t.Fatal("the caller on hold hears no music")
		}
		shot(t, heidi, shots, "ctl-held")
		run(t, heidi, "resume", chromedp.Click(css(`#ctl-resume`)), chromedp.WaitVisible(css(`#ctl-hold`)))
		if emu.HearsMusic(*callerCh) {
			t.Fatal("the caller still hears music after resume")
		}
	})
	step("agent mutes and unmutes", func(t *testing.T) {
		run(t, heidi, "mute", chromedp.Click(css(`#ctl-mute`)), chromedp.WaitVisible(css(`#ctl-unmute`)))
		if in, _ := emu.Muted(*agentCh); !in {
			t.Fatal("Heidi's leg is not muted")
		}
		run(t, heidi, "unmute", chromedp.Click(css(`#ctl-unmute`)), chromedp.WaitVisible(css(`#ctl-mute`)))
		if in, _ := emu.Muted(*agentCh); in {
			t.Fatal("Heidi's leg is still muted")
		}
	})
	step("agent sends digits", func(t *testing.T) {
		run(t, heidi, "keypad", chromedp.SetValue(css(`#ctl-digits`), "123#"), chromedp.Click(css(`#ctl-dtmf-form button[type=submit]`)))
		testkit.Eventually(t, "digits sent", func() bool { rec, _ := emu.Call(*callerCh); return rec.DTMFSent == "123#" })
	})
}

// ctlMonitorSteps: the supervisor listens, whispers, barges in and stops, from the wallboard.
func ctlMonitorSteps(t *testing.T, step func(string, func(*testing.T)), run func(*testing.T, context.Context, string, ...chromedp.Action[chromedp.Void]),
	signIn func(*testing.T, context.Context, string), heidi, sue context.Context, d *daemon, emu *ariemu.Server, agentCh *string, shots string) {
	row := `#agents tr[data-agent="1008"] `
	snoop := func(t *testing.T, whisper string) {
		testkit.Eventually(t, "Sue's phone hears a snoop on Heidi with whisper "+whisper, func() bool {
			for _, rec := range emu.Calls() {
				if rec.Endpoint != "PJSIP/2901" || !rec.Ended.IsZero() {
					continue
				}
				for _, p := range rec.Peers {
					if target, spy, wh, ok := emu.SnoopOf(p); ok && target == *agentCh && spy == "both" && wh == whisper {
						return true
					}
				}
			}
			return false
		})
	}
	step("supervisor listens, whispers, barges in and stops", func(t *testing.T) {
		// Her phone is kept in her profile: the wallboard has it ready.
		u, err := d.store.UserByName(context.Background(), "sue")
		if err != nil {
			t.Fatal(err)
		}
		if err := d.store.SetProfile(context.Background(), u.ID, account.Profile{MonitorPhone: "PJSIP/2901"}); err != nil {
			t.Fatal(err)
		}
		signIn(t, sue, "sue")
		run(t, sue, "her phone", chromedp.WaitVisible(css(row+`.ctl-mon-monitor`)))
		if v := getText(t, sue, `document.getElementById("ctl-mon-phone").value`); v != "PJSIP/2901" {
			t.Fatalf("the wallboard's phone %q, want her profile's", v)
		}
		clickRow(t, sue, row+`.ctl-mon-monitor`)
		run(t, sue, "listening", chromedp.WaitVisible(css(`#ctl-mon-stop`)))
		snoop(t, "none")
		shot(t, sue, shots, "ctl-monitor")
		run(t, heidi, "Heidi is told she is listened to", chromedp.WaitVisible(css(`#ctl-panel[data-monitored="true"]`)))
		clickRow(t, sue, row+`.ctl-mon-whisper`)
		snoop(t, "out")
		clickRow(t, sue, row+`.ctl-mon-barge`)
		snoop(t, "both")
		run(t, sue, "stop", chromedp.Click(css(`#ctl-mon-stop`)), chromedp.WaitNotVisible(css(`#ctl-mon-stop`)))
		run(t, heidi, "Heidi is no longer told so", chromedp.WaitVisible(css(`#ctl-panel[data-monitored="false"]`)))
		var actions []string
		testkit.Eventually(t, "the session audited", func() bool {
			trail, err := d.store.AuditTrail(context.Background(), "1008")
			actions = actions[:0]
			for _, e := range trail {
				if e.Actor == "sue" {
					actions = append(actions, e.Action)
				}
			}
			return err == nil && slices.Contains(actions, "monitor.end")
		})
		if got := strings.Join(actions, ","); got != "monitor.monitor,monitor.whisper,monitor.barge,monitor.end" {
			t.Fatalf("audit trail %s", got)
		}
	})
}

// ctlConsultSteps: on a new call, Heidi consults a number and cancels, consults the billing
// queue (its next available agent, Ivan) and cancels, then consults Ivan, joins all three and
// completes the transfer to him.
func ctlConsultSteps(t *testing.T, step func(string, func(*testing.T)), run func(*testing.T, context.Context, string, ...chromedp.Action[chromedp.Void]),
	heidi context.Context, d *daemon, emu *ariemu.Server, place func(*testing.T), callerCh *string, shots string) {
	ctx := context.Background()
	step("agent consults a number and cancels", func(t *testing.T) {
		if err := d.router.SetAgentState(ctx, "1008", acd.Available, ""); err != nil {
			t.Fatal(err)
		}
		testkit.Eventually(t, "Heidi available", func() bool { v, _ := d.router.Agent(ctx, "1008"); return v.State == acd.Available })
		place(t)
		run(t, heidi, "consult 5550123", chromedp.SetValue(css(`#ctl-consult-kind`), "number"), chromedp.SetValue(css(`#ctl-consult-target`), "5550123"),
			chromedp.Click(css(`#ctl-consult-form button[type=submit]`)), chromedp.WaitVisible(css(`#ctl-cancel`)))
		var leg string
		testkit.Eventually(t, "Heidi talks with the number, the caller on hold", func() bool {
			calls := emu.CustomerCalls("5550123")
			if len(calls) == 0 {
				return false
			}
			leg = calls[len(calls)-1].ChannelID
			return peerOn(emu, leg, "PJSIP/2008") != "" && emu.HearsMusic(*callerCh)
		})
		shot(t, heidi, shots, "ctl-consulting")
		run(t, heidi, "cancel", chromedp.Click(css(`#ctl-cancel`)), chromedp.WaitVisible(css(`#ctl-consult-form`)))
		testkit.Eventually(t, "the number hung up", func() bool { rec, _ := emu.Call(leg); return !rec.Ended.IsZero() })
		run(t, heidi, "resume", chromedp.Click(css(`#ctl-resume`)), chromedp.WaitVisible(css(`#ctl-hold`)))
	})
	step("agent consults an agent, joins all three and completes", func(t *testing.T) {
		if err := d.router.AgentLogin(ctx, "1009", "PJSIP/2009", true); err != nil {
			t.Fatal(err)
		}
		testkit.Eventually(t, "Ivan available", func() bool { v, _ := d.router.Agent(ctx, "1009"); return v.State == acd.Available })
		// The queue's next available agent is Ivan; the consultation is cancelled.
		run(t, heidi, "consult billing", chromedp.SetValue(css(`#ctl-consult-kind`), "queue"), chromedp.SetValue(css(`#ctl-consult-target`), "billing"),
			chromedp.Click(css(`#ctl-consult-form button[type=submit]`)), chromedp.WaitVisible(css(`#ctl-cancel`)))
		testkit.Eventually(t, "Heidi talks with Ivan of billing", func() bool {
			for _, rec := range emu.Calls() {
				if rec.Endpoint == "PJSIP/2009" && rec.Ended.IsZero() && peerOn(emu, rec.ChannelID, "PJSIP/2008") != "" {
					return true
				}
			}
			return false
		})
		run(t, heidi, "cancel billing", chromedp.Click(css(`#ctl-cancel`)), chromedp.WaitVisible(css(`#ctl-consult-form`)))
		testkit.Eventually(t, "Ivan available after the cancel", func() bool { v, _ := d.router.Agent(ctx, "1009"); return v.State == acd.Available })
		run(t, heidi, "consult Ivan", chromedp.SetValue(css(`#ctl-consult-kind`), "agent"), chromedp.SetValue(css(`#ctl-consult-target`), "1009"),
			chromedp.Click(css(`#ctl-consult-form button[type=submit]`)), chromedp.WaitVisible(css(`#ctl-conference`)))
		var ivan string
		testkit.Eventually(t, "Heidi talks with Ivan", func() bool {
			for _, rec := range emu.Calls() {
				if rec.Endpoint == "PJSIP/2009" && rec.Ended.IsZero() && peerOn(emu, rec.ChannelID, "PJSIP/2008") != "" {
					ivan = rec.ChannelID
					return true
				}
			}
			return false
		})
		run(t, heidi, "conference", chromedp.Click(css(`#ctl-conference`)), chromedp.WaitNotVisible(css(`#ctl-conference`)))
		testkit.Eventually(t, "the caller hears Ivan, no music", func() bool {
			return peerOn(emu, *callerCh, "PJSIP/2009") != "" && !emu.HearsMusic(*callerCh)
		})
		shot(t, heidi, shots, "ctl-conference")
		run(t, heidi, "complete", chromedp.Click(css(`#ctl-complete`)), chromedp.WaitVisible(css(`#state[data-state="wrap_up"]`)))
		if rec, _ := emu.Call(ivan); !rec.Ended.IsZero() {
			t.Fatal("Ivan's leg went with Heidi")
		}
		if rec, _ := emu.Call(*callerCh); !rec.Ended.IsZero() {
			t.Fatal("the caller went with Heidi")
		}
		_ = emu.Hangup(*callerCh)
		testkit.Eventually(t, "Ivan's leg ends with the caller", func() bool { rec, _ := emu.Call(ivan); return !rec.Ended.IsZero() })
		testkit.Eventually(t, "Ivan available again", func() bool { v, _ := d.router.Agent(ctx, "1009"); return v.State == acd.Available })
		testkit.Eventually(t, "the record shows Heidi's leg transferred, then Ivan's", func() bool {
			legs, err := d.store.CallLegs(ctx, "demo-"+*callerCh)
			return err == nil && len(legs) == 2 && legs[0].Agent == "1008" && legs[0].Outcome == calllog.LegTransferred &&
				legs[1].Agent == "1009" && legs[1].Outcome == calllog.LegAnswered && !legs[1].LeftAt.IsZero()
		})
		if err := d.router.SetAgentState(ctx, "1009", acd.LoggedOut, ""); err != nil { // the next call is Heidi's
			t.Fatal(err)
		}
	})
}

// peerOn is the live channel of endpoint that shares a bridge with ch, or "".
func peerOn(emu *ariemu.Server, ch, endpoint string) string {
	rec, _ := emu.Call(ch)
	for _, p := range rec.Peers {
		if pr, ok := emu.Call(p); ok && pr.Endpoint == endpoint && pr.Ended.IsZero() {
			return p
		}
	}
	return ""
}

// clickRow clicks a button of the wallboard's agent grid, which redraws its rows every
// second: a click that finds its node gone (redrawn between finding and clicking) is tried
// again on the new one.
func clickRow(t *testing.T, c context.Context, sel string) {
	t.Helper()
	var err error
	for range 5 {
		step, cancel := context.WithTimeout(c, 20*time.Second)
		err = chromedp.Do(step, chromedp.WaitVisible(css(sel)), chromedp.Click(css(sel)))
		cancel()
		if err == nil || !strings.Contains(err.Error(), "Could not find node") {
			break
		}
	}
	if err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
}

// waitEnded waits until the channel's call ended and returns its record.
func waitEnded(t *testing.T, emu *ariemu.Server, ch string) ariemu.CallRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Patience)
	defer cancel()
	rec, err := emu.WaitCall(ctx, ch, ariemu.Ended)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// getText evaluates a JavaScript expression that gives a string.
func getText(t *testing.T, c context.Context, expr string) string {
	t.Helper()
	step, cancel := context.WithTimeout(c, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(step, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// ctlDialSteps: Heidi dials a number from the Dial box (her phone first, then the customer's),
// talks and hangs up with the call controls; a busy number ends the dial with its reason.
func ctlDialSteps(t *testing.T, step func(string, func(*testing.T)), run func(*testing.T, context.Context, string, ...chromedp.Action[chromedp.Void]),
	heidi context.Context, d *daemon, emu *ariemu.Server, backToWork func(*testing.T), shots string) {
	step("agent dials a customer", func(t *testing.T) {
		backToWork(t)
		emu.SetCustomer("+4930777888", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 100 * time.Millisecond})
		// The desktop shows her available first: its status card settles, and the click lands.
		run(t, heidi, "dial +49 30 777888", chromedp.WaitVisible(css(`#state[data-state="available"]`)),
			chromedp.Evaluate[chromedp.Void](`performance.clearResourceTimings()`),
			chromedp.SetValue(css(`#dial-number`), "+49 30 777888"), chromedp.Click(css(`#dial-go`)),
			chromedp.WaitVisible(css(`#dial-status[data-state="connected"]`)),
			chromedp.WaitVisible(css(`#ctl-panel[data-call^="demo-sb-ob-"] #ctl-hangup`)))
		// Connected is good news, in green; a failed dial is red (below).
		if c := getText(t, heidi, `getComputedStyle(document.getElementById("dial-status")).color`); c != "rgb(26, 127, 55)" {
			t.Fatalf("a connected dial's status is in %s, not green", c)
		}
		// The dial's changes came over the desktop's event stream: the POST was its one request.
		if n := getText(t, heidi, `String(performance.getEntriesByType("resource").filter(e => e.name.endsWith("/api/desk/call/dial")).length)`); n != "1" {
			t.Fatalf("%s requests to /api/desk/call/dial while dialing, want the POST only", n)
		}
		id := getText(t, heidi, `document.getElementById("ctl-panel").dataset.call`)
		cust := strings.TrimPrefix(id, "demo-")
		if peerOn(emu, cust, "PJSIP/2008") == "" {
			t.Fatalf("the customer %s is not bridged with Heidi's phone", cust)
		}
		shot(t, heidi, shots, "ctl-dialed")
		run(t, heidi, "hang up", chromedp.Click(css(`#ctl-hangup`)), chromedp.WaitVisible(css(`#state[data-state="wrap_up"]`)))
		testkit.Eventually(t, "the record: outbound, completed", func() bool {
			c, err := d.store.Call(context.Background(), id)
			return err == nil && c.Outcome == calllog.Completed && c.Agent == "1008" && c.CallerNumber == "+4930777888" &&
				c.Data[calllog.DataDirection] == calllog.Outbound
		})
	})
	step("agent calls back the customer of the screen pop", func(t *testing.T) {
		backToWork(t)
		known, err := d.crm.SeedCRMDemo(context.Background(), crm.Demo(1, 40), d.crm.Now())
		if err != nil || len(known) == 0 {
			t.Fatalf("seed: %v %v", known, err)
		}
		// The customer has a mobile too: the pop offers a button per phone, as the customer's
		// page does.
		const mobile = "+4915112345678"
		cands, err := d.crm.Identify(context.Background(), known[0], "")
		if err != nil || len(cands) != 1 {
			t.Fatalf("identify %s: %v %v", known[0], cands, err)
		}
		phones := []string{known[0], mobile}
		if _, err := d.crm.UpdateCustomer(context.Background(), cands[0].ID, crm.CustomerPatch{Phones: &phones}); err != nil {
			t.Fatal(err)
		}
		emu.SetCustomer(mobile, ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 100 * time.Millisecond})
		caller, err := emu.PlaceCaller(ariemu.Caller{Number: known[0], DID: "5552000"})
		if err != nil {
			t.Fatal(err)
		}
		run(t, heidi, "the pop offers to call each phone", chromedp.WaitVisible(css(`#ctl-panel[data-call="demo-`+caller+`"]`)),
			chromedp.WaitVisible(css(`#pop-customers button.pop-dial[data-number="`+known[0]+`"]`)),
			chromedp.WaitVisible(css(`#pop-customers button.pop-dial[data-number="`+mobile+`"]`)),
			chromedp.Click(css(`#ctl-hangup`)), chromedp.WaitVisible(css(`#state[data-state="wrap_up"]`)))
		// From the wrap-up's pop: dialing ends the wrap-up.
		run(t, heidi, "call the customer back on the mobile", chromedp.Click(css(`#pop-customers button.pop-dial[data-number="`+mobile+`"]`)),
			chromedp.WaitVisible(css(`#dial-status[data-state="connected"]`)),
			chromedp.WaitVisible(css(`#ctl-panel[data-call^="demo-sb-ob-"] #ctl-hangup`)))
		shot(t, heidi, shots, "ctl-pop-dialed")
		id := getText(t, heidi, `document.getElementById("ctl-panel").dataset.call`)
		run(t, heidi, "hang up", chromedp.Click(css(`#ctl-hangup`)), chromedp.WaitVisible(css(`#state[data-state="wrap_up"]`)))
		testkit.Eventually(t, "the call went to the mobile", func() bool {
			c, err := d.store.Call(context.Background(), id)
			return err == nil && c.CallerNumber == mobile
		})
	})
	step("a busy number ends the dial", func(t *testing.T) {
		backToWork(t)
		emu.SetCustomer("+4930777999", ariemu.Phone{Behaviour: ariemu.PhoneBusy, AnswerAfter: 100 * time.Millisecond})
		run(t, heidi, "dial a busy number", chromedp.WaitVisible(css(`#state[data-state="available"]`)),
			chromedp.SetValue(css(`#dial-number`), "+4930777999"), chromedp.Click(css(`#dial-go`)))
		status := `(s => s.dataset.state + "|" + s.dataset.reason + "|" + s.textContent)(document.getElementById("dial-status"))`
		var last string
		for end := time.Now().Add(testkit.Patience); !strings.HasPrefix(last, "ended|busy|"); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("the dial's status: %q", last)
			}
			last = getText(t, heidi, status)
		}
		run(t, heidi, "Heidi available again", chromedp.WaitVisible(css(`#state[data-state="available"]`)))
		shot(t, heidi, shots, "ctl-dial-busy")
		// The attempt has its record: outbound, Heidi's, the number, busy.
		id := getText(t, heidi, `document.getElementById("dial-status").dataset.call`)
		testkit.Eventually(t, "the attempt's record", func() bool {
			c, err := d.store.Call(context.Background(), id)
			return err == nil && c.Outcome == calllog.DialOutcome("busy") && c.Agent == "1008" && c.CallerNumber == "+4930777999" &&
				c.Data[calllog.DataDirection] == calllog.Outbound
		})
	})
}
