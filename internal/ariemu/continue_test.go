package ariemu

import (
	"context"
	"testing"
	"time"
)

// TestContinue: POST /channels/{id}/continue takes the channel out of Stasis (StasisEnd, and
// the application hears nothing more of it) to the context, extension and priority given; a
// context of Options.Dialplan dials its endpoint, anything else ends the call.
func TestContinue(t *testing.T) {
	e := newEnv(t, Options{Speed: 20, Dialplan: map[string]string{"sb-transfer": "PJSIP/${EXTEN}@carrier"}})
	e.srv.SetPhone("PJSIP/+4930123456@carrier", Phone{Behaviour: PhoneAnswer, AnswerAfter: 100 * time.Millisecond, TalkTime: time.Second})
	ws := e.connect("switchboard")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	out, _ := e.srv.PlaceCaller(Caller{Number: "1", DID: "5551000"})
	ws.next("StasisStart")
	e.must(400, "POST", "/channels/"+out+"/continue?priority=one", nil)
	e.must(404, "POST", "/channels/"+out+"/continue?label=nope", nil)
	e.must(204, "POST", "/channels/"+out+"/continue?context=sb-transfer&extension=%2B4930123456&priority=1", nil)
	if st := ws.next("StasisEnd"); str(st, "channel", "id") != out {
		t.Fatalf("StasisEnd for %v", st)
	}
	e.must(409, "POST", "/channels/"+out+"/continue", nil)
	rec, err := e.srv.WaitCall(ctx, out, Ended)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Outcome != OutcomeContinued || rec.Continued != "sb-transfer,+4930123456,1" || len(rec.Peers) != 1 || rec.HungUpBy != "dialplan" {
		t.Fatalf("caller = %+v", rec)
	}
	dialed, _ := e.srv.Call(rec.Peers[0])
	if dialed.Kind != KindDialed || dialed.Endpoint != "PJSIP/+4930123456@carrier" || dialed.Answered.IsZero() ||
		dialed.Outcome != OutcomeCompleted || dialed.HungUpBy != "agent" {
		t.Fatalf("dialled = %+v", dialed)
	}

	// Without a context: the next priority where the channel is; the dialplan ends the call.
	nowhere, _ := e.srv.PlaceCaller(Caller{Number: "2", DID: "5551000"})
	ws.next("StasisStart")
	e.must(204, "POST", "/channels/"+nowhere+"/continue", nil)
	rec, err = e.srv.WaitCall(ctx, nowhere, Ended)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Outcome != OutcomeContinued || rec.Continued != "from-carrier,5551000,3" || len(rec.Peers) != 0 {
		t.Fatalf("caller = %+v", rec)
	}

	// A busy number: the dialplan hangs the caller up.
	e.srv.SetPhone("PJSIP/555@carrier", Phone{Behaviour: PhoneBusy, AnswerAfter: 100 * time.Millisecond})
	busy, _ := e.srv.PlaceCaller(Caller{Number: "3", DID: "5551000"})
	ws.next("StasisStart")
	e.must(204, "POST", "/channels/"+busy+"/continue", map[string]any{"context": "sb-transfer", "extension": "555", "priority": 1})
	rec, err = e.srv.WaitCall(ctx, busy, Ended)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Cause != 17 || rec.HungUpBy != "dialplan" {
		t.Fatalf("caller of a busy number = %+v", rec)
	}
}
