package router_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/router"
	"switchboard/internal/router/routertest"
	"switchboard/ivr"
	"switchboard/ivr/callback"
)

// The call-life property: random interleavings of what happens to calls (callers arriving,
// walking the IVR and hanging up at any point, or let go by it: a goodbye, a callback
// request, a transfer to the dialplan, a closed line with its callback offer; pre-queue
// lookups and originates answered late or failing; agents answering, ringing out, refusing,
// hanging up; wrap-ups ending;
// callbacks dialed and their customers answering or not; the event link dropping and coming
// back; the router killed and started again) reach every step of a call's life (IVR, lookup,
// queued, offered, ringing, connected, wrap-up, callback dialing). After every step, once the
// router is idle:
//
//  1. no agent is reserved or on a call for a call whose channels are gone;
//  2. every call row is closed once its caller's channel is gone;
//  3. no ARI request names a channel the router knew was gone (clean-ups aside);
//  4. no call bridge is left for a call whose caller is gone;
//  5. no originate reuses the id of a channel that is still up.
//
// "Gone" is as far as the router can know: it heard the channel's end, or reconciled since.
// Each run is seeded and reproducible; a failure reports its seed and steps.
//
//	ROUTER_PROPERTY_RUNS   runs (default 150)
//	ROUTER_PROPERTY_STEPS  steps per run (default 60)
//	ROUTER_PROPERTY_SEED   the first seed (default 1); with RUNS=1, replays one run

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func TestCallLifeProperty(t *testing.T) {
	runs := envInt("ROUTER_PROPERTY_RUNS", 150)
	steps := envInt("ROUTER_PROPERTY_STEPS", 60)
	first := envInt("ROUTER_PROPERTY_SEED", 1)
	if testing.Short() {
		runs = min(runs, 20)
	}
	// ROUTER_PROPERTY_SURVEY=1 runs every seed to its first violation and sums them up by
	// kind, with the shortest run of each.
	survey := os.Getenv("ROUTER_PROPERTY_SURVEY") != ""
	kinds := map[string][]string{}
	shortest := map[string]string{}
	for seed := first; seed < first+runs; seed++ {
		ok := t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			p := newPropertyRun(t, uint64(seed))
			defer p.h.Close()
			for i := 0; i < steps; i++ {
				p.step()
				bad := p.check()
				if len(bad) == 0 {
					continue
				}
				report := fmt.Sprintf("seed %d, after step %d: %s\nsteps:\n  %s\nreplay: ROUTER_PROPERTY_SEED=%d ROUTER_PROPERTY_RUNS=1 ROUTER_PROPERTY_STEPS=%d go test -run TestCallLifeProperty ./internal/router/",
					seed, i+1, strings.Join(bad, "; "), strings.Join(p.log, "\n  "), seed, i+1)
				if !survey {
					t.Fatal(report)
				}
				k := kindOf(bad[0])
				kinds[k] = append(kinds[k], strconv.Itoa(seed))
				if old, ok := shortest[k]; !ok || len(report) < len(old) {
					shortest[k] = report
				}
				return
			}
		})
		if !ok && !survey {
			break
		}
	}
	if survey && len(kinds) > 0 {
		for k, seeds := range kinds {
			t.Errorf("%d runs: %s (seeds %s)\nshortest: %s", len(seeds), k, strings.Join(seeds, " "), shortest[k])
		}
	}
}

// kindOf names a violation without its ids.
func kindOf(v string) string {
	var b strings.Builder
	for _, w := range strings.Fields(v) {
		if strings.ContainsAny(w, "0123456789") {
			w = "#"
		}
		b.WriteString(w + " ")
	}
	return strings.TrimSpace(b.String())
}

// The same seed makes the same run: the same requests, in the same order.
func TestCallLifePropertyReplays(t *testing.T) {
	trace := func(seed uint64) []string {
		p := newPropertyRun(t, seed)
		for range 60 {
			p.step()
		}
		var out []string
		for _, r := range p.h.Requests() {
			out = append(out, fmt.Sprintf("%d %s %s", r.Gen, r.At.Format("15:04:05.000"), r.Op))
		}
		p.h.Close()
		return out
	}
	for _, seed := range []uint64{3, 17} {
		a, b := trace(seed), trace(seed)
		if !slices.Equal(a, b) {
			for i := range min(len(a), len(b)) {
				if a[i] != b[i] {
					t.Fatalf("seed %d: request %d differs: %q, then %q", seed, i+1, a[i], b[i])
				}
			}
			t.Fatalf("seed %d: %d requests, then %d", seed, len(a), len(b))
		}
	}
}

