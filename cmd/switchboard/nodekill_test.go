package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/internal/ariemu"
	"switchboard/internal/testkit"
	"switchboard/internal/web"
)

// A router as a process (serve -ha alone, as the standby tests start it: it leads) over two
// emulated nodes, pbx-a and pbx-b, each an ARI server on its own port, and a private
// PostgreSQL. A caller on a is answered by an agent whose phone is on b, through the trunk,
// and recorded on a; local calls are connected on both nodes. Then b's Asterisk is killed
// (its server closed: websockets and requests gone) while a caller waits on b: b's calls end
// after its down_after, a's calls (the one across the trunk too) go on untouched and complete,
// its recording is collected and indexed, b's agents are paused "node down" and b is not
// ready in the metrics. A fresh Asterisk on b's address (a restarted one): b's agents are
// available again by themselves and take new calls.
func TestNodeKilledDuringTrafficProcess(t *testing.T) {
	began := time.Now()
	g := newHARig(t, *haLease)
	ctx := context.Background()
	phone := ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond}
	bootNode := func(name, addr string) (*ariemu.Server, string) {
		t.Helper()
		emu, err := ariemu.New(ariemu.Options{Username: "u-" + name, Password: "p-" + name, SystemName: name, RecordingsDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { emu.Close() })
		var bound string
		// A restarted node binds the port it had; it may take a moment to be free again.
		if !testkit.Poll(5*time.Second, func() bool { bound, err = emu.Start(addr); return err == nil }) {
			t.Fatalf("node %s on %s: %v", name, addr, err)
		}
		return emu, bound
	}
	emuA, addrA := bootNode("pbx-a", "127.0.0.1:0")
	emuB, addrB := bootNode("pbx-b", "127.0.0.1:0")
	emuA.SetPhone("PJSIP/1001", phone)
	emuA.SetPhone("PJSIP/2001@to-pbx-b", phone)
	emuB.SetPhone("PJSIP/2002", phone)
	g.env = []string{"PA_USER=u-pbx-a", "PA_PASSWORD=p-pbx-a", "PB_USER=u-pbx-b", "PB_PASSWORD=p-pbx-b"}
	g.conf = func(listen string) []byte {
		return fmt.Appendf(nil, `node: demo
log: {format: text, level: info}
queues:
  - {name: la, wrap_up: 100ms}
  - {name: rec, wrap_up: 100ms, recording: {policy: always, notice: none}}
  - {name: lb, wrap_up: 100ms}
agents:
  - {id: "1001", name: Alice, endpoint: PJSIP/1001, node: pbx-a, queues: [la]}
  - {id: "2001", name: Bob, endpoint: PJSIP/2001, node: pbx-b, queues: [rec]}
  - {id: "2002", name: Carol, endpoint: PJSIP/2002, node: pbx-b, queues: [lb]}
agents_login: all
dids:
  - {number: "5551000", queue: la}
  - {number: "5552000", queue: rec}
  - {number: "5553000", queue: lb}
nodes:
  - {name: pbx-a, url: "http://%s/ari", trunk: to-pbx-a, user_env: PA_USER, password_env: PA_PASSWORD}
  - {name: pbx-b, url: "http://%s/ari", trunk: to-pbx-b, user_env: PB_USER, password_env: PB_PASSWORD, down_after: 1s}
http: {listen: %q}
database: {data_dir: %q}
`, addrA, addrB, listen, filepath.Join(g.dir, "data"))
	}
	if err := addUser(ctx, g.store, "root", "admin", "", nil, "a long password"); err != nil {
		t.Fatal(err)
	}
	r := g.start("r1", g.dbURL)
	ready := func(node string) string { return r.metric(`switchboard_node_ready{node="` + node + `"}`) }
	testkit.Eventually(t, "the router leads with both nodes ready", func() bool {
		return r.leads() && ready("pbx-a") == "1" && ready("pbx-b") == "1"
	})
	root := login(t, r.addr, "root")
	agents := func() map[string]web.AgentRow {
		resp, err := root.Get("http://" + r.addr + "/api/agents")
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		var body struct{ Agents []web.AgentRow }
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&body) != nil {
			return nil
		}
		out := map[string]web.AgentRow{}
		for _, a := range body.Agents {
			out[a.ID] = a
		}
		return out
	}
	record := func(ch string) (outcome, agent string, ended bool) {
		c, err := g.store.Call(ctx, "demo-"+ch)
		if err != nil {
			return "", "", false
		}
		return c.Outcome, c.Agent, !c.EndedAt.IsZero()
	}
	connected := func(emu *ariemu.Server, ch string) string {
		t.Helper()
		var leg string
		testkit.Eventually(t, "caller "+ch+" connected to an agent", func() bool {
			p := agentPeers(emu, ch)
			if len(p) == 1 {
				leg = p[0]
			}
			return len(p) == 1
		})
		return leg
	}
	ari := func(node string, addr, path string) int {
		req, _ := http.NewRequest("GET", "http://"+addr+"/ari"+path, nil)
		req.SetBasicAuth("u-"+node, "p-"+node)
		resp, err := haClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	// 1. Traffic on both nodes; the call across the trunk is bridged and recorded on a (and
	// goes on through b's death: it is a's call).
	across := placeOn(t, emuA, "+4930601", "5552000")
	localA := placeOn(t, emuA, "+4930602", "5551000")
	localB := placeOn(t, emuB, "+4930603", "5553000")
	acrossLeg, legA, legB := connected(emuA, across), connected(emuA, localA), connected(emuB, localB)
	if leg, _ := emuA.Call(acrossLeg); leg.Endpoint != "PJSIP/2001@to-pbx-b" || leg.Bridged.IsZero() {
		t.Fatalf("the agent leg of the call across the trunk, on pbx-a: %+v", leg)
	}
	for _, c := range emuB.Calls() {
		if c.ChannelID != localB && c.ChannelID != legB {
			t.Fatalf("pbx-b carries a channel of the call across the trunk: %+v", c)
		}
	}
	name := "call-demo-" + across
	testkit.Eventually(t, "the recording of the call across the trunk live on pbx-a", func() bool {
		return ari("pbx-a", addrA, "/recordings/live/"+name) == http.StatusOK
	})
	if code := ari("pbx-b", addrB, "/recordings/live/"+name); code != http.StatusNotFound {
		t.Fatalf("the recording on pbx-b: %d", code)
	}
	// 2. pbx-b dies while a call is connected on each node and a caller waits on b.
	waiting := placeOn(t, emuB, "+4930604", "5553000") // 2002 talks: it waits
	testkit.Eventually(t, "the caller on pbx-b waiting", func() bool {
		c, err := g.store.Call(ctx, "demo-"+waiting)
		return err == nil && c.Queue == "lb" && !c.EnqueuedAt.IsZero()
	})
	if _, n := offersOf(emuB, waiting); n != 0 {
		t.Fatalf("the waiting caller was offered %d times", n)
	}
	killed := time.Now()
	emuB.Close()
	testkit.Eventually(t, "pbx-b not ready, its agents to be paused \"node down\" after their calls", func() bool {
		ag := agents()
		return ready("pbx-b") == "0" && r.metric(`switchboard_ari_connected{node="pbx-b"}`) == "0" &&
			nodeDown(ag["2001"]) && nodeDown(ag["2002"])
	})
	testkit.Eventually(t, "pbx-b's calls ended", func() bool {
		_, _, b := record(localB)
		_, _, w := record(waiting)
		return b && w
	})
	endedIn := time.Since(killed)
	if endedIn < time.Second {
		t.Fatalf("pbx-b's calls ended %v after it went away, before its down_after (1s)", endedIn)
	}
	// Ended as a reconciliation ends calls whose channels are gone: the connected one as
	// talked to its agent; the waiting one, who did not give up, removed (not abandoned).
	if o, a, _ := record(localB); o != "completed" || a != "2002" {
		t.Fatalf("pbx-b's connected call after pbx-b went away: outcome %q, agent %q", o, a)
	}
	if o, _, _ := record(waiting); o != "removed" {
		t.Fatalf("pbx-b's waiting caller after pbx-b went away: outcome %q", o)
	}
	testkit.Eventually(t, "2002, whose call on pbx-b ended, paused \"node down\"", func() bool {
		a := agents()["2002"]
		return a.State == "paused" && a.Reason == "node down"
	})
	// a's calls, the local one and the one whose agent's phone is on b, are untouched.
	if ag := agents(); ag["1001"].State != "on_call" || ag["2001"].State != "on_call" || ready("pbx-a") != "1" {
		t.Fatalf("pbx-a after pbx-b went away: agents %+v, ready %s", ag, ready("pbx-a"))
	}
	for _, c := range [][2]string{{localA, legA}, {across, acrossLeg}} {
		if rec, _ := emuA.Call(c[0]); !rec.Ended.IsZero() || !slices.Equal(agentPeers(emuA, c[0]), []string{c[1]}) {
			t.Fatalf("pbx-a's call after pbx-b went away: %+v", rec)
		}
		if o, _, ended := record(c[0]); o != "" || ended {
			t.Fatalf("pbx-a's call record after pbx-b went away: %q", o)
		}
	}
	if code := ari("pbx-a", addrA, "/recordings/live/"+name); code != http.StatusOK {
		t.Fatalf("the recording on pbx-a after pbx-b went away: %d", code)
	}
	if err := emuA.Hangup(across); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the call across the trunk recorded as completed by 2001", func() bool {
		o, a, _ := record(across)
		return o == "completed" && a == "2001"
	})
	testkit.Eventually(t, "its recording collected and indexed", func() bool { _, err := g.store.Recording(ctx, name); return err == nil })
	if row, _ := g.store.Recording(ctx, name); row.CallID != "demo-"+across || row.Queue != "rec" || row.Agent != "2001" ||
		row.Number != "+4930601" || row.Size <= 44 || !strings.HasPrefix(row.Path, filepath.Join(g.dir, "data")) {
		t.Fatalf("index row of the recording: %+v", row)
	}

	testkit.Eventually(t, "2001, whose call on pbx-a ended, paused \"node down\"", func() bool {
		a := agents()["2001"]
		return a.State == "paused" && a.Reason == "node down"
	})
	if err := emuA.Hangup(localA); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "pbx-a's call completed by 1001", func() bool { o, a, _ := record(localA); return o == "completed" && a == "1001" })
	if ag := agents(); ag["2001"].Reason != "node down" || ag["2002"].Reason != "node down" {
		t.Fatalf("pbx-b's agents while it is away: %+v", ag)
	}

	// 3. A fresh Asterisk on pbx-b's address: its agents come back by themselves.
	restarted := time.Now()
	emuB2, _ := bootNode("pbx-b", addrB)
	emuB2.SetPhone("PJSIP/2002", phone)
	testkit.Eventually(t, "pbx-b ready and its agents available again", func() bool {
		ag := agents()
		return ready("pbx-b") == "1" && ag["2001"].State == "available" && ag["2002"].State == "available"
	})
	back := time.Since(restarted)
	again := placeOn(t, emuB2, "+4930605", "5553000")
	if leg, _ := emuB2.Call(connected(emuB2, again)); leg.Endpoint != "PJSIP/2002" {
		t.Fatalf("the new call on pbx-b's agent leg: %+v", leg)
	}
	if err := emuB2.Hangup(again); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the new call on pbx-b completed by 2002", func() bool { o, a, _ := record(again); return o == "completed" && a == "2002" })
	t.Logf("pbx-b killed: its calls ended %v later (down_after 1s); restarted: its agents available %v later; test %v",
		endedIn.Round(time.Millisecond), back.Round(time.Millisecond), time.Since(began).Round(100*time.Millisecond))
}

// nodeDown says whether an agent is paused "node down", or will be when its call ends.
func nodeDown(a web.AgentRow) bool {
	return a.State == "paused" && a.Reason == "node down" || a.After == "paused" && a.AfterReason == "node down"
}

// placeOn places a caller on a node's DID.
func placeOn(t *testing.T, emu *ariemu.Server, number, did string) string {
	t.Helper()
	ch, err := emu.PlaceCaller(ariemu.Caller{Number: number, DID: did})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}
