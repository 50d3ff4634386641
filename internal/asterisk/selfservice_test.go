package asterisk_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/asterisk"
	"switchboard/internal/router"
	"switchboard/ivr"
	"switchboard/ivr/callback"
)

func sounds(names ...string) []ivr.Media {
	ms := make([]ivr.Media, len(names))
	for i, n := range names {
		ms[i] = ivr.Sound(n)
	}
	return ms
}

// flowOf numbers the nodes' lines in the order given and names the first the start.
func flowOf(name, fallback string, nodes ...*ivr.Node) *ivr.Flow {
	f := &ivr.Flow{Name: name, Start: nodes[0].ID, Fallback: fallback, Nodes: map[string]*ivr.Node{}}
	for i, n := range nodes {
		n.Line = i + 1
		f.Nodes[n.ID] = n
	}
	return f
}

func enqueuedTo(g *rig, ch string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, ev := range g.events {
		if e, ok := ev.(acd.CallEnqueued); ok && e.Call == callID(ch) {
			return e.Queue
		}
	}
	return ""
}

// A lookup node asks the router's Lookup hook by the caller's number: a customer found has
// their balance read out (an info node) and goes to line2; nobody found goes to line1; a hook
// that does not answer within the router's limit takes the failed branch, long before the
// node's own 10 s timer.
func TestIVRLookupHook(t *testing.T) {
	t.Parallel()
	g := newRig(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var mu sync.Mutex
	var asked []router.LookupQuery
	g.options = func(o *router.Options) {
		o.LookupTimeout = 300 * time.Millisecond
		o.Lookup = func(ctx context.Context, q router.LookupQuery) (ivr.Customer, bool, error) {
			mu.Lock()
			asked = append(asked, q)
			mu.Unlock()
			switch q.Number {
			case "+4930111111":
				return ivr.Customer{ID: "C7", Fields: map[string]string{"balance": "42"}}, true, nil
			case "+4930333333":
				<-release // a CRM that hangs and ignores its context
			}
			return ivr.Customer{}, false, nil
		}
	}
	var spy *playSpy
	g.wrap = func(r *asterisk.REST) router.Telephony { spy = &playSpy{REST: r}; return spy }
	cfg := testConfig()
	cfg.DIDs["5559100"] = router.Route{Flow: flowOf("lookup", "l1",
		&ivr.Node{ID: "who", Kind: ivr.KindLookup, By: ivr.ByCaller, Found: "balance", NotFound: "l1", Failed: "sorry",
			LookupTimeout: 10 * time.Second},
		&ivr.Node{ID: "balance", Kind: ivr.KindInfo, Prompt: sounds("your-balance-is"), Field: "balance", SayAs: ivr.MediaNumber,
			Next: "l2", Missing: "l1"},
		&ivr.Node{ID: "l1", Kind: ivr.KindRoute, Queue: "line1"},
		&ivr.Node{ID: "l2", Kind: ivr.KindRoute, Queue: "line2"},
		&ivr.Node{ID: "sorry", Kind: ivr.KindHangup, Message: sounds("tt-somethingwrong")},
	)}
	g.start(cfg)

	found := g.place(ariemu.Caller{DID: "5559100", Number: "+4930111111", TalkTime: 100 * time.Millisecond})
	nobody := g.place(ariemu.Caller{DID: "5559100", Number: "+4930222222", TalkTime: 100 * time.Millisecond})
	start := time.Now()
	slow := g.place(ariemu.Caller{DID: "5559100", Number: "+4930333333"})
	if rec := g.ended(slow); rec.Outcome != ariemu.OutcomeHungUpByApp || time.Since(start) > 8*time.Second {
		t.Fatalf("slow lookup: %+v after %v", rec, time.Since(start))
	}
	if !spy.played(slow + " sound:tt-somethingwrong") {
		t.Fatal("the failed branch's message was not played")
	}
	for _, ch := range []string{found, nobody} {
		if rec := g.ended(ch); rec.Outcome != ariemu.OutcomeCompleted {
			t.Fatalf("caller %s: %+v", ch, rec)
		}
	}
	if q := enqueuedTo(g, found); q != "line2" {
		t.Fatalf("found customer queued to %q", q)
	}
	if !spy.played(found + " sound:your-balance-is,number:42") {
		t.Fatalf("balance not read out: %v", spy.plays)
	}
	if q := enqueuedTo(g, nobody); q != "line1" {
		t.Fatalf("unknown caller queued to %q", q)
	}
	if q := enqueuedTo(g, slow); q != "" {
		t.Fatalf("timed-out lookup queued to %q", q)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 3 || asked[0].By != ivr.ByCaller || asked[0].CallID == "" {
		t.Fatalf("lookups: %+v", asked)
	}
}

// A transfer node sends the caller into the configured dialplan context at the node's number;
// the dialplan dials it and the caller talks to it outside the application.
func TestIVRTransferToNumber(t *testing.T) {
	t.Parallel()
	g := newRig(t, func(o *ariemu.Options) { o.Dialplan = map[string]string{"sb-transfer": "PJSIP/${EXTEN}@carrier"} })
	g.emu.SetPhone("PJSIP/+4930123456@carrier", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond,
		TalkTime: 200 * time.Millisecond})
	cfg := testConfig()
	cfg.TransferContext = "sb-transfer"
	cfg.DIDs["5559200"] = router.Route{Flow: flowOf("xfer", "",
		&ivr.Node{ID: "out", Kind: ivr.KindTransfer, Number: "+4930123456"})}
	g.start(cfg)
	ch := g.place(ariemu.Caller{DID: "5559200"})
	rec := g.ended(ch)
	if rec.Outcome != ariemu.OutcomeContinued || rec.Continued != "sb-transfer,+4930123456,1" || len(rec.Peers) != 1 {
		t.Fatalf("caller: %+v", rec)
	}
	out := g.ended(rec.Peers[0])
	if out.Kind != ariemu.KindDialed || out.Endpoint != "PJSIP/+4930123456@carrier" || out.Answered.IsZero() || out.HungUpBy != "agent" {
		t.Fatalf("dialled leg: %+v", out)
	}
	g.eventually("the router holds no call", func() bool { s := g.r.Snapshot(); return s != nil && s.Calls == 0 })
	if n := count(g, "", func(e acd.CallEnqueued) bool { return e.Call == callID(ch) }); n != 0 {
		t.Fatal("a transferred caller was queued")
	}
}

// Without a transfer context the caller hears that the service is unavailable and is let go.
func TestIVRTransferWithoutContext(t *testing.T) {
	t.Parallel()
	g := newRig(t)
	cfg := testConfig()
	cfg.DIDs["5559200"] = router.Route{Flow: flowOf("xfer", "",
		&ivr.Node{ID: "out", Kind: ivr.KindTransfer, Number: "+4930123456"})}
	g.start(cfg)
	if rec := g.ended(g.place(ariemu.Caller{DID: "5559200"})); rec.Outcome != ariemu.OutcomeHungUpByApp || rec.Continued != "" {
		t.Fatalf("caller: %+v", rec)
	}
}

// When the agent hangs up first in a queue with a survey, the caller stays and rates the call;
// the score goes to the CSAT hook with the call, queue and agent. A wrong digit and silence
// leave no score, and a caller who hangs up in the survey leaves nothing behind.
func TestPostCallSurvey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		act     func(g *rig, ch string) error
		outcome string
		score   int
	}{
		{"rated", func(g *rig, ch string) error { return g.emu.PressDigit(ch, "4") }, ariemu.OutcomeHungUpByApp, 4},
		{"wrong digit then silence", func(g *rig, ch string) error { return g.emu.PressDigit(ch, "9") }, ariemu.OutcomeHungUpByApp, 0},
		{"caller leaves", func(g *rig, ch string) error { return g.emu.Hangup(ch) }, ariemu.OutcomeCompleted, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := newRig(t)
			var mu sync.Mutex
			var scores []router.CSAT
			g.options = func(o *router.Options) {
				o.CSAT = func(_ context.Context, s router.CSAT) error {
					mu.Lock()
					defer mu.Unlock()
					scores = append(scores, s)
					return nil
				}
			}
			g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond, TalkTime: 200 * time.Millisecond})
			cfg := testConfig()
			cfg.Settings = map[string]router.QueueSettings{"line1": {Survey: flowOf("survey", "",
				&ivr.Node{ID: "rate", Kind: ivr.KindSurvey, Prompt: sounds("rate-1-to-5"), Invalid: sounds("invalid"), Next: "thanks",
					Retries: 1, Timeout: 300 * time.Millisecond},
				&ivr.Node{ID: "thanks", Kind: ivr.KindHangup, Message: sounds("thank-you")})}}
			g.start(cfg)
			ch := g.place(ariemu.Caller{})
			g.eventually("the agent hung up", func() bool {
				return count(g, "", func(e acd.CallEnded) bool { return e.Call == callID(ch) }) == 1
			})
			if err := tc.act(g, ch); err != nil {
				t.Fatal(err)
			}
			if rec := g.ended(ch); rec.Outcome != tc.outcome {
				t.Fatalf("caller: %+v", rec)
			}
			g.eventually("the router holds no call", func() bool { s := g.r.Snapshot(); return s != nil && s.Calls == 0 })
			mu.Lock()
			defer mu.Unlock()
			switch {
			case tc.score == 0 && len(scores) != 0:
				t.Fatalf("scores: %+v", scores)
			case tc.score == 0:
			case len(scores) != 1:
				t.Fatalf("scores: %+v", scores)
			case scores[0].CallID != callID(ch) || scores[0].Agent != "a1" || scores[0].Queue != "line1" ||
				scores[0].Score != tc.score || scores[0].At.IsZero():
				t.Fatalf("score: %+v", scores[0])
			}
		})
	}
}