type propertyRun struct {
	t       *testing.T
	h       *routertest.Harness
	rng     *rand.Rand
	log     []string
	callers int
	late    int
	seen    int                    // requests checked
	legs    map[string]answeredLeg // agent legs answered, by channel
}

type answeredLeg struct{ call, endpoint string }

func propertyConfig() router.Config {
	prompt := func(n string) []ivr.Media { return []ivr.Media{ivr.Sound(n)} }
	return router.Config{
		Node: "ast1", App: "switchboard", LoginAgents: true, RingMargin: 500 * time.Millisecond,
		Queues: []acd.QueueConfig{{Name: "line1", RingTimeout: 2 * time.Second, WrapUp: time.Second}},
		Agents: []acd.AgentConfig{
			{ID: "a1", Endpoint: "PJSIP/1001", Queues: []acd.Membership{{Queue: "line1"}}},
			{ID: "a2", Endpoint: "PJSIP/1002", Queues: []acd.Membership{{Queue: "line1"}}},
		},
		DIDs: map[string]router.Route{
			"5551000": {Queue: "line1"},
			"5558000": {Queue: "line1", Open: func(time.Time) bool { return false }, ClosedCallback: true},
			"5559000": {Flow: routertest.Flow("main", "l1",
				&ivr.Node{ID: "menu", Kind: ivr.KindMenu, Prompt: prompt("menu"), Timeout: time.Second, Retries: 1,
					Choices: map[string]string{"1": "who", "2": "l1", "3": "bye", "4": "cb", "5": "out"}, Fallback: "l1"},
				&ivr.Node{ID: "bye", Kind: ivr.KindHangup, Message: prompt("goodbye")},
				&ivr.Node{ID: "cb", Kind: ivr.KindCallback, Prompt: prompt("cb"), Queue: "line1", DeclineNode: "l1"},
				&ivr.Node{ID: "out", Kind: ivr.KindTransfer, Number: "+4930123456"},
				&ivr.Node{ID: "who", Kind: ivr.KindLookup, By: ivr.ByCaller, Found: "l1", NotFound: "l1", Failed: "l1",
					LookupTimeout: 3 * time.Second},
				&ivr.Node{ID: "l1", Kind: ivr.KindRoute, Queue: "line1"})},
		},
		Dialer:          router.Dialer{Every: time.Second, RingTimeout: 10 * time.Second},
		TransferContext: "sb-transfer",
	}
}

func newPropertyRun(t *testing.T, seed uint64) *propertyRun {
	t.Helper()
	store := &cbStore{due: []callback.Claim{{ID: 1, Attempt: 1, Number: "+4930999", Queue: "line1",
		EnqueuedAt: time.Date(2030, 1, 7, 8, 50, 0, 0, time.UTC)}}, inflight: map[int64]callback.Claim{}}
	opt := routertest.Options{Router: router.Options{
		Lookups: router.Lookups{
			ClassifyTimeout: time.Second,
			Classify: func(_ context.Context, q router.ClassifyQuery) (router.Classification, bool, error) {
				if strings.HasSuffix(q.Number, "1") {
					return router.Classification{Priority: 5, Data: map[string]string{"segment": "vip"}}, true, nil
				}
				return router.Classification{}, false, nil
			},
			LookupTimeout: time.Second,
			Lookup: func(context.Context, router.LookupQuery) (ivr.Customer, bool, error) {
				return ivr.Customer{}, false, nil
			},
		},
		Callbacks: store,
		Callback:  func(string, ivr.Callback, time.Time) error { return nil },
	}}
	p := &propertyRun{t: t, h: routertest.New(t, propertyConfig(), opt), rng: rand.New(rand.NewPCG(seed, 0x5b)),
		legs: map[string]answeredLeg{}}
	// What the outside answers late: the pre-queue and IVR lookups, the originates.
	p.h.Hold("classify *")
	p.h.Hold("lookup *")
	p.h.Hold("POST /channels/*-a*?endpoint=*")
	p.h.Hold("POST /channels/sb-cb-*?endpoint=*")
	return p
}

