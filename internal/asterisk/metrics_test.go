package asterisk_test

import (
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"switchboard/internal/ariemu"
)

// After one answered call through the emulator, the registry holds the ARI requests it took
// by operation (no ids in the labels), none left in flight, and the call's setup time from
// StasisStart to both legs in the mixing bridge.
func TestARIRequestAndSetupMetrics(t *testing.T) {
	g := newRig(t)
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	g.start(testConfig())
	ch := g.place(ariemu.Caller{TalkTime: 200 * time.Millisecond})
	rec := g.ended(ch)
	if rec.Outcome != ariemu.OutcomeCompleted {
		t.Fatalf("caller: %+v", rec)
	}
	var (
		ops      map[string]uint64
		inFlight float64
		setup    *dto.Histogram
	)
	g.eventually("metrics", func() bool {
		mfs, err := g.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		ops, inFlight, setup = map[string]uint64{}, -1, nil
		for _, mf := range mfs {
			for _, m := range mf.Metric {
				switch mf.GetName() {
				case "switchboard_ari_request_seconds":
					for _, l := range m.Label {
						if l.GetName() == "operation" {
							ops[l.GetValue()] += m.Histogram.GetSampleCount()
						}
					}
				case "switchboard_ari_requests_in_flight":
					inFlight = m.Gauge.GetValue()
				case "switchboard_call_setup_seconds":
					setup = m.Histogram
				}
			}
		}
		return setup != nil && setup.GetSampleCount() == 1 && ops["channel_hangup"] > 0 && inFlight == 0
	})
	for _, op := range []string{"channel_answer", "bridge_create", "bridge_add", "originate", "channel_hangup"} {
		if ops[op] == 0 {
			t.Errorf("operation %s: no requests counted (got %v)", op, ops)
		}
	}
	if ops["bridge_add"] < 2 {
		t.Errorf("bridge_add counted %d times, want at least 2 (caller and agent)", ops["bridge_add"])
	}
	known := map[string]bool{"channel_answer": true, "channel_hangup": true, "channel_play": true, "channel_set_variable": true,
		"channel_get_variable": true, "channel_continue": true, "channels_list": true, "originate": true, "playback_stop": true,
		"bridge_create": true, "bridge_delete": true, "bridge_add": true, "bridge_remove": true, "bridge_moh": true,
		"bridge_record": true, "bridge_get": true, "bridges_list": true, "endpoint_get": true, "application_get": true, "recordings_list": true,
		"recording_fetch": true, "recording_delete": true, "recording_pause": true, "recording_resume": true}
	for op := range ops {
		if !known[op] {
			t.Errorf("operation label %q is not one of the fixed set", op)
		}
	}
	// The agent answered after 50 ms: setup took at least that, and far less than the call.
	if sum := setup.GetSampleSum(); sum < 0.05 || sum > 5 {
		t.Errorf("call setup %.3f s, want between 0.05 and 5", sum)
	}
}
