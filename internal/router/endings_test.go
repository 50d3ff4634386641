package router_test

import (
	"errors"
	"strings"
	"switchboard/ivr/callback"
	"testing"
	"time"

	"switchboard/internal/router"
	"switchboard/internal/router/routertest"
	"switchboard/ivr"
)

// endingsConfig: 5559000 is the IVR of ivrConfig (3 takes the callback offer), 5559300 a
// menu whose 1 says goodbye, 2 transfers out and 3 transfers with no context to go to,
// 5558000 a closed line with the after-hours callback offer and 5558100 a closed line with
// its message only.
func endingsConfig() router.Config {
	cfg := ivrConfig()
	cfg.LoginAgents = false
	cfg.TransferContext = "sb-transfer"
	cfg.DIDs["5559300"] = router.Route{Flow: routertest.Flow("self", "bye",
		&ivr.Node{ID: "menu", Kind: ivr.KindMenu, Prompt: routertest.Sounds("menu"), Timeout: time.Second,
			Choices: map[string]string{"1": "bye", "2": "out"}, Fallback: "bye"},
		&ivr.Node{ID: "bye", Kind: ivr.KindHangup, Message: routertest.Sounds("goodbye")},
		&ivr.Node{ID: "out", Kind: ivr.KindTransfer, Number: "+4930123456"})}
	closed := func(time.Time) bool { return false }
	cfg.DIDs["5558000"] = router.Route{Queue: "line1", Open: closed, ClosedCallback: true}
	cfg.DIDs["5558100"] = router.Route{Queue: "line1", Open: closed, ClosedMessage: "closed-now"}
	return cfg
}