// channels sorts the live channels: callers, agent legs and callback customers.
func (p *propertyRun) channels() (callers, ringing, upLegs, custRinging, custUp, playing []string) {
	for _, id := range p.h.Channels() {
		c, ok := p.h.Channel(id)
		if !ok {
			continue
		}
		if len(c.Playing) > 0 && c.InApp {
			playing = append(playing, id)
		}
		switch {
		case !c.Originated:
			if c.InApp {
				callers = append(callers, id)
			}
		case c.Args[0] == "agent" && c.State == "Ring":
			ringing = append(ringing, id)
		case c.Args[0] == "agent":
			upLegs = append(upLegs, id)
		case c.State == "Ring":
			custRinging = append(custRinging, id)
		default:
			custUp = append(custUp, id)
		}
	}
	return
}

type action struct {
	weight int
	do     func()
}

func (p *propertyRun) pick(ids []string) string { return ids[p.rng.IntN(len(ids))] }

func (p *propertyRun) note(format string, a ...any) {
	p.log = append(p.log, fmt.Sprintf("%s %s", p.h.Now().Format("15:04:05.000"), fmt.Sprintf(format, a...)))
}

// step does one random thing that can happen now.
func (p *propertyRun) step() {
	h := p.h
	callers, ringing, upLegs, custRinging, custUp, playing := p.channels()
	pending := h.Pending()
	var acts []action
	add := func(w int, ok bool, f func()) {
		if ok {
			acts = append(acts, action{w, f})
		}
	}
	add(3, len(callers) < 3 && p.callers < 10, func() {
		p.callers++
		number := "+493010" + strconv.Itoa(p.rng.IntN(4))
		did := []string{"5551000", "5559000", "5558000"}[p.rng.IntN(3)]
		p.note("caller from %s to %s", number, did)
		p.note("  is %s", h.Inbound(did, number))
	})
	add(3, len(callers) > 0, func() {
		c := p.pick(callers)
		p.note("caller %s hangs up", c)
		h.Hangup(c)
	})
	add(3, len(ringing) > 0, func() {
		c := p.pick(ringing)
		ch, _ := h.Channel(c)
		p.note("agent leg %s (%s) answers", c, ch.Endpoint)
		p.legs[c] = answeredLeg{call: ch.Args[1], endpoint: ch.Endpoint}
		h.Answer(c)
	})
	add(1, len(ringing) > 0, func() {
		c := p.pick(ringing)
		cause := []int{17, 19, 20}[p.rng.IntN(3)]
		p.note("agent leg %s fails, cause %d", c, cause)
		h.Reject(c, cause)
	})
	add(1, len(upLegs) > 0, func() {
		c := p.pick(upLegs)
		p.note("agent leg %s hangs up", c)
		h.Hangup(c)
	})
	add(2, len(custRinging) > 0, func() {
		c := p.pick(custRinging)
		p.note("callback customer %s answers", c)
		h.Answer(c)
	})
	add(1, len(custRinging) > 0, func() {
		c := p.pick(custRinging)
		p.note("callback customer %s does not answer", c)
		h.Reject(c, 19)
	})
	add(1, len(custUp) > 0, func() {
		c := p.pick(custUp)
		p.note("callback customer %s hangs up", c)
		h.Hangup(c)
	})
	add(2, len(playing) > 0, func() {
		c := p.pick(playing)
		p.note("playback on %s ends", c)
		h.FinishPlayback(c)
	})
	add(2, len(callers) > 0, func() {
		c := p.pick(callers)
		d := []string{"1", "2", "3", "4", "5", "9"}[p.rng.IntN(6)]
		p.note("caller %s presses %s", c, d)
		h.Press(c, d)
	})
	add(5, len(pending) > 0, func() {
		op := p.pick(pending)
		r := h.Waiting(op)
		if p.rng.IntN(8) == 0 {
			p.note("%q fails", op)
			r.Fail(errors.New("ari: 500 Internal Server Error"))
			return
		}
		p.note("%q is answered", op)
		r.Release()
	})
	add(2, true, func() {
		d := time.Duration(1+p.rng.IntN(30)) * 100 * time.Millisecond
		p.note("%v pass", d)
		h.Advance(d)
	})
	add(1, len(ringing) > 0 || len(pending) > 0, func() {
		p.note("ring timeout (2s pass)")
		h.Advance(2 * time.Second)
	})
	add(1, h.Linked(), func() {
		p.note("event link drops")
		h.LinkDown()
	})
	add(3, !h.Linked(), func() {
		p.note("event link back")
		h.LinkUp()
	})
	add(1, true, func() {
		p.note("router restarts")
		h.Restart(nil)
	})
	add(1, true, func() {
		for _, a := range h.Agents() {
			if a.State == acd.Paused {
				p.note("agent %s is ready again", a.ID)
				_ = h.Do(func(e *acd.Engine) error { return e.Ready(a.ID) })
				return
			}
		}
		p.note("nothing (no agent paused)")
	})
	total := 0
	for _, a := range acts {
		total += a.weight
	}
	n := p.rng.IntN(total)
	for _, a := range acts {
		if n < a.weight {
			a.do()
			return
		}
		n -= a.weight
	}
}

