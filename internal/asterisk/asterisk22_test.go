package asterisk_test

import (
	"slices"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/router"
)

// What a caller noticed on a real Asterisk 22 (issue 12), against the emulator that behaves
// like it there.

// waitingConfig is a queue with no agent: callers wait in its holding bridge.
func waitingConfig(s router.QueueSettings) router.Config {
	cfg := testConfig()
	cfg.Queues = append(cfg.Queues, acd.QueueConfig{Name: "empty", RingTimeout: time.Second})
	cfg.DIDs["5553000"] = router.Route{Queue: "empty"}
	cfg.Settings = map[string]router.QueueSettings{"empty": s}
	return cfg
}

// Position announcements are lists of prompts; Asterisk plays a list only when it comes as a
// JSON array (a comma string in the JSON body is one file that does not exist).
func TestAnnouncementListsPlay(t *testing.T) {
	g := newRig(t)
	g.start(waitingConfig(router.QueueSettings{AnnounceEvery: 300 * time.Millisecond, AnnouncePosition: true}))
	g.place(ariemu.Caller{DID: "5553000", Number: "100"})
	second := g.place(ariemu.Caller{DID: "5553000", Number: "200"})
	g.eventually("the second caller told there is one call ahead", func() bool {
		rec, _ := g.emu.Call(second)
		return slices.Contains(rec.Played, "sound:queue-thereare") && slices.Contains(rec.Played, "number:1")
	})
}

// Asterisk's music in a holding bridge leaves with the last caller: the next caller hears it
// only if music on hold is asked for again after it joins.
func TestHoldMusicAfterBridgeEmptied(t *testing.T) {
	g := newRig(t)
	g.start(waitingConfig(router.QueueSettings{}))
	first := g.place(ariemu.Caller{DID: "5553000", Number: "100"})
	g.eventually("the first caller hears music", func() bool { return g.emu.HearsMusic(first) })
	if err := g.emu.Hangup(first); err != nil {
		t.Fatal(err)
	}
	g.ended(first)
	second := g.place(ariemu.Caller{DID: "5553000", Number: "200"})
	g.eventually("the next caller, alone in the emptied bridge, hears music", func() bool { return g.emu.HearsMusic(second) })
}
