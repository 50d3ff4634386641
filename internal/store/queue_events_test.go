package store_test

import (
	"testing"

	"switchboard/acd"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

// A callback offer and a skill expansion are queue events of the call; they change no row.
func TestJournalCallbackOfferAndExpansionEvents(t *testing.T) {
	r := newRig(t, store.New(pgtest.Pool(t)), store.JournalOptions{}, acd.QueueConfig{Name: "line1"})
	r.enqueue("c1", "line1")
	r.j.Record(acd.CallbackOfferDue{At: at(5), Call: "c1", Queue: "line1", Estimate: sec(300)})
	r.j.Record(acd.CallSkillsExpanded{At: at(6), Call: "c1", Queue: "line1", Step: 1})
	r.flush()
	eq(t, "events", r.events("c1"), []string{"ENTERQUEUE line1 ", "CALLBACKOFFER line1 ", "EXPAND line1 "})
	eq(t, "outcome", r.call("c1").Outcome, "")
}