// check returns what breaks the invariants now.
func (p *propertyRun) check() []string {
	h := p.h
	var bad []string
	base := func(call string) string { return strings.TrimPrefix(call, "ast1-") }
	for _, a := range h.Agents() {
		if a.State != acd.Reserved && a.State != acd.OnCall {
			continue
		}
		if ch := base(a.Call); h.KnownGone(ch) {
			bad = append(bad, fmt.Sprintf("agent %s is %s for %s, whose channel %s is gone", a.ID, a.State, a.Call, ch))
		}
		if a.State != acd.OnCall {
			continue
		}
		// Its leg is one it answered for the call; a leg answered too late (of an offer
		// withdrawn, or of the router before a restart) is hung up, and that is no loss.
		var legs []string
		live := false
		for leg, l := range p.legs {
			if l.call == a.Call && l.endpoint == a.Endpoint {
				legs = append(legs, leg)
				live = live || !h.KnownGone(leg)
			}
		}
		if len(legs) > 0 && !live {
			slices.Sort(legs)
			bad = append(bad, fmt.Sprintf("agent %s is on call %s, whose agent legs %v are gone", a.ID, a.Call, legs))
		}
	}
	for _, r := range h.Rows() {
		if ch := base(r.ID); r.Outcome == "" && h.KnownGone(ch) {
			queued := "queued"
			if r.Queue == "" {
				queued = "never queued"
			}
			bad = append(bad, fmt.Sprintf("call row %s (%s) is open, its channel %s gone", r.ID, queued, ch))
		}
	}
	if late := h.LateRequests(); len(late) > p.late {
		bad = append(bad, "requests for channels known gone: "+strings.Join(late[p.late:], ", "))
		p.late = len(late)
	}
	for _, b := range h.Bridges() {
		if ch, ok := strings.CutPrefix(b.ID, "sb-call-"); ok && h.KnownGone(ch) {
			bad = append(bad, fmt.Sprintf("bridge %s is left after %s is gone (members %v)", b.ID, ch, b.Members))
		}
	}
	reqs := h.Requests()
	for _, r := range reqs[p.seen:] {
		if strings.Contains(r.Op, "?endpoint=") && r.Err != nil && strings.Contains(r.Err.Error(), "already exists") {
			bad = append(bad, "originate of a channel id in use: "+r.Op)
		}
	}
	p.seen = len(reqs)
	return bad
}

// cbStore is a callback store with callbacks due: an attempt that does not connect is due
// again (up to three attempts); Recover ends the attempts left in flight.
type cbStore struct {
	due      []callback.Claim
	inflight map[int64]callback.Claim
	err      error // Request's answer
}

func (s *cbStore) Request(context.Context, callback.Request) error { return s.err }

func (s *cbStore) Claim(_ context.Context, queue string, _ time.Time, limit int) ([]callback.Claim, error) {
	var out []callback.Claim
	for len(s.due) > 0 && len(out) < limit {
		cl := s.due[0]
		s.due = s.due[1:]
		s.inflight[cl.ID] = cl
		out = append(out, cl)
	}
	return out, nil
}

func (s *cbStore) Assign(context.Context, callback.Claim, string) error { return nil }

func (s *cbStore) Finish(_ context.Context, cl callback.Claim, outcome callback.Outcome, _ time.Time) error {
	if cur, ok := s.inflight[cl.ID]; !ok || cur.Attempt != cl.Attempt {
		return errors.New("attempt not in flight")
	}
	delete(s.inflight, cl.ID)
	if outcome != callback.Connected && cl.Attempt < 3 {
		cl.Attempt++
		s.due = append(s.due, cl)
	}
	return nil
}

func (s *cbStore) Recover(context.Context) (int, error) {
	ids := slices.Sorted(maps.Keys(s.inflight))
	for _, id := range ids {
		_ = s.Finish(context.Background(), s.inflight[id], callback.Failed, time.Time{})
	}
	return len(ids), nil
}

func (s *cbStore) Expire(context.Context, time.Time) (int, error) { return 0, nil }
