package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/internal/ariemu"
	"switchboard/internal/config"
	"switchboard/internal/testkit"
)

// The daemon over two Asterisk nodes (nodes: in the configuration): every agent's phone is
// on node b, callers arrive on node a and are answered through the trunk to b; the call
// record is the caller node's, the health check and the metrics name each node.
func TestDaemonOverTwoNodes(t *testing.T) {
	emus, d := twoNodeDaemon(t)
	ch, err := emus["a"].PlaceCaller(ariemu.Caller{Number: "79990004444", DID: "5552000", TalkTime: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec, err := emus["a"].WaitCall(ctx, ch, ariemu.Ended)
	if err != nil || rec.Outcome != ariemu.OutcomeCompleted || len(rec.Peers) != 1 {
		t.Fatalf("caller on a: %+v %v", rec, err)
	}
	leg, _ := emus["a"].Call(rec.Peers[0])
	if !strings.HasSuffix(leg.Endpoint, "@to-b") {
		t.Fatalf("agent leg on a: %+v", leg)
	}
	testkit.Eventually(t, "the call record", func() bool {
		c, err := d.store.Call(context.Background(), "demo-"+ch)
		return err == nil && c.Outcome == "completed" && c.Queue == "billing" && c.Agent != ""
	})
	get := func(path string) (int, string) {
		req, _ := http.NewRequest("GET", "http://"+d.addr+path, nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	testkit.Eventually(t, "healthy, and each node connected in the metrics", func() bool {
		code, _ := get("/healthz")
		_, body := get("/metrics")
		return code == 200 && strings.Contains(body, `switchboard_ari_connected{node="a"} 1`) &&
			strings.Contains(body, `switchboard_ari_connected{node="b"} 1`)
	})
}

// twoNodeDaemon starts the daemon on the demo configuration over two emulated nodes, a and
// b (channel ids "a-...", "b-..."), with every agent's phone on b and answering through the
// trunk from a; it returns once both are reconciled.
func twoNodeDaemon(t *testing.T, emuOpts ...ariemu.Options) (map[string]*ariemu.Server, *daemon) {
	t.Helper()
	emus := map[string]*ariemu.Server{}
	addrs := map[string]string{}
	for _, name := range []string{"a", "b"} {
		o := ariemu.Options{}
		if len(emuOpts) > 0 {
			o = emuOpts[0]
		}
		o.Username, o.Password, o.SystemName, o.RecordingsDir = "u-"+name, "p-"+name, name, t.TempDir()
		emu, err := ariemu.New(o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { emu.Close() })
		addr, err := emu.Start("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		emus[name], addrs[name] = emu, addr
	}
	_, d, _ := demoDaemonEmu(t, ariemu.Options{}, demoYAML, func(cfg *config.Config) {
		cfg.AgentNodes = map[string]string{}
		for _, name := range []string{"a", "b"} {
			cfg.Nodes = append(cfg.Nodes, config.Node{Name: name, URL: "http://" + addrs[name] + "/ari", App: cfg.ARI.App,
				Trunk: "to-" + name, User: "u-" + name, Password: "p-" + name, MaxConns: 4})
		}
		for _, a := range cfg.Agents {
			cfg.AgentNodes[a.ID] = "b"
			emus["a"].SetPhone(a.Endpoint+"@to-b", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
		}
	})
	testkit.Eventually(t, "both nodes reconciled", func() bool { return d.router.Reconciliations() >= 2 })
	return emus, d
}
