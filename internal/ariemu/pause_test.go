package ariemu

import (
	"testing"
	"time"
)

// TestRecordingPause: pause and unpause answer as Asterisk does (pausing a paused recording
// and unpausing a running one do nothing; a queued recording is not in session), and the
// paused time is not in the file.
func TestRecordingPause(t *testing.T) {
	e := newEnv(t, Options{Speed: 20})
	ws := e.connect("switchboard")
	id, _ := e.srv.PlaceCaller(Caller{Number: "1", DID: "5551000"})
	ws.next("StasisStart")
	e.must(204, "POST", "/channels/"+id+"/answer", nil)

	// A channel recording waits behind the channel's playback: queued, not in session.
	e.must(201, "POST", "/channels/"+id+"/play/p1?media=sound:hello-world", nil)
	e.must(201, "POST", "/channels/"+id+"/record?name=queued&format=wav", nil)
	e.must(409, "POST", "/recordings/live/queued/pause", nil)
	e.must(409, "DELETE", "/recordings/live/queued/pause", nil)
	e.must(204, "DELETE", "/recordings/live/queued", nil)
	e.must(404, "POST", "/recordings/live/nope/pause", nil)
	e.must(404, "DELETE", "/recordings/live/nope/pause", nil)

	b := e.must(200, "POST", "/bridges?type=mixing", nil)
	bridge := b["id"].(string)
	e.must(204, "POST", "/bridges/"+bridge+"/addChannel?channel="+id, nil)
	e.must(201, "POST", "/bridges/"+bridge+"/record?name=paused&format=wav", nil)
	ws.next("RecordingStarted")
	e.must(204, "DELETE", "/recordings/live/paused/pause", nil) // running: nothing to do
	time.Sleep(100 * time.Millisecond)                          // 2 s emulated
	e.must(204, "POST", "/recordings/live/paused/pause", nil)
	e.must(204, "POST", "/recordings/live/paused/pause", nil) // paused already: nothing to do
	if l := e.must(200, "GET", "/recordings/live/paused", nil); l["state"] != "paused" {
		t.Fatalf("live = %v", l)
	}
	time.Sleep(300 * time.Millisecond) // 6 s emulated, not recorded
	e.must(204, "DELETE", "/recordings/live/paused/pause", nil)
	if l := e.must(200, "GET", "/recordings/live/paused", nil); l["state"] != "recording" {
		t.Fatalf("live = %v", l)
	}
	time.Sleep(100 * time.Millisecond) // 2 s emulated
	e.must(204, "POST", "/recordings/live/paused/stop", nil)
	fin := ws.next("RecordingFinished")
	if d, _ := field(fin, "recording", "duration").(float64); d < 3 || d > 6 {
		t.Fatalf("duration = %v s, want about 4 (the 6 s paused left out)", field(fin, "recording", "duration"))
	}
}
