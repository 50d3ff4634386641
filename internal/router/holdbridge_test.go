package router_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"switchboard/internal/router/routertest"
)

const createHold1 = "POST /bridges/sb-hold-line1?type=holding"

// An add to the holding bridge that fails for any reason but Asterisk saying the bridge is
// gone (here the connection dropped) does not create the bridge again: under load, every such
// creation was one request more to an Asterisk already failing (2,503 in one run).
func TestHoldAddFailureKeepsBridge(t *testing.T) {
	h := start(t, testConfig(), routertest.Options{})
	stop := h.Hold("POST /bridges/sb-hold-line1/addChannel*")
	h.Inbound("5551000", "+4930111")
	h.Waiting("POST /bridges/sb-hold-line1/addChannel*").Fail(errors.New("add channel: EOF"))
	stop()
	reqs := h.TakeRequests()
	if n := countOp(reqs, createHold1); n != 1 {
		t.Fatalf("holding bridge created %d times, want once: %q", n, reqs)
	}
}

// When Asterisk says the holding bridge is gone (404 on the add: its creation had failed),
// it is made again, once for all the callers who find it gone meanwhile, and they all join it.
func TestHoldGoneMadeAgainOnce(t *testing.T) {
	h := start(t, testConfig(), routertest.Options{})
	stop := h.Hold(createHold1)
	c1 := h.Inbound("5551000", "+4930111")
	h.Waiting(createHold1).Fail(errors.New("create bridge: EOF"))
	// c1's add finds no bridge; while it is made again a second caller arrives.
	c2 := h.Inbound("5551000", "+4930222")
	if got := h.Pending(); countOp(got, createHold1) != 1 {
		t.Fatalf("waiting requests %q, want one creation of the holding bridge", got)
	}
	stop()
	h.Waiting(createHold1).Release()
	reqs := h.TakeRequests()
	if n := countOp(reqs, createHold1); n != 2 {
		t.Fatalf("holding bridge created %d times, want the failed one and one more: %q", n, reqs)
	}
	var members []string
	for _, b := range h.Bridges() {
		if b.ID == "sb-hold-line1" {
			members = b.Members
		}
	}
	for _, c := range []string{c1, c2} {
		if !slices.Contains(members, c) {
			t.Errorf("caller %s not in the holding bridge (members %q); requests %q", c, members, reqs)
		}
	}
	for _, c := range []string{c1, c2} {
		add := fmt.Sprintf("POST /bridges/sb-hold-line1/addChannel?channel=%s&role=holding_participant", c)
		if countOp(reqs, add) == 0 {
			t.Errorf("no add of %s: %q", c, reqs)
		}
	}
}

func countOp(reqs []string, op string) int {
	n := 0
	for _, r := range reqs {
		if r == op {
			n++
		}
	}
	return n
}
