package asterisk_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"switchboard/internal/ariemu"
	"switchboard/internal/asterisk"
	"switchboard/internal/router"
)

// The router asks Asterisk for the events it acts on only: the application's filter lists
// router.EventTypes, and a whole answered call sends none of the others over the socket.
func TestEventFilterOnConnect(t *testing.T) {
	g := newRig(t)
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	cfg := testConfig()
	g.start(cfg)
	allowed := func() []string {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", g.url+"/applications/"+cfg.App, nil)
		req.SetBasicAuth("sb", "secret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var app struct {
			Allowed []struct {
				Type string `json:"type"`
			} `json:"events_allowed"`
		}
		_ = json.Unmarshal(b, &app)
		var out []string
		for _, a := range app.Allowed {
			out = append(out, a.Type)
		}
		return out
	}
	g.eventually("event filter set", func() bool { return slices.Equal(allowed(), router.EventTypes()) })
	ch := g.place(ariemu.Caller{TalkTime: 200 * time.Millisecond})
	if rec := g.ended(ch); rec.Outcome != ariemu.OutcomeCompleted {
		t.Fatalf("caller: %+v", rec)
	}
	mfs, err := g.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "switchboard_ari_events_ignored_total" {
			if n := mf.Metric[0].Counter.GetValue(); n != 0 {
				t.Errorf("%v events of types the router skips crossed the socket", n)
			}
		}
	}
}

// A call bridge Asterisk made for a call long over (its creation answered after the router
// gave up on it) is in no application's list, being empty: the reconciliation at start finds
// it in the list of every bridge and deletes it. The holding bridge and bridges that are not
// the router's stay.
func TestReconcileDeletesLeakedCallBridges(t *testing.T) {
	g := newRig(t)
	rest := asterisk.NewREST(asterisk.RESTOptions{URL: g.url, App: "switchboard", Username: "sb", Password: "secret"})
	ctx := context.Background()
	for id, kind := range map[string]string{"sb-call-1796000000.1": "mixing", "sb-hold-line1": "holding", "other": "mixing"} {
		if err := rest.CreateBridge(ctx, id, kind); err != nil {
			t.Fatal(err)
		}
	}
	g.start(testConfig())
	g.eventually("leaked call bridge deleted", func() bool {
		all, err := rest.ListBridges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, leaked := all["sb-call-1796000000.1"]
		return !leaked
	})
	all, _ := rest.ListBridges(ctx)
	for _, id := range []string{"sb-hold-line1", "other"} {
		if _, ok := all[id]; !ok {
			t.Errorf("bridge %s deleted", id)
		}
	}
}

// A router that stops (SIGTERM ends the daemon's context) closes its event websocket with a
// close frame: Asterisk logs "Web socket closed abruptly" and a read error for one dropped
// without it.
func TestEventsCloseCleanlyOnStop(t *testing.T) {
	g := newRig(t)
	g.start(testConfig())
	g.stop()
	g.eventually("websocket closed", func() bool { c, a := g.emu.WebsocketCloses(); return c+a > 0 })
	if clean, abrupt := g.emu.WebsocketCloses(); clean != 1 || abrupt != 0 {
		t.Fatalf("websocket closes: %d clean, %d abrupt; want 1 clean", clean, abrupt)
	}
}
