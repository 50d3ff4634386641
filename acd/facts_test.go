package acd

import (
	"reflect"
	"testing"
)

// A fact the owner notes takes its place among the engine's events and changes nothing.
func TestNoteKeepsOrder(t *testing.T) {
	h := newHarness(t, Options{})
	h.queue(QueueConfig{Name: "q"})
	arrived := CallArrived{At: t0, Call: "c1", Number: "+100", DID: "5551000"}
	h.e.Note(arrived)
	routed := CallRouted{At: t0, Call: "c1", Path: []IVRStep{{Node: "menu", Input: "1"}}, Data: map[string]string{"k": "v"}}
	h.e.Note(routed)
	h.call("c1", "q", 0, nil)
	gone := CallGone{At: t0, Call: "ivr-only", Outcome: "abandoned"}
	h.e.Note(gone)
	if len(h.events) != 4 {
		t.Fatalf("events: %v", h.events)
	}
	if !reflect.DeepEqual(h.events[0], arrived) || !reflect.DeepEqual(h.events[1], routed) ||
		!reflect.DeepEqual(h.events[3], gone) {
		t.Fatalf("facts out of place: %v", h.events)
	}
	if _, ok := h.events[2].(CallEnqueued); !ok {
		t.Fatalf("third event %T, want CallEnqueued", h.events[2])
	}
	if ids := h.e.CallIDs(); len(ids) != 1 || ids[0] != "c1" {
		t.Fatalf("engine calls %v: a fact must not add or end a call", ids)
	}
}
