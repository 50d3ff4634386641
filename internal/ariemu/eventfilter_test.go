package ariemu

import (
	"testing"
)

// An application's event filter: only the allowed types reach its websocket, a disallowed
// type never does, the application shows the filter, and a malformed filter is refused.
func TestEventFilter(t *testing.T) {
	e := newEnv(t, Options{})
	ws := e.connect("switchboard")
	if code, body := e.do("PUT", "/applications/nosuch/eventFilter", map[string]any{"allowed": []any{}}); code != 404 {
		t.Fatalf("unknown app = %d %s", code, body)
	}
	if code, body := e.do("PUT", "/applications/switchboard/eventFilter", map[string]any{"allowed": []any{map[string]any{"name": "x"}}}); code != 400 {
		t.Fatalf("entry without a type = %d %s", code, body)
	}
	app := e.must(200, "PUT", "/applications/switchboard/eventFilter", map[string]any{
		"allowed": []any{map[string]any{"type": "StasisStart"}, map[string]any{"type": "StasisEnd"}, map[string]any{"type": "ChannelVarset"}},
	})
	if !equalJSON(app["events_allowed"], []any{map[string]any{"type": "StasisStart"}, map[string]any{"type": "StasisEnd"}, map[string]any{"type": "ChannelVarset"}}) ||
		!equalJSON(app["events_disallowed"], []any{}) {
		t.Fatalf("application = %v", app)
	}
	// Only "disallowed" given: "allowed" stays.
	e.must(200, "PUT", "/applications/switchboard/eventFilter", map[string]any{"disallowed": []any{map[string]any{"type": "ChannelVarset"}}})
	id, err := e.srv.PlaceCaller(Caller{DID: "5551000", Number: "+4930111"})
	if err != nil {
		t.Fatal(err)
	}
	e.must(204, "POST", "/channels/"+id+"/answer", nil)
	e.must(204, "POST", "/channels/"+id+"/variable?variable=X&value=1", nil)
	e.must(204, "DELETE", "/channels/"+id, nil)
	first := ws.next("StasisStart")
	end := ws.next("StasisEnd")
	if str(first, "channel", "id") != id || str(end, "channel", "id") != id {
		t.Fatalf("events %v %v", first, end)
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, ev := range ws.all {
		if ev["type"] != "StasisStart" && ev["type"] != "StasisEnd" {
			t.Errorf("filtered event sent: %v", ev["type"])
		}
	}
	// An empty body clears both lists.
	app = e.must(200, "PUT", "/applications/switchboard/eventFilter", nil)
	if !equalJSON(app["events_allowed"], []any{}) || !equalJSON(app["events_disallowed"], []any{}) {
		t.Fatalf("cleared application = %v", app)
	}
}

// A caller added to a holding bridge as holding_participant hears music with no /moh, also
// after the bridge emptied; one added with no role hears silence.
func TestHoldingParticipantHearsMusic(t *testing.T) {
	e := newEnv(t, Options{})
	e.connect("switchboard")
	hold := e.must(200, "POST", "/bridges/hold1?type=holding", nil)["id"].(string)
	place := func() string {
		id, err := e.srv.PlaceCaller(Caller{DID: "5551000", Number: "+4930111"})
		if err != nil {
			t.Fatal(err)
		}
		e.must(204, "POST", "/channels/"+id+"/answer", nil)
		return id
	}
	a := place()
	e.must(204, "POST", "/bridges/"+hold+"/addChannel", map[string]any{"channel": a, "role": "holding_participant"})
	if !e.srv.HearsMusic(a) {
		t.Fatal("first participant hears no music")
	}
	e.must(204, "DELETE", "/channels/"+a, nil) // the bridge empties
	b := place()
	e.must(204, "POST", "/bridges/"+hold+"/addChannel", map[string]any{"channel": b, "role": "holding_participant"})
	if !e.srv.HearsMusic(b) {
		t.Fatal("participant of an emptied bridge hears no music")
	}
	c := place()
	e.must(204, "POST", "/bridges/"+hold+"/addChannel", map[string]any{"channel": c})
	if e.srv.HearsMusic(c) {
		t.Fatal("a channel added with no role hears music")
	}
	mix := e.must(200, "POST", "/bridges/mix1?type=mixing", nil)["id"].(string)
	e.must(204, "POST", "/bridges/"+mix+"/addChannel", map[string]any{"channel": b})
	if e.srv.HearsMusic(b) {
		t.Fatal("music follows the participant out of the holding bridge")
	}
}
