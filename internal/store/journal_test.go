package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/acd"
	"switchboard/acd/calllog"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

func TestJournalAnsweredCallWithWrapUp(t *testing.T) {
	reg := prometheus.NewRegistry()
	r := newRig(t, store.New(pgtest.Pool(t)), store.JournalOptions{Registerer: reg},
		acd.QueueConfig{Name: "line1", WrapUp: 30 * time.Second})
	r.must(r.e.AddAgent(acd.AgentConfig{ID: "a1", Endpoint: "PJSIP/a1", Queues: []acd.Membership{{Queue: "line1"}}}))
	r.j.CallInfo("c1", "+493012345", "800", map[string]string{"customer": "42"}) // the IVR knew before the queue did
	r.enqueue("c1", "line1")
	r.advance(sec(10))
	r.must(r.e.Login("a1")) // offered at once
	r.advance(sec(4))
	r.must(r.e.Answer("c1"))
	r.advance(sec(60))
	r.must(r.e.Hangup("c1"))
	r.j.CallInfo("c1", "", "", map[string]string{"disposition": "sale"})
	r.advance(sec(30)) // wrap-up ends
	r.flush()

	c := r.call("c1")
	eq(t, "outcome", c.Outcome, calllog.Completed)
	eq(t, "node/queue/agent", []string{c.Node, c.Queue, c.Agent}, []string{"ast1", "line1", "a1"})
	eq(t, "caller/did/data", []any{c.CallerNumber, c.DID, c.Data}, []any{"+493012345", "800",
		map[string]string{"customer": "42", "disposition": "sale"}})
	eq(t, "times", []time.Time{c.EnqueuedAt, c.FirstOfferedAt, c.AnsweredAt, c.EndedAt}, []time.Time{at(0), at(10), at(14), at(74)})
	eq(t, "wait/talk/wrapup", []time.Duration{c.Wait, c.Talk, c.WrapUp}, []time.Duration{sec(14), sec(60), sec(30)})
	eq(t, "transfers", c.Transfers, 0)
	eq(t, "legs", r.legs("c1"), []store.CallLeg{{CallID: "c1", Seq: 1, Queue: "line1", EnteredAt: at(0), OfferedAt: at(10),
		Agent: "a1", AnsweredAt: at(14), LeftAt: at(74), Outcome: calllog.LegAnswered, Talk: sec(60)}})
	eq(t, "events", r.events("c1"), []string{"ENTERQUEUE line1 ", "OFFER line1 a1", "CONNECT line1 a1", "COMPLETE line1 a1"})
	eq(t, "a1 states", r.states("a1"), []string{"available 10-10", "reserved(c1) 10-14", "on-call(c1) 14-74",
		"wrap-up(c1) 74-104", "available 104--"})

	evs, err := r.s.CallEvents(context.Background(), "c1")
	r.must(err)
	if got := evs[2].Data; got["holdtime_seconds"] != 14.0 || got["ringtime_seconds"] != 4.0 {
		t.Errorf("CONNECT data = %v, want holdtime 14, ringtime 4", got)
	}
	if got := evs[0].Data; got["caller"] != "+493012345" {
		t.Errorf("ENTERQUEUE data = %v, want the caller", got)
	}
	if n := r.j.Pending(); n != 0 {
		t.Errorf("Pending = %d after Flush", n)
	}
	metrics := map[string]float64{}
	mfs, err := reg.Gather()
	r.must(err)
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch {
			case m.GetGauge() != nil:
				metrics[mf.GetName()] = m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				metrics[mf.GetName()] = m.GetCounter().GetValue()
			}
		}
	}
	if metrics["switchboard_store_up"] != 1 || metrics["switchboard_store_pending_events"] != 0 ||
		metrics["switchboard_store_events_written_total"] < 10 || metrics["switchboard_store_write_errors_total"] != 0 {
		t.Errorf("metrics = %v", metrics)
	}
}

