package ariemu

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// A channel's record lists the media played to it, in the order they started (WaitCall sees
// each): every part of a list, not a sound that failed, not a playback on its bridge.
func TestCallRecordPlayed(t *testing.T) {
	sounds := t.TempDir()
	for _, f := range []string{"beep", "digits/4", "digits/2"} {
		path := filepath.Join(sounds, "en", f+".wav")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := writeWAV(path, 20*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnv(t, Options{SoundsDir: sounds})
	ws := e.connect("switchboard")
	id, _ := e.srv.PlaceCaller(Caller{Number: "1", DID: "2"})
	ws.next("StasisStart")
	e.must(204, "POST", "/channels/"+id+"/answer", nil)
	e.must(201, "POST", "/channels/"+id+"/play?media=sound:beep,digits:42", nil)
	e.must(201, "POST", "/channels/"+id+"/play?media=sound:no-such-prompt", nil)
	b := e.must(200, "POST", "/bridges?type=mixing", nil)
	e.must(204, "POST", "/bridges/"+b["id"].(string)+"/addChannel?channel="+id, nil) // waits for the playbacks
	e.must(201, "POST", "/bridges/"+b["id"].(string)+"/play?media=sound:beep", nil)
	e.must(201, "POST", "/channels/"+id+"/play?media=digits:2", nil)
	want := []string{"sound:beep", "digits:42", "digits:2"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rec, err := e.srv.WaitCall(ctx, id, func(r CallRecord) bool { return len(r.Played) == len(want) })
	if err != nil || !slices.Equal(rec.Played, want) {
		t.Fatalf("played %q, want %q (%v)", rec.Played, want, err)
	}
	calls := e.srv.Calls()
	calls[0].Played[0] = "changed"
	if rec, _ := e.srv.Call(id); rec.Played[0] != "sound:beep" {
		t.Fatal("Calls shares the record's slice")
	}
}
