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