func TestJournalAbandonedAndRemoved(t *testing.T) {
	r := newRig(t, store.New(pgtest.Pool(t)), store.JournalOptions{}, acd.QueueConfig{Name: "line1"})
	r.enqueue("c2", "line1")
	r.enqueue("c3", "line1")
	r.advance(sec(25))
	r.must(r.e.Hangup("c2"))
	r.advance(sec(5))
	r.must(r.e.Remove("c3", "callback chosen"))
	r.flush()

	c := r.call("c2")
	eq(t, "c2 outcome/wait/ended", []any{c.Outcome, c.Wait, c.EndedAt, c.AnsweredAt.IsZero()},
		[]any{calllog.Abandoned, sec(25), at(25), true})
	eq(t, "c2 legs", r.legs("c2"), []store.CallLeg{{CallID: "c2", Seq: 1, Queue: "line1", EnteredAt: at(0), LeftAt: at(25),
		Outcome: calllog.LegAbandoned}})
	eq(t, "c2 events", r.events("c2"), []string{"ENTERQUEUE line1 ", "ABANDON line1 "})

	c = r.call("c3")
	eq(t, "c3 outcome/wait", []any{c.Outcome, c.Wait}, []any{calllog.Removed, sec(30)})
	eq(t, "c3 events", r.events("c3"), []string{"ENTERQUEUE line1 ", "REMOVED line1 "})
}

// A call that never queued has its record ended with how it ended: abandoned when its caller
// hung up (in the IVR, during the customer lookup), or the router's own ending (a goodbye in
// the IVR, a callback request, a transfer to the dialplan, a closed line), whether or not the
// record was written before. A call the engine holds is left to the engine's events, and an
// outcome a call that never queued cannot have leaves the record open.
func TestJournalCallGoneBeforeQueue(t *testing.T) {
	r := newRig(t, store.New(pgtest.Pool(t)), store.JournalOptions{}, acd.QueueConfig{Name: "line1"})
	for _, id := range []string{"ivr", "lookup", "queued", "bye", "cb", "xfer", "closed", "bogus"} {
		r.j.CallInfo(id, "+4930111", "800", nil)
	}
	r.enqueue("queued", "line1")
	r.flush() // written, and the unqueued rows left the journal's memory
	r.advance(sec(7))
	r.j.CallGone("ivr", calllog.Abandoned, r.clock.Now())
	r.j.CallGone("queued", calllog.Abandoned, r.clock.Now())
	r.j.CallGone("bye", calllog.SelfService, r.clock.Now())
	r.j.CallGone("cb", calllog.CallbackRequested, r.clock.Now())
	r.j.CallGone("bogus", calllog.Completed, r.clock.Now())
	r.j.CallInfo("fast", "+4930444", "800", nil)
	r.j.CallGone("fast", calllog.Abandoned, r.clock.Now())
	r.advance(sec(2))
	r.j.CallGone("xfer", calllog.TransferredOut, r.clock.Now())
	r.j.CallGone("closed", calllog.Closed, r.clock.Now())
	r.j.CallInfo("lookup", "", "", map[string]string{"customer": "7"})
	r.j.CallGone("lookup", calllog.Abandoned, r.clock.Now())
	r.flush()

	for _, tt := range []struct {
		id      string
		outcome string
		ended   time.Time
	}{
		{"ivr", calllog.Abandoned, at(7)},
		{"fast", calllog.Abandoned, at(7)},
		{"lookup", calllog.Abandoned, at(9)},
		{"bye", calllog.SelfService, at(7)},
		{"cb", calllog.CallbackRequested, at(7)},
		{"xfer", calllog.TransferredOut, at(9)},
		{"closed", calllog.Closed, at(9)},
		{"queued", "", time.Time{}},
		{"bogus", "", time.Time{}},
	} {
		c := r.call(tt.id)
		eq(t, tt.id+" outcome/ended", []any{c.Outcome, c.EndedAt}, []any{tt.outcome, tt.ended})
		if tt.id != "queued" {
			eq(t, tt.id+" legs", len(r.legs(tt.id)), 0)
			eq(t, tt.id+" events", len(r.events(tt.id)), 0)
		}
	}
	eq(t, "lookup data kept", r.call("lookup").Data, map[string]string{"customer": "7"})
}