// Every call that never queued has its row ended when it ends, at the router's clock, with how
// it ended: the caller hanging up (abandoned), or the router's own ending (a goodbye in the IVR,
// a callback request taken, a transfer to the dialplan, a closed line).
func TestUnqueuedCallRowsEnd(t *testing.T) {
	const t0 = "09:00:00.000"
	for _, tt := range []struct {
		name    string
		did     string
		store   error // the callback stores' answer
		walk    func(h *routertest.Harness, c string)
		outcome string
		ended   string // on the clock
	}{
		{name: "caller hangs up in the IVR", did: "5559300", walk: func(h *routertest.Harness, c string) {
			h.Advance(300 * time.Millisecond)
			h.Hangup(c)
		}, outcome: routertest.Abandoned, ended: "09:00:00.300"},
		{name: "goodbye node", did: "5559300", walk: func(h *routertest.Harness, c string) {
			h.Advance(200 * time.Millisecond)
			h.Press(c, "1")
			h.Advance(5 * time.Second)
		}, outcome: routertest.SelfService, ended: "09:00:00.200"},
		{name: "caller hangs up during the goodbye", did: "5559300", walk: func(h *routertest.Harness, c string) {
			h.Press(c, "1")
			h.Advance(time.Second)
			h.Hangup(c)
		}, outcome: routertest.SelfService, ended: t0},
		{name: "transfer to the dialplan", did: "5559300", walk: func(h *routertest.Harness, c string) {
			h.Advance(700 * time.Millisecond)
			h.Press(c, "2")
		}, outcome: routertest.TransferredOut, ended: "09:00:00.700"},
		{name: "callback request in the IVR", did: "5559000", walk: func(h *routertest.Harness, c string) {
			h.Press(c, "3")
			h.FinishPlayback(c)
			h.Advance(400 * time.Millisecond)
			h.Press(c, "1")
			h.Advance(5 * time.Second)
		}, outcome: routertest.CallbackRequested, ended: "09:00:00.400"},
		{name: "callback request not stored", did: "5559000", store: errors.New("database down"), walk: func(h *routertest.Harness, c string) {
			h.Press(c, "3")
			h.FinishPlayback(c)
			h.Press(c, "1")
			h.Advance(5 * time.Second)
		}, outcome: routertest.SelfService, ended: t0},
		{name: "after hours: callback requested", did: "5558000", walk: func(h *routertest.Harness, c string) {
			h.Press(c, "1")
			h.Advance(2 * time.Second)
			h.Press(c, "1")
			h.Advance(5 * time.Second)
		}, outcome: routertest.CallbackRequested, ended: "09:00:02.000"},
		{name: "after hours: offer declined", did: "5558000", walk: func(h *routertest.Harness, c string) {
			h.Advance(time.Second)
			h.Press(c, "9")
			h.Advance(5 * time.Second)
		}, outcome: routertest.Closed, ended: "09:00:01.000"},
		{name: "after hours: silence", did: "5558000", walk: func(h *routertest.Harness, c string) {
			h.FinishPlayback(c)
			h.Advance(15 * time.Second)
		}, outcome: routertest.Closed, ended: "09:00:10.000"},
		{name: "after hours: caller hangs up during the offer", did: "5558000", walk: func(h *routertest.Harness, c string) {
			h.Advance(1500 * time.Millisecond)
			h.Hangup(c)
		}, outcome: routertest.Closed, ended: "09:00:01.500"},
		{name: "closed line, message only", did: "5558100", walk: func(h *routertest.Harness, c string) {
			h.Advance(5 * time.Second)
		}, outcome: routertest.Closed, ended: t0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cbs := &cbStore{inflight: map[int64]callback.Claim{}, err: tt.store}
			opt := routertest.Options{Router: router.Options{Callbacks: cbs,
				Callback: func(string, ivr.Callback, time.Time) error { return tt.store }}}
			h := start(t, endingsConfig(), opt)
			c := h.Inbound(tt.did, "+4930111")
			tt.walk(h, c)
			if ch, ok := h.Channel(c); !h.Gone(c) && ok && ch.InApp {
				t.Fatalf("caller %s still in the application", c)
			}
			r, ok := h.Row("ast1-" + c)
			if !ok {
				t.Fatal("no call row")
			}
			if got, want := []string{r.Outcome, r.Ended.Format("15:04:05.000")}, []string{tt.outcome, tt.ended}; got[0] != want[0] || got[1] != want[1] {
				t.Fatalf("row outcome/ended: got %v, want %v", got, want)
			}
			if r.Number != "+4930111" {
				t.Fatalf("row number %q", r.Number)
			}
			h.Advance(time.Second) // the statistics are refreshed every second
			if s := h.Router().Snapshot(); s.Calls != 0 {
				t.Fatalf("the router holds %d calls", s.Calls)
			}
		})
	}
}

// The event link drops and comes back while the router is saying goodbye to a caller (the
// call forgotten, its hang-up due after the prompt). Reconcile finds the caller still in the
// application but takes it for no new caller: it neither reads its variables nor queues it,
// and nothing is asked of the channel after the router's own hang-up.
func TestReconcileLeavesAGoodbyeAlone(t *testing.T) {
	h := start(t, endingsConfig(), routertest.Options{})
	c := h.Inbound("5559300", "+4930111")
	h.Advance(200 * time.Millisecond)
	h.Press(c, "1")
	h.TakeRequests()
	h.LinkDown()
	h.LinkUp()
	for _, r := range h.TakeRequests() {
		if strings.Contains(r, "variable=SB_") || strings.Contains(r, "addChannel") {
			t.Fatalf("reconcile adopted the caller it is saying goodbye to: %s", r)
		}
	}
	h.Advance(5 * time.Second)
	if !h.Gone(c) {
		t.Fatal("the caller is still up after the goodbye")
	}
	if late := h.LateRequests(); len(late) != 0 {
		t.Fatalf("requests for channels known gone: %v", late)
	}
	if r, _ := h.Row("ast1-" + c); r.Outcome != routertest.SelfService {
		t.Fatalf("row outcome %q, want %q", r.Outcome, routertest.SelfService)
	}
}