// In a callback offer the caller enters another number: the callback goes to it in E.164; a
// premium number is refused and the caller keeps their own.
func TestIVRCallbackOtherNumber(t *testing.T) {
	t.Parallel()
	g := newRig(t)
	var mu sync.Mutex
	got := map[string]string{}
	g.callback = func(id string, cb ivr.Callback, _ time.Time) error {
		mu.Lock()
		defer mu.Unlock()
		got[id] = cb.Number
		return nil
	}
	cfg := testConfig()
	cfg.LoginAgents = false
	cfg.DIDs["5559300"] = router.Route{Flow: flowOf("callme", "l1",
		&ivr.Node{ID: "offer", Kind: ivr.KindCallback, Prompt: sounds("offer"), Queue: "line1", DeclineNode: "l1", Other: "3",
			NumberPrompt: sounds("enter-number"), NumberRefused: sounds("refused"), Numbers: callback.Policy{HomeCountry: "49", DenyPrefixes: []string{"+49900"}}},
		&ivr.Node{ID: "l1", Kind: ivr.KindRoute, Queue: "line1"})}
	g.start(cfg)
	press := func(keys string) []ariemu.DigitPress {
		var ds []ariemu.DigitPress
		for i, k := range keys {
			ds = append(ds, ariemu.DigitPress{Digit: string(k), After: 50 * time.Millisecond, AfterPrompt: i == 0 || k == '1' && i == len(keys)-1})
		}
		return ds
	}
	other := g.place(ariemu.Caller{DID: "5559300", Number: "+4930111222", Digits: press("3030555123#")})
	premium := g.place(ariemu.Caller{DID: "5559300", Number: "+4930111333", Digits: append(press("309001234567#"), press("1")...)})
	for _, ch := range []string{other, premium} {
		if rec := g.ended(ch); rec.Outcome != ariemu.OutcomeHungUpByApp {
			t.Fatalf("caller %s: %+v", ch, rec)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if got[callID(other)] != "+4930555123" || got[callID(premium)] != "+4930111333" {
		t.Fatalf("callbacks: %v", got)
	}
}

// A lookup by digits of a sensitive collect node (a PIN) tells the hook they are sensitive,
// so that it keeps them out of URLs (cmd/switchboard looks them up in the local records only).
func TestIVRLookupSensitive(t *testing.T) {
	t.Parallel()
	g := newRig(t)
	asked := make(chan router.LookupQuery, 4)
	g.options = func(o *router.Options) {
		o.Lookup = func(ctx context.Context, q router.LookupQuery) (ivr.Customer, bool, error) {
			asked <- q
			return ivr.Customer{}, false, nil
		}
	}
	cfg := testConfig()
	cfg.DIDs["5559110"] = router.Route{Flow: flowOf("pin", "l1",
		&ivr.Node{ID: "pin", Kind: ivr.KindCollect, Prompt: sounds("enter-pin"), MinDigits: 4, MaxDigits: 4, Terminator: "none",
			Sensitive: true, Var: "pin", Next: "check", Fallback: "l1", NoRetry: true, Timeout: 5 * time.Second},
		&ivr.Node{ID: "check", Kind: ivr.KindLookup, By: ivr.ByVar, Var: "pin", Found: "l1", NotFound: "l1", Failed: "l1"},
		&ivr.Node{ID: "l1", Kind: ivr.KindRoute, Queue: "line1"},
	)}
	g.start(cfg)
	var digits []ariemu.DigitPress
	for _, d := range "1234" {
		digits = append(digits, ariemu.DigitPress{Digit: string(d), After: 50 * time.Millisecond})
	}
	ch := g.place(ariemu.Caller{DID: "5559110", Number: "+4930444444", Digits: digits, TalkTime: 100 * time.Millisecond})
	select {
	case q := <-asked:
		if q.By != ivr.ByVar || q.Account != "1234" || !q.Sensitive {
			t.Fatalf("lookup of a sensitive entry: %+v", q)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no lookup")
	}
	if rec := g.ended(ch); rec.Outcome != ariemu.OutcomeCompleted || enqueuedTo(g, ch) != "line1" {
		t.Fatalf("caller %+v, queued to %q", rec, enqueuedTo(g, ch))
	}
}
