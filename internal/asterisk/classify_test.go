package asterisk_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/router"
)

// The Classify hook sends a known VIP to the line2 queue with a higher priority and tags the
// call with the customer; a hook that fails, answers too late or names a queue that does not
// exist leaves the DID's route as configured.
func TestClassifyRoutesBySegment(t *testing.T) {
	t.Parallel()
	g := newRig(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	g.options = func(o *router.Options) {
		o.ClassifyTimeout = 200 * time.Millisecond
		o.Classify = func(ctx context.Context, q router.ClassifyQuery) (router.Classification, bool, error) {
			if q.Queue != "line1" || q.Priority != 0 {
				return router.Classification{}, false, errors.New("unexpected route in the query")
			}
			switch q.Number {
			case "+4930700001": // VIP
				return router.Classification{Queue: "line2", Priority: 7, Data: map[string]string{"customer": "17", "segment": "vip"}}, true, nil
			case "+4930700002":
				return router.Classification{}, false, errors.New("crm down")
			case "+4930700003":
				<-release // never answers, ignores its context
			case "+4930700004":
				return router.Classification{Queue: "nowhere", Priority: 3}, true, nil
			}
			return router.Classification{}, false, nil
		}
	}
	cfg := testConfig()
	cfg.Agents = nil // nobody answers: the calls stay in their queues to be looked at
	g.start(cfg)

	vip := g.place(ariemu.Caller{DID: "5551000", Number: "+4930700001"})
	failing := g.place(ariemu.Caller{DID: "5551000", Number: "+4930700002"})
	start := time.Now()
	silent := g.place(ariemu.Caller{DID: "5551000", Number: "+4930700003"})
	unknown := g.place(ariemu.Caller{DID: "5551000", Number: "+4930700004"})
	plain := g.place(ariemu.Caller{DID: "5551000", Number: "+4930700005"})

	type want struct {
		queue    string
		priority int
	}
	for ch, w := range map[string]want{vip: {"line2", 7}, failing: {"line1", 0}, silent: {"line1", 0}, unknown: {"line1", 3}, plain: {"line1", 0}} {
		var v acd.CallView
		g.eventually("caller "+ch+" queued", func() bool {
			var ok bool
			v, ok = g.call(callID(ch))
			return ok
		})
		if v.Queue != w.queue || v.Priority != w.priority {
			t.Errorf("caller %s: queue %s priority %d, want %s %d", ch, v.Queue, v.Priority, w.queue, w.priority)
		}
		if ch == vip && (v.Data["customer"] != "17" || v.Data["segment"] != "vip") {
			t.Errorf("VIP call data %v", v.Data)
		}
		if ch == silent && time.Since(start) > 5*time.Second {
			t.Errorf("a silent hook held the caller %v", time.Since(start))
		}
	}
}
