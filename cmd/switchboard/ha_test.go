package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/ariemu"
	"switchboard/internal/testkit"
	"switchboard/ivr/callback"
)

var (
	haKills = flag.Int("ha.kills", 20, "TestHAKillLeader: how many times the leader is killed")
	haLease = flag.Duration("ha.lease", 1500*time.Millisecond, "the standby-router tests' lease (serve -lease)")
)

// leaderOf waits until one of the routers leads and the others stand by; it returns the leader.
func leaderOf(t *testing.T, routers ...*haRouter) *haRouter {
	t.Helper()
	var leader *haRouter
	testkit.Eventually(t, "one router leads, the others stand by", func() bool {
		leader = nil
		for _, r := range routers {
			switch {
			case r.leads() && leader == nil:
				leader = r
			case !r.standsBy():
				return false
			}
		}
		return leader != nil
	})
	return leader
}

// Two routers: one leads, the other stands by and says so (healthz 503 "standby", the leader's
// name on its pages, switchboard_leader 0); calls are served.
func TestHAStandbySaysWhoLeads(t *testing.T) {
	g := newHARig(t, *haLease)
	r1 := g.start("r1", g.dbURL)
	testkit.Eventually(t, "r1 leads", r1.leads)
	r2 := g.start("r2", g.dbURL)
	leaderOf(t, r1, r2)
	if v := r1.metric("switchboard_leader"); v != "1" {
		t.Errorf("leader's switchboard_leader %q", v)
	}
	if v := r2.metric("switchboard_leader"); v != "0" {
		t.Errorf("standby's switchboard_leader %q", v)
	}
	if a, b := r1.metric("switchboard_leader_term"), r2.metric("switchboard_leader_term"); a != "1" || b != "1" {
		t.Errorf("terms: leader %q, standby %q; want 1", a, b)
	}
	req, _ := http.NewRequest("GET", "http://"+r2.addr+"/wallboard", nil)
	req.Header.Set("Accept-Language", "ru")
	resp, err := haClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), "маршрутизатор r1 (срок 1)") {
		t.Errorf("standby's page: %d %s", resp.StatusCode, body)
	}
	ch, err := g.emu.PlaceCaller(ariemu.Caller{Number: "+4930300001", DID: "5552000"})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the caller talks to an agent", func() bool { return len(agentPeers(g.emu, ch)) == 1 })

	// Stopped cleanly, the leader releases the lease: it is free (or r2's) the moment r1 exits.
	r1.signal(syscall.SIGTERM)
	<-r1.done
	if l, err := g.store.CurrentLease(context.Background()); err != nil || (l.Held && l.Holder == "r1") || r1.exitCode != 0 {
		t.Errorf("after r1 stopped (status %d): lease %+v %v", r1.exitCode, l, err)
	}
	testkit.Eventually(t, "r2 leads", r2.leads)
	testkit.Eventually(t, "r2 keeps the call", func() bool {
		rec, _ := g.emu.Call(ch)
		return rec.Ended.IsZero() && r2.metric("switchboard_leader_term") == "2"
	})
}

// agentPeers are the agent channels a channel shared a bridge with.
func agentPeers(emu *ariemu.Server, ch string) []string {
	rec, _ := emu.Call(ch)
	var out []string
	for _, p := range rec.Peers {
		if r, ok := emu.Call(p); ok && r.Kind == ariemu.KindAgent {
			out = append(out, p)
		}
	}
	return out
}

// haRound is one kill of the leader: the calls placed around it and the take-over time.
type haRound struct {
	callers   []string
	callbacks []string // customers' numbers
	takeOver  time.Duration
}

// The leader killed with -9 at random points of calls' lives, again and again: a standby takes
// over within 5 s each time; every caller ends up with exactly one agent, every callback is
// dialed exactly once. go test -run TestHAKillLeader -v ./cmd/switchboard -args -ha.lease=3s
// prints the figures of docs/ha.md.
func TestHAKillLeader(t *testing.T) {
	g := newHARig(t, *haLease)
	for i := 1001; i <= 1010; i++ { // phones ring 0.4 s: a kill finds calls waiting, ringing or connected
		g.emu.SetPhone(fmt.Sprintf("PJSIP/%d", i), ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 400 * time.Millisecond})
	}
	routers := map[string]*haRouter{"r1": g.start("r1", g.dbURL)}
	testkit.Eventually(t, "r1 leads", routers["r1"].leads)
	routers["r2"] = g.start("r2", g.dbURL)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 17))
	var rounds []haRound
	for i := range *haKills {
		leader := leaderOf(t, routers["r1"], routers["r2"])
		var other *haRouter
		for _, r := range routers {
			if r != leader {
				other = r
			}
		}
		round := haRound{}
		for j := range 2 {
			ch, err := g.emu.PlaceCaller(ariemu.Caller{Number: fmt.Sprintf("+49303%02d%04d", i, j), DID: []string{"5552000", "5551000"}[j]})
			if err != nil {
				t.Fatal(err)
			}
			round.callers = append(round.callers, ch)
		}
		if i%4 == 0 {
			round.callbacks = append(round.callbacks, g.requestCallback(t, fmt.Sprintf("+4930400%04d", i)))
		}
		time.Sleep(time.Duration(rng.IntN(1000)) * time.Millisecond) // a random point of the calls' lives
		leader.signal(syscall.SIGKILL)
		killed := time.Now()
		<-leader.done
		_, ok := waitFor(10*time.Second, other.leads)
		if !ok {
			t.Fatalf("round %d: %s did not take over from %s in 10 s", i, other.name, leader.name)
		}
		round.takeOver = time.Since(killed)
		routers[leader.name] = g.start(leader.name, g.dbURL)
		g.settle(t, i, round)
		rounds = append(rounds, round)
	}
	g.report(t, rounds)
}