func TestJournalRingNoAnswerRequeue(t *testing.T) {
	r := newRig(t, store.New(pgtest.Pool(t)), store.JournalOptions{}, acd.QueueConfig{Name: "line1"})
	r.agent("a1", "line1")
	r.advance(sec(1))
	r.agent("a2", "line1")
	r.advance(sec(1))
	r.enqueue("c4", "line1") // a1 is the longest idle
	r.advance(sec(15))       // rings out: a1 paused, c4 back in its place and offered to a2
	r.advance(sec(3))
	r.must(r.e.Answer("c4"))
	r.advance(sec(20))
	r.must(r.e.Hangup("c4"))
	r.flush()

	c := r.call("c4")
	eq(t, "outcome/agent/wait/talk", []any{c.Outcome, c.Agent, c.Wait, c.Talk}, []any{calllog.Completed, "a2", sec(18), sec(20)})
	eq(t, "first offer", c.FirstOfferedAt, at(2))
	eq(t, "legs", r.legs("c4"), []store.CallLeg{{CallID: "c4", Seq: 1, Queue: "line1", EnteredAt: at(2), OfferedAt: at(2),
		Agent: "a2", AnsweredAt: at(20), LeftAt: at(40), Outcome: calllog.LegAnswered, Talk: sec(20)}})
	eq(t, "events", r.events("c4"), []string{"ENTERQUEUE line1 ", "OFFER line1 a1", "RINGNOANSWER line1 a1",
		"OFFER line1 a2", "CONNECT line1 a2", "COMPLETE line1 a2"})
	eq(t, "a1 states", r.states("a1"), []string{"available 0-2", "reserved(c4) 2-17", "paused[no answer] 17--"})
	eq(t, "a2 states", r.states("a2"), []string{"available 1-17", "reserved(c4) 17-20", "on-call(c4) 20-40", "available 40--"})

	evs, err := r.s.QueueEvents(context.Background(), at(17), 100)
	r.must(err)
	var kinds []string
	for _, e := range evs {
		if e.Agent == "a1" {
			kinds = append(kinds, e.Event)
		}
	}
	eq(t, "a1 events from 17s", kinds, []string{"RINGNOANSWER", "PAUSE"})
}

func TestJournalTransferLine1ToLine2(t *testing.T) {
	r := newRig(t, store.New(pgtest.Pool(t)), store.JournalOptions{},
		acd.QueueConfig{Name: "line1", WrapUp: 10 * time.Second}, acd.QueueConfig{Name: "line2", WrapUp: 20 * time.Second})
	r.agent("a1", "line1")
	r.agent("b1", "line2")
	r.enqueue("c5", "line1")
	r.advance(sec(5))
	r.must(r.e.Answer("c5"))
	r.advance(sec(30))
	r.must(r.e.Transfer("c5", "line2")) // offered to b1 at once
	r.advance(sec(2))
	r.must(r.e.Answer("c5"))
	r.advance(sec(8)) // a1's wrap-up ends (the engine ticks only when told)
	r.advance(sec(32))
	r.must(r.e.Hangup("c5"))
	r.advance(sec(20)) // both wrap-ups are over
	r.flush()

	c := r.call("c5")
	eq(t, "outcome/queue/agent", []string{c.Outcome, c.Queue, c.Agent}, []string{calllog.Completed, "line2", "b1"})
	eq(t, "wait/talk/wrapup/transfers", []any{c.Wait, c.Talk, c.WrapUp, c.Transfers}, []any{sec(7), sec(70), sec(30), 1})
	eq(t, "times", []time.Time{c.EnqueuedAt, c.AnsweredAt, c.EndedAt}, []time.Time{at(0), at(5), at(77)})
	eq(t, "legs", r.legs("c5"), []store.CallLeg{
		{CallID: "c5", Seq: 1, Queue: "line1", EnteredAt: at(0), OfferedAt: at(0), Agent: "a1", AnsweredAt: at(5), LeftAt: at(35),
			Outcome: calllog.LegTransferred, Talk: sec(30)},
		{CallID: "c5", Seq: 2, Queue: "line2", EnteredAt: at(35), OfferedAt: at(35), Agent: "b1", AnsweredAt: at(37), LeftAt: at(77),
			Outcome: calllog.LegAnswered, Talk: sec(40)},
	})
	eq(t, "events", r.events("c5"), []string{"ENTERQUEUE line1 ", "OFFER line1 a1", "CONNECT line1 a1", "TRANSFER line1 a1",
		"ENTERQUEUE line2 ", "OFFER line2 b1", "CONNECT line2 b1", "COMPLETE line2 b1"})
	eq(t, "a1 states", r.states("a1"), []string{"available 0-0", "reserved(c5) 0-5", "on-call(c5) 5-35", "wrap-up(c5) 35-45", "available 45--"})
}

