package calllog

import (
	"reflect"
	"testing"
	"time"

	"switchboard/acd"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

func sec(s int) time.Duration { return time.Duration(s) * time.Second }

// The table lists event sequences of one call, c1, and the records they must give.
func TestProjection(t *testing.T) {
	data := map[string]string{"customer": "42"}
	path := []acd.IVRStep{{Node: "menu", Input: "1"}}
	tests := []struct {
		name   string
		events []acd.Event
		call   Call // Leg and Legs are checked through legs
		legs   []Leg
	}{{
		name: "caller hangs up in the IVR",
		events: []acd.Event{
			acd.CallArrived{At: at(0), Call: "c1", Number: "+100", DID: "5551000"},
			acd.CallGone{At: at(20), Call: "c1", Outcome: Abandoned},
		},
		call: Call{ID: "c1", Number: "+100", DID: "5551000", Outcome: Abandoned, EndedAt: at(20), UpdatedAt: at(20)},
	}, {
		name: "answered, talked, wrapped up",
		events: []acd.Event{
			acd.CallArrived{At: at(0), Call: "c1", Number: "+100", DID: "5551000"},
			acd.CallRouted{At: at(5), Call: "c1", Path: path, Data: data},
			acd.CallEnqueued{At: at(5), Call: "c1", Queue: "q", Priority: 2, EnqueuedAt: at(5)},
			acd.CallOffered{At: at(10), Call: "c1", Queue: "q", Agent: "a1", Waited: sec(5)},
			acd.CallAnswered{At: at(15), Call: "c1", Queue: "q", Agent: "a1", Waited: sec(10)},
			acd.CallEnded{At: at(75), Call: "c1", Queue: "q", Agent: "a1", Talk: sec(60)},
			acd.AgentStateChanged{At: at(75), Agent: "a1", From: acd.OnCall, To: acd.WrapUp, Call: "c1"},
			acd.AgentStateChanged{At: at(95), Agent: "a1", From: acd.WrapUp, To: acd.Available},
		},
		call: Call{ID: "c1", Number: "+100", DID: "5551000", Queue: "q", Agent: "a1", Priority: 2,
			EnqueuedAt: at(5), FirstOfferedAt: at(10), AnsweredAt: at(15), EndedAt: at(75), Outcome: Completed,
			Wait: 10, Talk: 60, WrapUp: 20, Data: data, Path: path, UpdatedAt: at(95)},
		legs: []Leg{{Call: "c1", Seq: 1, Queue: "q", Agent: "a1", Outcome: LegAnswered, EnteredAt: at(5),
			OfferedAt: at(10), AnsweredAt: at(15), LeftAt: at(75), Talk: 60, LastOffer: at(10), Waited: sec(10)}},
	}, {
		name: "ring no answer, then the caller hangs up",
		events: []acd.Event{
			acd.CallEnqueued{At: at(0), Call: "c1", Queue: "q", EnqueuedAt: at(0)},
			acd.CallOffered{At: at(5), Call: "c1", Queue: "q", Agent: "a1", Waited: sec(5)},
			acd.CallRequeued{At: at(25), Call: "c1", Queue: "q", Agent: "a1", Reason: acd.NoAnswer},
			acd.CallAbandoned{At: at(40), Call: "c1", Queue: "q", Waited: sec(40)},
		},
		call: Call{ID: "c1", Queue: "q", Agent: "a1", EnqueuedAt: at(0), FirstOfferedAt: at(5), EndedAt: at(40),
			Outcome: Abandoned, Wait: 40, UpdatedAt: at(40)},
		legs: []Leg{{Call: "c1", Seq: 1, Queue: "q", Agent: "a1", Outcome: LegAbandoned, EnteredAt: at(0),
			OfferedAt: at(5), LeftAt: at(40), LastOffer: at(5), Waited: sec(40)}},
	}, {
		name: "transferred to another queue, answered there",
		events: []acd.Event{
			acd.CallEnqueued{At: at(0), Call: "c1", Queue: "q1", EnqueuedAt: at(0)},
			acd.CallAnswered{At: at(10), Call: "c1", Queue: "q1", Agent: "a1", Waited: sec(10)},
			acd.CallTransferred{At: at(40), Call: "c1", From: "q1", To: "q2", Agent: "a1", Talk: sec(30)},
			acd.CallEnqueued{At: at(40), Call: "c1", Queue: "q2", EnqueuedAt: at(0)},
			acd.CallAnswered{At: at(50), Call: "c1", Queue: "q2", Agent: "a2", Waited: sec(50)},
			acd.CallEnded{At: at(110), Call: "c1", Queue: "q2", Agent: "a2", Talk: sec(60)},
		},
		call: Call{ID: "c1", Queue: "q2", Agent: "a2", EnqueuedAt: at(0), AnsweredAt: at(10), EndedAt: at(110),
			Outcome: Completed, Wait: 20, Talk: 90, Transfers: 1, UpdatedAt: at(110)},
		legs: []Leg{
			{Call: "c1", Seq: 1, Queue: "q1", Agent: "a1", Outcome: LegTransferred, EnteredAt: at(0),
				AnsweredAt: at(10), LeftAt: at(40), Talk: 30, Waited: sec(10)},
			{Call: "c1", Seq: 2, Queue: "q2", Agent: "a2", Outcome: LegAnswered, EnteredAt: at(40),
				AnsweredAt: at(50), LeftAt: at(110), Talk: 60, Waited: sec(50)},
		},
	}, {
		name: "handed over to another agent (a completed warm transfer)",
		events: []acd.Event{
			acd.CallEnqueued{At: at(0), Call: "c1", Queue: "q1", EnqueuedAt: at(0)},
			acd.CallAnswered{At: at(10), Call: "c1", Queue: "q1", Agent: "a1", Waited: sec(10)},
			acd.CallHandedOver{At: at(40), Call: "c1", Queue: "q1", Agent: "a1", ToAgent: "a2"},
			acd.CallEnded{At: at(40), Call: "c1", Queue: "q1", Agent: "a1", Talk: sec(30)},
			acd.CallHandOverEnded{At: at(100), Call: "c1", Agent: "a2"},
		},
		call: Call{ID: "c1", Queue: "q1", Agent: "a2", EnqueuedAt: at(0), AnsweredAt: at(10), EndedAt: at(100),
			Outcome: Completed, Wait: 10, Talk: 90, Transfers: 1, UpdatedAt: at(100)},
		legs: []Leg{
			{Call: "c1", Seq: 1, Queue: "q1", Agent: "a1", Outcome: LegTransferred, EnteredAt: at(0),
				AnsweredAt: at(10), LeftAt: at(40), Talk: 30, Waited: sec(10)},
			{Call: "c1", Seq: 2, Queue: "q1", Agent: "a2", Outcome: LegAnswered, EnteredAt: at(40), OfferedAt: at(40),
				AnsweredAt: at(40), LeftAt: at(100), Talk: 60, LastOffer: at(40)},
		},
	}, {
		name: "handed over to a number (a blind transfer out)",
		events: []acd.Event{
			acd.CallEnqueued{At: at(0), Call: "c1", Queue: "q1", EnqueuedAt: at(0)},
			acd.CallAnswered{At: at(10), Call: "c1", Queue: "q1", Agent: "a1", Waited: sec(10)},
			acd.CallHandedOver{At: at(40), Call: "c1", Queue: "q1", Agent: "a1", Number: "5550123"},
			acd.CallEnded{At: at(41), Call: "c1", Queue: "q1", Agent: "a1", Talk: sec(31)},
		},
		call: Call{ID: "c1", Queue: "q1", Agent: "a1", EnqueuedAt: at(0), AnsweredAt: at(10), EndedAt: at(40),
			Outcome: TransferredOut, Wait: 10, Talk: 30, Transfers: 1, UpdatedAt: at(40)},
		legs: []Leg{{Call: "c1", Seq: 1, Queue: "q1", Agent: "a1", Outcome: LegTransferred, EnteredAt: at(0),
			AnsweredAt: at(10), LeftAt: at(40), Talk: 30, Waited: sec(10)}},
	}, {
		name: "overflowed to a callback",
		events: []acd.Event{
			acd.CallEnqueued{At: at(0), Call: "c1", Queue: "q", EnqueuedAt: at(0)},
			acd.CallOverflowed{At: at(300), Call: "c1", From: "q", Callback: true, Waited: sec(300)},
		},
		call: Call{ID: "c1", Queue: "q", EnqueuedAt: at(0), EndedAt: at(300), Outcome: OverflowCallback, Wait: 300,
			UpdatedAt: at(300)},
		legs: []Leg{{Call: "c1", Seq: 1, Queue: "q", Outcome: LegOverflowed, EnteredAt: at(0), LeftAt: at(300)}},
	}, {
		name: "a call that queued is not ended by its owner's CallGone",
		events: []acd.Event{
			acd.CallEnqueued{At: at(0), Call: "c1", Queue: "q", EnqueuedAt: at(0)},
			acd.CallGone{At: at(9), Call: "c1", Outcome: SelfService},
		},
		call: Call{ID: "c1", Queue: "q", EnqueuedAt: at(0), UpdatedAt: at(0), Legs: 1},
		legs: []Leg{{Call: "c1", Seq: 1, Queue: "q", EnteredAt: at(0)}},
	}, {
		name: "removed, then queued again: the record opens again",
		events: []acd.Event{
			acd.CallEnqueued{At: at(0), Call: "c1", Queue: "q", EnqueuedAt: at(0)},
			acd.CallRemoved{At: at(30), Call: "c1", Queue: "q", Reason: "callback", Waited: sec(30)},
			acd.CallEnqueued{At: at(60), Call: "c1", Queue: "q", EnqueuedAt: at(0)},
		},
		call: Call{ID: "c1", Queue: "q", EnqueuedAt: at(0), Wait: 30, UpdatedAt: at(60), Legs: 2},
		legs: []Leg{
			{Call: "c1", Seq: 1, Queue: "q", Outcome: LegRemoved, EnteredAt: at(0), LeftAt: at(30)},
			{Call: "c1", Seq: 2, Queue: "q", EnteredAt: at(60)},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewLog()
			var legs []*Leg
			for _, ev := range tt.events {
				if _, l := g.Apply(ev); l != nil && (len(legs) == 0 || legs[len(legs)-1] != l) {
					legs = append(legs, l)
				}
			}
			c, ok := g.Call("c1")
			if !ok {
				t.Fatal("no record of c1")
			}
			got := *c
			if got.Leg != nil && got.Leg != legs[len(legs)-1] {
				t.Errorf("open leg %+v is not the last leg", got.Leg)
			}
			if got.Leg == nil {
				got.Legs = 0 // only checked while a leg is open
			}
			got.Leg = nil
			if !reflect.DeepEqual(got, tt.call) {
				t.Errorf("call\n got %+v\nwant %+v", got, tt.call)
			}
			var gotLegs []Leg
			for _, l := range legs {
				gotLegs = append(gotLegs, *l)
			}
			if !reflect.DeepEqual(gotLegs, tt.legs) {
				t.Errorf("legs\n got %+v\nwant %+v", gotLegs, tt.legs)
			}
		})
	}
}

// A call that ended while nobody listened ends with what is known of it.
func TestLost(t *testing.T) {
	tests := []struct {
		name    string
		events  []acd.Event
		outcome string
		leg     string
	}{
		{"never queued", []acd.Event{acd.CallArrived{At: at(0), Call: "c1", Number: "+1"}}, Abandoned, ""},
		{"waiting", []acd.Event{acd.CallEnqueued{At: at(0), Call: "c1", Queue: "q", EnqueuedAt: at(0)}}, Abandoned, LegAbandoned},
		{"connected", []acd.Event{
			acd.CallEnqueued{At: at(0), Call: "c1", Queue: "q", EnqueuedAt: at(0)},
			acd.CallAnswered{At: at(5), Call: "c1", Queue: "q", Agent: "a1"},
		}, Completed, LegAnswered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewLog()
			var leg *Leg
			for _, ev := range tt.events {
				if _, l := g.Apply(ev); l != nil {
					leg = l
				}
			}
			c, _ := g.Call("c1")
			if got := c.Lost(nil, at(100)); got != tt.outcome || c.Outcome != tt.outcome || !c.EndedAt.Equal(at(100)) {
				t.Errorf("lost: %q, record %q at %v; want %q at %v", got, c.Outcome, c.EndedAt, tt.outcome, at(100))
			}
			if leg != nil && (leg.Outcome != tt.leg || c.Leg != nil) {
				t.Errorf("leg %+v, want closed %q", leg, tt.leg)
			}
		})
	}
}
