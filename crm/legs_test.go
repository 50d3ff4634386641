package crm

import (
	"context"
	"reflect"
	"testing"
	"time"

	"switchboard/acd"
)

type memInteractions struct {
	byNumber map[string][]Candidate
	written  []Interaction
}

func (m *memInteractions) Identify(_ context.Context, number, _ string) ([]Candidate, error) {
	return m.byNumber[number], nil
}

func (m *memInteractions) RecordInteraction(_ context.Context, i Interaction) error {
	m.written = append(m.written, i)
	return nil
}

// Each leg of an identified customer is written when it ends: the tagged customer first, else
// the one the number identifies; a caller nobody knows, or a call not heard of from its
// arrival, writes nothing.
func TestLegWriter(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	st := &memInteractions{byNumber: map[string][]Candidate{
		"+100": {{Customer: Customer{ID: 7}}},
		"+200": {{Customer: Customer{ID: 8}}, {Customer: Customer{ID: 9}}}, // two: not identified
	}}
	w := &LegWriter{Store: st}
	for _, ev := range []acd.Event{
		// c1: tagged with customer 42, transferred once, then answered again.
		acd.CallArrived{At: at(0), Call: "c1", Number: "+100"},
		acd.CallRouted{At: at(1), Call: "c1", Data: map[string]string{"customer": "42"}},
		acd.CallEnqueued{At: at(1), Call: "c1", Queue: "q1", EnqueuedAt: at(1)},
		acd.CallAnswered{At: at(11), Call: "c1", Queue: "q1", Agent: "a1", Waited: 10 * time.Second},
		acd.CallTransferred{At: at(41), Call: "c1", From: "q1", To: "q2", Agent: "a1", Talk: 30 * time.Second},
		acd.CallEnqueued{At: at(41), Call: "c1", Queue: "q2", EnqueuedAt: at(1)},
		acd.CallAnswered{At: at(51), Call: "c1", Queue: "q2", Agent: "a2", Waited: 50 * time.Second},
		acd.CallEnded{At: at(111), Call: "c1", Queue: "q2", Agent: "a2", Talk: time.Minute},
		// c2: identified by number, abandoned while ringing a1.
		acd.CallArrived{At: at(0), Call: "c2", Number: "+100"},
		acd.CallEnqueued{At: at(0), Call: "c2", Queue: "q1", EnqueuedAt: at(0)},
		acd.CallOffered{At: at(5), Call: "c2", Queue: "q1", Agent: "a1", Waited: 5 * time.Second},
		acd.CallAbandoned{At: at(9), Call: "c2", Queue: "q1", Waited: 9 * time.Second, Agent: "a1"},
		// c3: a number two customers have; c4: never heard of from its arrival.
		acd.CallArrived{At: at(0), Call: "c3", Number: "+200"},
		acd.CallAbandoned{At: at(3), Call: "c3", Queue: "q1", Waited: 3 * time.Second},
		acd.CallAbandoned{At: at(3), Call: "c4", Queue: "q1", Waited: 3 * time.Second},
		// c5: hangs up in the IVR; only the sweep forgets it.
		acd.CallArrived{At: at(0), Call: "c5", Number: "+100"},
	} {
		w.Apply(ev, t0)
	}
	want := []Interaction{
		{CallID: "c1", Agent: "a1", CustomerID: 42, Queue: "q1", At: at(11), Outcome: "transferred", Wait: 10, Talk: 30},
		{CallID: "c1", Agent: "a2", CustomerID: 42, Queue: "q2", At: at(51), Outcome: "answered", Wait: 50, Talk: 60},
		{CallID: "c2", CustomerID: 7, Queue: "q1", At: at(9), Outcome: "abandoned", Wait: 9},
	}
	if !reflect.DeepEqual(st.written, want) {
		t.Fatalf("written\n got %+v\nwant %+v", st.written, want)
	}
	if _, ok := w.seen["c5"]; !ok || len(w.seen) != 1 {
		t.Fatalf("calls followed: %v, want c5 alone", w.seen)
	}
	w.Sweep(t0)
	if len(w.seen) != 1 {
		t.Fatalf("a call heard of at the sweep's limit was forgotten: %v", w.seen)
	}
	w.Sweep(at(1))
	if len(w.seen) != 0 {
		t.Fatalf("calls still followed after the sweep: %v", w.seen)
	}
}