// A completed warm transfer: a1's leg transferred, then b1's with its talk; a blind transfer
// to a number ends the record transferred_out.
func TestJournalHandOver(t *testing.T) {
	r := newRig(t, store.New(pgtest.Pool(t)), store.JournalOptions{}, acd.QueueConfig{Name: "line1", WrapUp: 10 * time.Second})
	r.agent("a1", "line1")
	r.enqueue("c6", "line1")
	r.advance(sec(5))
	r.must(r.e.Answer("c6"))
	r.advance(sec(30))
	r.e.Note(acd.CallHandedOver{At: at(35), Call: "c6", Queue: "line1", Agent: "a1", ToAgent: "b1"})
	r.must(r.e.Hangup("c6"))
	r.advance(sec(40))
	r.e.Note(acd.CallHandOverEnded{At: at(75), Call: "c6", Agent: "b1"})
	r.advance(sec(10))
	r.enqueue("c7", "line1")
	r.advance(sec(1))
	r.must(r.e.Answer("c7"))
	r.advance(sec(9))
	r.e.Note(acd.CallHandedOver{At: at(95), Call: "c7", Queue: "line1", Agent: "a1", Number: "5550123"})
	r.must(r.e.Hangup("c7"))
	r.advance(sec(20))
	r.flush()

	c := r.call("c6")
	eq(t, "outcome/agent/talk/transfers", []any{c.Outcome, c.Agent, c.Talk, c.Transfers}, []any{calllog.Completed, "b1", sec(70), 1})
	eq(t, "legs", r.legs("c6"), []store.CallLeg{
		{CallID: "c6", Seq: 1, Queue: "line1", EnteredAt: at(0), OfferedAt: at(0), Agent: "a1", AnsweredAt: at(5), LeftAt: at(35),
			Outcome: calllog.LegTransferred, Talk: sec(30)},
		{CallID: "c6", Seq: 2, Queue: "line1", EnteredAt: at(35), OfferedAt: at(35), Agent: "b1", AnsweredAt: at(35), LeftAt: at(75),
			Outcome: calllog.LegAnswered, Talk: sec(40)},
	})
	c = r.call("c7")
	eq(t, "outcome/ended/transfers", []any{c.Outcome, c.EndedAt, c.Transfers}, []any{calllog.TransferredOut, at(95), 1})
	eq(t, "legs", r.legs("c7"), []store.CallLeg{
		{CallID: "c7", Seq: 1, Queue: "line1", EnteredAt: at(85), OfferedAt: at(85), Agent: "a1", AnsweredAt: at(86), LeftAt: at(95),
			Outcome: calllog.LegTransferred, Talk: sec(9)},
	})
}

// An agent's outbound call: the engine adopts it on the agent, the owner tells the record with
// acd.CallDialed; its row has the dialed number and direction, one answered leg, a DIALOUT event.
func TestJournalOutbound(t *testing.T) {
	r := newRig(t, store.New(pgtest.Pool(t)), store.JournalOptions{}, acd.QueueConfig{Name: "line1", WrapUp: 10 * time.Second})
	r.agent("a1", "line1")
	r.advance(sec(5))
	r.must(r.e.Adopt(acd.CallRequest{ID: "o1", Queue: "line1", Outbound: true, Data: map[string]string{"direction": "outbound"}}, "a1", at(5)))
	r.e.Note(acd.CallArrived{At: at(5), Call: "o1", Number: "+4930123456"})
	r.e.Note(acd.CallDialed{At: at(5), Call: "o1", Queue: "line1", Agent: "a1", Number: "+4930123456"})
	r.advance(sec(20))
	r.must(r.e.Hangup("o1"))
	r.advance(sec(10))
	r.flush()

	c := r.call("o1")
	eq(t, "outcome/agent/number/talk/direction", []any{c.Outcome, c.Agent, c.CallerNumber, c.Talk, c.Data[calllog.DataDirection]},
		[]any{calllog.Completed, "a1", "+4930123456", sec(20), calllog.Outbound})
	eq(t, "legs", r.legs("o1"), []store.CallLeg{
		{CallID: "o1", Seq: 1, Queue: "line1", EnteredAt: at(5), OfferedAt: at(5), Agent: "a1", AnsweredAt: at(5), LeftAt: at(25),
			Outcome: calllog.LegAnswered, Talk: sec(20)},
	})
	eq(t, "events", r.events("o1"), []string{"DIALOUT line1 a1", "COMPLETE line1 a1"})
}

