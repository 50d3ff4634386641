package asterisk_test

import (
	"maps"
	"testing"
	"time"

	"switchboard/internal/ariemu"
)

// An answered call through the emulator, caller hanging up first, takes this many ARI
// requests by operation: the figure per call docs/load.md gives, seven. Caller and agent join
// the call's bridge in one addChannel; SB_ANSWER comes with the agent's originate. The
// second call is counted: the first also makes the queue's holding bridge, which stays.
func TestRequestsPerAnsweredCall(t *testing.T) {
	g := newRig(t)
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	var before, ops map[string]uint64
	count := func() {
		ops = map[string]uint64{}
		mfs, err := g.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != "switchboard_ari_request_seconds" {
				continue
			}
			for _, m := range mf.Metric {
				for _, l := range m.Label {
					if l.GetName() == "operation" {
						ops[l.GetValue()] += m.Histogram.GetSampleCount()
					}
				}
			}
		}
		for op, n := range before {
			if ops[op] -= n; ops[op] == 0 {
				delete(ops, op)
			}
		}
	}
	g.start(testConfig())
	first := g.place(ariemu.Caller{TalkTime: 200 * time.Millisecond})
	if rec := g.ended(first); rec.Outcome != ariemu.OutcomeCompleted {
		t.Fatalf("first caller: %+v", rec)
	}
	g.eventually("the first call's bridge deleted", func() bool { count(); return ops["bridge_delete"] == 1 })
	before = ops // the start's and the first call's requests
	ch := g.place(ariemu.Caller{TalkTime: 200 * time.Millisecond})
	if rec := g.ended(ch); rec.Outcome != ariemu.OutcomeCompleted {
		t.Fatalf("caller: %+v", rec)
	}
	want := map[string]uint64{
		"channel_answer": 1, "bridge_create": 1, "bridge_add": 2,
		"originate": 1, "channel_hangup": 1, "bridge_delete": 1,
	}
	// The last requests (hang-ups, bridge deletion) may still be under way when the caller's
	// record ends: wait for them, then say what differs.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if count(); maps.Equal(ops, want) {
			return
		}
	}
	t.Errorf("requests by operation for one answered call:\n got %v\nwant %v", ops, want)
}