// A warm transfer completed to another agent writes both agents' legs: the first's as
// transferred, with its talk until the hand-over; the consulted agent's, who took the call
// over, as answered with its talk until the pair hung up. One to a number writes the first
// agent's leg only; an agent's outbound call writes its leg.
func TestLegWriterHandOver(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	st := &memInteractions{byNumber: map[string][]Candidate{"+100": {{Customer: Customer{ID: 7}}}}}
	w := &LegWriter{Store: st}
	for _, ev := range []acd.Event{
		acd.CallArrived{At: at(0), Call: "c6", Number: "+100"},
		acd.CallEnqueued{At: at(0), Call: "c6", Queue: "q1", EnqueuedAt: at(0)},
		acd.CallAnswered{At: at(10), Call: "c6", Queue: "q1", Agent: "a1", Waited: 10 * time.Second},
		acd.CallHandedOver{At: at(40), Call: "c6", Queue: "q1", Agent: "a1", ToAgent: "b1"},
		acd.CallEnded{At: at(40), Call: "c6", Queue: "q1", Agent: "a1", Talk: 30 * time.Second},
		acd.CallHandOverEnded{At: at(100), Call: "c6", Agent: "b1"},
		// c7: handed to a number.
		acd.CallArrived{At: at(0), Call: "c7", Number: "+100"},
		acd.CallEnqueued{At: at(0), Call: "c7", Queue: "q1", EnqueuedAt: at(0)},
		acd.CallAnswered{At: at(5), Call: "c7", Queue: "q1", Agent: "a1", Waited: 5 * time.Second},
		acd.CallHandedOver{At: at(25), Call: "c7", Queue: "q1", Agent: "a1", Number: "+4930555"},
		acd.CallEnded{At: at(25), Call: "c7", Queue: "q1", Agent: "a1", Talk: 20 * time.Second},
		// c8: a1 dials the customer.
		acd.CallArrived{At: at(0), Call: "c8", Number: "+100"},
		acd.CallDialed{At: at(0), Call: "c8", Queue: "q1", Agent: "a1", Number: "+100"},
		acd.CallEnded{At: at(20), Call: "c8", Queue: "q1", Agent: "a1", Talk: 20 * time.Second},
	} {
		w.Apply(ev, t0)
	}
	want := []Interaction{
		{CallID: "c6", Agent: "a1", CustomerID: 7, Queue: "q1", At: at(10), Outcome: "transferred", Wait: 10, Talk: 30},
		{CallID: "c6", Agent: "b1", CustomerID: 7, Queue: "q1", At: at(40), Outcome: "answered", Talk: 60},
		{CallID: "c7", Agent: "a1", CustomerID: 7, Queue: "q1", At: at(5), Outcome: "transferred", Wait: 5, Talk: 20},
		{CallID: "c8", Agent: "a1", CustomerID: 7, Queue: "q1", At: at(0), Outcome: "answered", Talk: 20},
	}
	if !reflect.DeepEqual(st.written, want) {
		t.Fatalf("written\n got %+v\nwant %+v", st.written, want)
	}
	if len(w.seen) != 0 {
		t.Fatalf("calls still followed: %v", w.seen)
	}
}

// An agent's outbound call that never connected is written for the customer its number
// identifies, with the agent, the time the dial began and why it failed; a number nobody (or
// two customers) has writes nothing.
func TestLegWriterDialFailed(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	st := &memInteractions{byNumber: map[string][]Candidate{
		"+100": {{Customer: Customer{ID: 7}}},
		"+200": {{Customer: Customer{ID: 8}}, {Customer: Customer{ID: 9}}},
	}}
	w := &LegWriter{Store: st}
	for _, e := range []acd.CallDialFailed{
		{At: t0.Add(30 * time.Second), Started: t0, Call: "o1", Queue: "q1", Agent: "a1", Number: "+100", Reason: "no_answer"},
		{At: t0, Started: t0, Call: "o2", Queue: "q1", Agent: "a1", Number: "+200", Reason: "busy"},
		{At: t0, Started: t0, Call: "o3", Queue: "q1", Agent: "a1", Number: "+300", Reason: "busy"},
	} {
		w.Apply(e, t0)
	}
	want := []Interaction{{CallID: "o1", Agent: "a1", CustomerID: 7, Queue: "q1", At: t0, Outcome: "dial_no_answer"}}
	if !reflect.DeepEqual(st.written, want) {
		t.Fatalf("written:\n got %+v\nwant %+v", st.written, want)
	}
}