// An agent's outbound call that never connected (the customer was busy): a closed record with
// the agent, the number, when the agent's phone began ringing and the reason; no leg, so no
// report counts it; a DIALFAIL event.
func TestJournalOutboundNotConnected(t *testing.T) {
	r := newRig(t, store.New(pgtest.Pool(t)), store.JournalOptions{}, acd.QueueConfig{Name: "line1"})
	r.agent("a1", "line1")
	r.advance(sec(12))
	r.e.Note(acd.CallDialFailed{At: at(12), Started: at(2), Call: "o2", Queue: "line1", Agent: "a1", Number: "+4930123456", Reason: "busy"})
	r.flush()

	c := r.call("o2")
	eq(t, "outcome/agent/queue/number/direction/rung/ended", []any{c.Outcome, c.Agent, c.Queue, c.CallerNumber,
		c.Data[calllog.DataDirection], c.FirstOfferedAt, c.EndedAt},
		[]any{"dial_busy", "a1", "line1", "+4930123456", calllog.Outbound, at(2), at(12)})
	eq(t, "legs", len(r.legs("o2")), 0)
	eq(t, "events", r.events("o2"), []string{"DIALFAIL line1 a1"})
}

func TestJournalOverflowToQueueThenCallback(t *testing.T) {
	r := newRig(t, store.New(pgtest.Pool(t)), store.JournalOptions{},
		acd.QueueConfig{Name: "front", MaxWait: 30 * time.Second, Overflow: acd.Overflow{Queue: "back"}},
		acd.QueueConfig{Name: "back", MaxWait: 45 * time.Second, Overflow: acd.Overflow{Callback: true}})
	r.enqueue("c6", "front")
	r.advance(sec(30))
	r.advance(sec(45))
	r.flush()

	c := r.call("c6")
	eq(t, "outcome/queue/wait/ended", []any{c.Outcome, c.Queue, c.Wait, c.EndedAt}, []any{calllog.OverflowCallback, "back", sec(75), at(75)})
	eq(t, "legs", r.legs("c6"), []store.CallLeg{
		{CallID: "c6", Seq: 1, Queue: "front", EnteredAt: at(0), LeftAt: at(30), Outcome: calllog.LegOverflowed},
		{CallID: "c6", Seq: 2, Queue: "back", EnteredAt: at(30), LeftAt: at(75), Outcome: calllog.LegOverflowed},
	})
	eq(t, "events", r.events("c6"), []string{"ENTERQUEUE front ", "EXITWITHTIMEOUT front ", "ENTERQUEUE back ", "EXITWITHTIMEOUT back "})
	evs, err := r.s.CallEvents(context.Background(), "c6")
	r.must(err)
	if d := evs[3].Data; d["callback"] != true || d["waited_seconds"] != 75.0 {
		t.Errorf("last EXITWITHTIMEOUT data = %v", d)
	}
}

