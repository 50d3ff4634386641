package store_test

import (
	"testing"

	"switchboard/acd"
	"switchboard/acd/calllog"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

// A router dies with calls up, and they end while it is away. The new router reconciles at
// 100s on its clock holding only c5 (re-adopted): every other call of the node left open is
// closed at 100s, completed if it was answered, abandoned if not, with its open leg; a call
// that never queued (its caller hung up in the IVR) is abandoned at 100s, with no leg and no
// queue event; a call already over, another node's call and a call that arrives after the
// reconciliation stay as they are.
func TestJournalClosesCallsGoneAtReconcile(t *testing.T) {
	s := store.New(pgtest.Pool(t))
	q := acd.QueueConfig{Name: "line1"}
	r1 := newRig(t, s, store.JournalOptions{}, q)
	r1.agent("a1", "line1")
	r1.agent("a2", "line1")
	r1.j.CallInfo("c1", "+4930111", "800", nil) // answered by a1
	r1.enqueue("c1", "line1")
	r1.advance(sec(2))
	r1.must(r1.e.Answer("c1"))
	r1.enqueue("c3", "line1") // answered by a2, over before the crash
	r1.advance(sec(1))
	r1.must(r1.e.Answer("c3"))
	r1.advance(sec(1))
	r1.must(r1.e.Hangup("c3"))
	r1.enqueue("c2", "line1")                   // a2 is in no wrap-up: offered, not answered
	r1.enqueue("c5", "line1")                   // waiting: the new router re-adopts it
	r1.j.CallInfo("c4", "+4930444", "800", nil) // in the IVR: never queued
	r1.advance(sec(10))
	r1.flush()
	other := newRig(t, s, store.JournalOptions{Node: "ast2"}, q)
	other.enqueue("x1", "line1")
	other.flush()

	r2 := newRig(t, s, store.JournalOptions{}, q)
	r2.j.Reconciled([]string{"c5"}, at(100))
	r2.j.Record(acd.CallEnqueued{At: at(101), Call: "c6", Queue: "line1", EnqueuedAt: at(101)}) // after it
	r2.flush()

	c1 := r2.call("c1")
	eq(t, "c1", []any{c1.Outcome, c1.EndedAt, c1.AnsweredAt, c1.Wait, c1.CallerNumber},
		[]any{calllog.Completed, at(100), at(2), sec(2), "+4930111"})
	eq(t, "c1 legs", r2.legs("c1"), []store.CallLeg{{CallID: "c1", Seq: 1, Queue: "line1", EnteredAt: at(0), OfferedAt: at(0),
		Agent: "a1", AnsweredAt: at(2), LeftAt: at(100), Outcome: calllog.LegAnswered}})
	eq(t, "c1 events", r2.events("c1"), []string{"ENTERQUEUE line1 ", "OFFER line1 a1", "CONNECT line1 a1", "GONE line1 a1"})
	c2 := r2.call("c2")
	eq(t, "c2", []any{c2.Outcome, c2.EndedAt, c2.AnsweredAt.IsZero(), c2.Wait}, []any{calllog.Abandoned, at(100), true, sec(96)})
	eq(t, "c2 legs", r2.legs("c2"), []store.CallLeg{{CallID: "c2", Seq: 1, Queue: "line1", EnteredAt: at(4), OfferedAt: at(4),
		Agent: "a2", LeftAt: at(100), Outcome: calllog.LegAbandoned}})
	c3 := r2.call("c3")
	eq(t, "c3 untouched", []any{c3.Outcome, c3.EndedAt}, []any{calllog.Completed, at(4)})
	c4 := r2.call("c4")
	eq(t, "c4", []any{c4.Outcome, c4.EndedAt, c4.CallerNumber}, []any{calllog.Abandoned, at(100), "+4930444"})
	if ls, evs := r2.legs("c4"), r2.events("c4"); len(ls) != 0 || len(evs) != 0 {
		t.Errorf("c4 legs %+v, events %v", ls, evs)
	}
	for _, id := range []string{"c5", "c6"} {
		if c := r2.call(id); c.Outcome != "" || !c.EndedAt.IsZero() {
			t.Errorf("%s closed: %+v", id, c)
		}
	}
	if c := other.call("x1"); c.Outcome != "" {
		t.Errorf("the other node's call closed: %+v", c)
	}
	if ls := r2.legs("c5"); len(ls) != 1 || !ls[0].LeftAt.IsZero() {
		t.Errorf("c5 legs: %+v", ls)
	}
}