// requestCallback asks for a callback to number in billing, due now; its customer answers.
func (g *haRig) requestCallback(t *testing.T, number string) string {
	g.emu.SetCustomer(number, ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond, TalkTime: 300 * time.Millisecond})
	now := time.Now()
	_, _, err := g.store.RequestCallback(context.Background(), callback.Request{Node: "demo", Number: number, Queue: "billing",
		EnqueuedAt: now, Reason: callback.Missed, MaxAttempts: 3, NextAt: now, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return number
}

// settle checks a round once the new leader has it: each caller talks to exactly one agent (then
// hangs up), each callback's customer was called exactly once.
func (g *haRig) settle(t *testing.T, i int, round haRound) {
	t.Helper()
	for _, ch := range round.callers {
		if _, ok := waitFor(10*time.Second, func() bool { return len(agentPeers(g.emu, ch)) >= 1 }); !ok {
			rec, _ := g.emu.Call(ch)
			t.Fatalf("round %d: caller %s lost: %+v", i, ch, rec)
		}
	}
	for _, n := range round.callbacks {
		if _, ok := waitFor(10*time.Second, func() bool {
			calls := g.emu.CustomerCalls(n)
			return len(calls) == 1 && !calls[0].Ended.IsZero()
		}); !ok {
			t.Fatalf("round %d: callback to %s: customer calls %+v", i, n, g.emu.CustomerCalls(n))
		}
	}
	for _, ch := range round.callers {
		if err := g.emu.Hangup(ch); err != nil {
			t.Fatalf("round %d: hang up %s: %v", i, ch, err)
		}
	}
}

// report checks what no round could see alone (a call offered again later, a callback dialed
// again) and prints the take-over times.
func (g *haRig) report(t *testing.T, rounds []haRound) {
	var times []time.Duration
	calls, kept, reoffered := 0, 0, 0
	for i, r := range rounds {
		times = append(times, r.takeOver)
		for _, ch := range r.callers {
			calls++
			if p := agentPeers(g.emu, ch); len(p) != 1 {
				t.Errorf("round %d: caller %s talked to %d agents: %v", i, ch, len(p), p)
			} else {
				kept++
			}
			offers, n := offersOf(g.emu, ch)
			reoffered += n - 1
			if a, b, ok := overlapping(offers); ok {
				t.Errorf("round %d: caller %s offered twice at once: %+v and %+v", i, ch, a, b)
			}
		}
		for _, n := range r.callbacks {
			if c := g.emu.CustomerCalls(n); len(c) != 1 {
				t.Errorf("round %d: callback %s dialed %d times", i, n, len(c))
			}
		}
	}
	slices.Sort(times)
	p50, worst := times[len(times)/2], times[len(times)-1]
	if worst > 5*time.Second {
		t.Errorf("take-over took up to %v, want within 5 s", worst)
	}
	fmt.Printf("HA take-over over %d kills -9 (lease %v): p50 %v, max %v; calls kept %d of %d, offers taken back and made again %d, none at once\n",
		len(times), *haLease, p50.Round(10*time.Millisecond), worst.Round(10*time.Millisecond), kept, calls, reoffered)
}

// offersOf are the agent legs the routers made for a caller (<channel>-a1, -a2, …), one record
// per channel id, and how many times they were originated: a router that takes over numbers
// its offers afresh and may reuse an id whose channel has ended (Asterisk, and the emulator,
// refuse an id still in use, so legs of one id are never up together).
func offersOf(emu *ariemu.Server, ch string) (legs []ariemu.CallRecord, originated int) {
	seen := map[string]bool{}
	for _, r := range emu.Calls() {
		if r.Kind == ariemu.KindAgent && strings.HasPrefix(r.ChannelID, ch+"-a") {
			originated++
			if !seen[r.ChannelID] {
				seen[r.ChannelID] = true
				legs = append(legs, r)
			}
		}
	}
	return legs, originated
}

// overlapping finds two legs that were up at the same time: a call offered twice at once. A
// leg a killed leader left (ringing, or answered and not bridged) is hung up by the new
// leader's reconciliation before it offers the call again.
func overlapping(legs []ariemu.CallRecord) (a, b ariemu.CallRecord, ok bool) {
	end := func(r ariemu.CallRecord) time.Time {
		if r.Ended.IsZero() {
			return time.Now()
		}
		return r.Ended
	}
	for i := range legs {
		for j := range legs {
			x, y := legs[i], legs[j]
			if i == j || !x.Created.Before(y.Created) || !y.Created.Before(end(x)) {
				continue // not x, then y while x was up
			}
			return x, y, true
		}
	}
	return a, b, false
}