// A router restarts: the new journal knows nothing, the engine re-adopts the
// waiting call with its original place, and the rows carry on.
func TestJournalCarriesOnAfterRestart(t *testing.T) {
	s := store.New(pgtest.Pool(t))
	q := acd.QueueConfig{Name: "line1"}
	r1 := newRig(t, s, store.JournalOptions{}, q)
	r1.agent("a1", "line1")
	r1.must(r1.e.Pause("a1", "lunch"))
	r1.j.CallInfo("c7", "+4930999", "800", nil)
	r1.enqueue("c7", "line1")
	r1.advance(sec(20))
	r1.flush()

	r2 := newRig(t, s, store.JournalOptions{}, q)
	r2.clock.Set(at(50))
	r2.must(r2.e.Enqueue(acd.CallRequest{ID: "c7", Queue: "line1", EnqueuedAt: at(0)}))
	r2.must(r2.e.AddAgent(acd.AgentConfig{ID: "a1", Endpoint: "PJSIP/a1", Queues: []acd.Membership{{Queue: "line1"}}}))
	r2.must(r2.e.Login("a1"))
	r2.advance(sec(2))
	r2.must(r2.e.Answer("c7"))
	r2.advance(sec(10))
	r2.must(r2.e.Hangup("c7"))
	r2.flush()

	c := r2.call("c7")
	eq(t, "outcome/enqueued/wait/caller", []any{c.Outcome, c.EnqueuedAt, c.Wait, c.CallerNumber},
		[]any{calllog.Completed, at(0), sec(52), "+4930999"})
	eq(t, "legs", r2.legs("c7"), []store.CallLeg{{CallID: "c7", Seq: 1, Queue: "line1", EnteredAt: at(0), OfferedAt: at(50),
		Agent: "a1", AnsweredAt: at(52), LeftAt: at(62), Outcome: calllog.LegAnswered, Talk: sec(10)}})
	eq(t, "a1 states", r2.states("a1"), []string{"available 0-0", "paused[lunch] 0-50", "available 50-50",
		"reserved(c7) 50-52", "on-call(c7) 52-62", "available 62--"})
}

// Run's last act, once its context ends, is to write what is still queued.
func TestJournalRunWritesTheRestOnCancel(t *testing.T) {
	s := store.New(pgtest.Pool(t))
	j, err := store.NewJournal(s, store.JournalOptions{Node: "ast1", FlushEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- j.Run(ctx) }()
	for i := range 10 {
		j.Record(acd.CallEnqueued{At: at(i), Call: "c" + string(rune('0'+i)), Queue: "line1", EnqueuedAt: at(i), Position: 1})
	}
	if j.Pending() != 10 {
		t.Fatalf("Pending = %d, want 10", j.Pending())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if j.Pending() != 0 {
		t.Fatalf("Pending = %d after Run returned", j.Pending())
	}
	var n int
	if err := s.Pool().QueryRow(context.Background(), `SELECT count(*) FROM calls WHERE outcome IS NULL`).Scan(&n); err != nil || n != 10 {
		t.Fatalf("live calls = %d, %v; want 10", n, err)
	}
}

func TestJournalRejectsSecondRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := store.New(pgtest.Pool(t))
	if _, err := store.NewJournal(s, store.JournalOptions{Registerer: reg}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.NewJournal(s, store.JournalOptions{Registerer: reg}); err == nil {
		t.Fatal("a second journal registered the same metrics")
	}
}

// Input the database would refuse, or events for calls the journal never saw
// queue, must not wedge the journal: every later write would wait behind them.
func TestJournalOddInput(t *testing.T) {
	s := store.New(pgtest.Pool(t))
	r := newRig(t, s, store.JournalOptions{}, acd.QueueConfig{Name: "line1"})
	r.j.CallInfo("c8", "+49\x0030\xff", "800", map[string]string{"name\x00": "M\xfcller"})
	r.enqueue("c8", "line1")
	r.j.Record(acd.CallRequeued{At: at(1), Call: "ghost", Queue: "line1", Agent: "a9", Reason: acd.NoAnswer})
	r.j.Record(acd.AgentStateChanged{At: at(2), Agent: "a9", From: acd.Available, To: acd.Paused, Reason: "br\x00eak"})
	r.flush()
	c := r.call("c8")
	eq(t, "caller/data", []any{c.CallerNumber, c.Data}, []any{"+4930\uFFFD", map[string]string{"name": "M\uFFFDller"}})
	if !r.j.Healthy() {
		t.Fatal("journal unhealthy")
	}
	eq(t, "ghost legs", len(r.legs("ghost")), 1)
	eq(t, "a9 states", r.states("a9"), []string{"paused[break] 2--"})
}
