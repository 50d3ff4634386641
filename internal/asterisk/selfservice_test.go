package asterisk_test

import (
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/router"
	"switchboard/internal/router/routertest"
	"switchboard/ivr"
)

// A transfer node sends the caller into the configured dialplan context at the node's number;
// the dialplan dials it and the caller talks to it outside the application.
func TestIVRTransferToNumber(t *testing.T) {
	t.Parallel()
	g := newRig(t, func(o *ariemu.Options) { o.Dialplan = map[string]string{"sb-transfer": "PJSIP/${EXTEN}@carrier"} })
	g.emu.SetPhone("PJSIP/+4930123456@carrier", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond,
		TalkTime: 200 * time.Millisecond})
	cfg := testConfig()
	cfg.IVR.TransferContext = "sb-transfer"
	cfg.DIDs["5559200"] = router.Route{Flow: routertest.Flow("xfer", "",
		&ivr.Node{ID: "out", Kind: ivr.KindTransfer, Number: "+4930123456"})}
	g.start(cfg)
	ch := g.place(ariemu.Caller{DID: "5559200"})
	rec := g.ended(ch)
	if rec.Outcome != ariemu.OutcomeContinued || rec.Continued != "sb-transfer,+4930123456,1" || len(rec.Peers) != 1 {
		t.Fatalf("caller: %+v", rec)
	}
	out := g.ended(rec.Peers[0])
	if out.Kind != ariemu.KindDialed || out.Endpoint != "PJSIP/+4930123456@carrier" || out.Answered.IsZero() || out.HungUpBy != "agent" {
		t.Fatalf("dialled leg: %+v", out)
	}
	g.eventually("the router holds no call", func() bool { s := g.r.Snapshot(); return s != nil && s.Calls == 0 })
	if n := count(g, "", func(e acd.CallEnqueued) bool { return e.Call == callID(ch) }); n != 0 {
		t.Fatal("a transferred caller was queued")
	}
}
