package main

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/ariemu"
	"switchboard/internal/store"
	"switchboard/internal/testkit"
)

// agentChannelsSince counts the agent channels created after t (offers made).
func agentChannelsSince(emu *ariemu.Server, t time.Time) int {
	n := 0
	for _, r := range emu.Calls() {
		if r.Kind == ariemu.KindAgent && r.Created.After(t) {
			n++
		}
	}
	return n
}

func placeCaller(t *testing.T, emu *ariemu.Server, number, did string) string {
	t.Helper()
	ch, err := emu.PlaceCaller(ariemu.Caller{Number: number, DID: did})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func talksToOneAgent(emu *ariemu.Server, ch string) func() bool {
	return func() bool { return len(agentPeers(emu, ch)) == 1 }
}

// The leader frozen (SIGSTOP) past its lease: the standby takes over and serves the calls that
// arrive, a callback among them; resumed, the old leader steps down (exit status 3) without
// offering, dialing or bridging anything, though the events of the freeze wait for it.
func TestHAFrozenLeaderStepsDown(t *testing.T) {
	g := newHARig(t, *haLease)
	r1 := g.start("r1", g.dbURL)
	testkit.Eventually(t, "r1 leads", r1.leads)
	r2 := g.start("r2", g.dbURL)
	leaderOf(t, r1, r2)
	before := placeCaller(t, g.emu, "+4930500001", "5552000")
	testkit.Eventually(t, "the first caller talks to an agent", talksToOneAgent(g.emu, before))

	r1.signal(syscall.SIGSTOP)
	stopped := time.Now()
	if _, ok := waitFor(10*time.Second, r2.leads); !ok {
		t.Fatal("r2 did not take over from the frozen r1")
	}
	t.Logf("take-over from a frozen leader: %v", time.Since(stopped).Round(10*time.Millisecond))
	during := placeCaller(t, g.emu, "+4930500002", "5551000")
	number := g.requestCallback(t, "+4930500003")
	if err := g.emu.Hangup(before); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "r2 serves the caller who came during the freeze", talksToOneAgent(g.emu, during))
	testkit.Eventually(t, "r2 calls the customer back", func() bool { return len(g.emu.CustomerCalls(number)) == 1 })

	resumed := time.Now()
	r1.signal(syscall.SIGCONT)
	select {
	case <-r1.done:
	case <-time.After(5 * time.Second):
		t.Fatal("r1 resumed and still runs")
	}
	if r1.exitCode != exitSteppedDown {
		t.Errorf("r1's exit status %d, want %d (stepped down)", r1.exitCode, exitSteppedDown)
	}
	b, _ := os.ReadFile(r1.log)
	if !strings.Contains(string(b), "stepping down") {
		t.Errorf("r1's log does not say it stepped down")
	}
	t.Logf("r1's requests refused after it resumed: %d to Asterisk, %d to the database",
		strings.Count(string(b), "no longer leads"), strings.Count(string(b), "stale leader term"))
	// r2 has nothing to offer now: an agent channel made since the resume is r1's.
	if _, ok := waitFor(500*time.Millisecond, func() bool { return agentChannelsSince(g.emu, resumed) > 0 }); ok {
		t.Errorf("an agent was offered a call after r1 resumed: %d channels", agentChannelsSince(g.emu, resumed))
	}
	p := agentPeers(g.emu, during)
	if len(p) != 1 {
		t.Fatalf("the caller of the freeze talked to %d agents", len(p))
	}
	for _, ch := range []string{during, p[0]} {
		if rec, _ := g.emu.Call(ch); !rec.Ended.IsZero() {
			t.Errorf("channel %s of the call r2 serves was hung up (by %s) after r1 resumed", ch, rec.HungUpBy)
		}
	}
	if c := g.emu.CustomerCalls(number); len(c) != 1 {
		t.Errorf("the callback was dialed %d times", len(c))
	}
	if l, err := g.store.CurrentLease(context.Background()); err != nil || l.Holder != "r2" || l.Term != 2 {
		t.Errorf("lease %+v %v, want r2's term 2", l, err)
	}
	if !r2.leads() {
		t.Error("r2 no longer leads")
	}
	// What r1's connections would write now (they carry term 1) is refused.
	old, err := store.OpenFenced(context.Background(), g.dbURL, 1, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if _, err := old.SaveConfigSnapshot(context.Background(), []byte("node: stale")); !store.IsFenced(err) {
		t.Errorf("a write of r1's term: %v, want refused", err)
	}
}

// PostgreSQL unreachable from the leader only (its connections go through a proxy that is
// cut): it stops before its lease can expire, and the standby, which still reaches the
// database, takes over and keeps the call.
func TestHALeaderCutFromDatabase(t *testing.T) {
	g := newHARig(t, *haLease)
	proxy := newPGProxy(t, pgHostPort(t, g.dbURL))
	r1 := g.start("r1", strings.Replace(g.dbURL, pgHostPort(t, g.dbURL), proxy.ln.Addr().String(), 1))
	testkit.Eventually(t, "r1 leads", r1.leads)
	r2 := g.start("r2", g.dbURL)
	leaderOf(t, r1, r2)
	caller := placeCaller(t, g.emu, "+4930600001", "5552000")
	testkit.Eventually(t, "the caller talks to an agent", talksToOneAgent(g.emu, caller))

	proxy.Cut()
	cut := time.Now()
	select {
	case <-r1.done:
	case <-time.After(5 * time.Second):
		t.Fatal("r1 still runs without its database")
	}
	stoppedAfter := time.Since(cut)
	if r1.exitCode != exitSteppedDown || stoppedAfter >= *haLease {
		t.Errorf("r1 exited with %d %v after the cut; want %d within the lease (%v)", r1.exitCode, stoppedAfter, exitSteppedDown, *haLease)
	}
	if _, ok := waitFor(10*time.Second, r2.leads); !ok {
		t.Fatal("r2 did not take over")
	}
	t.Logf("r1 stopped %v after the cut; r2 led %v after it", stoppedAfter.Round(10*time.Millisecond), time.Since(cut).Round(10*time.Millisecond))
	if took := time.Since(cut); took > 5*time.Second {
		t.Errorf("take-over took %v", took)
	}
	next := placeCaller(t, g.emu, "+4930600002", "5551000")
	testkit.Eventually(t, "r2 serves a new caller", talksToOneAgent(g.emu, next))
	if p := agentPeers(g.emu, caller); len(p) != 1 {
		t.Errorf("the caller of the cut talked to %d agents", len(p))
	}
	if rec, _ := g.emu.Call(caller); !rec.Ended.IsZero() {
		t.Errorf("the caller of the cut was hung up: %+v", rec)
	}
}

func pgHostPort(t *testing.T, url string) string {
	t.Helper()
	at := strings.LastIndex(url, "@")
	rest := url[at+1:]
	if i := strings.Index(rest, "/"); i > 0 {
		return rest[:i]
	}
	t.Fatalf("no host in the database URL")
	return ""
}
