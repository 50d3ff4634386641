package ariemu

import "testing"

// TestOriginateVariables: POST /channels sets the "variables" object of its JSON body on the
// new channel, readable at once while it rings, as Asterisk 22.10.1 does (checked by hand
// against one: GET .../variable answers the value with 200, and 404 "Provided variable was
// not found" for one never set). The router puts SB_ANSWER on an agent leg this way.
func TestOriginateVariables(t *testing.T) {
	e := newEnv(t, Options{Speed: 20})
	e.srv.SetPhone("PJSIP/1001", Phone{Behaviour: PhoneRingOut})
	e.connect("switchboard")
	const answer = "a1|2026-12-07T20:30:00.123456789Z"
	e.must(200, "POST", "/channels", map[string]any{"endpoint": "PJSIP/1001", "app": "switchboard", "channelId": "c1-a1",
		"timeout": 30, "variables": map[string]any{"SB_ANSWER": answer, "OTHER": "x"}})
	if v := e.must(200, "GET", "/channels/c1-a1/variable?variable=SB_ANSWER", nil); v["value"] != answer {
		t.Fatalf("SB_ANSWER = %v, want %q", v, answer)
	}
	if v := e.must(200, "GET", "/channels/c1-a1/variable?variable=OTHER", nil); v["value"] != "x" {
		t.Fatalf("OTHER = %v", v)
	}
	e.must(200, "POST", "/channels", map[string]any{"endpoint": "PJSIP/1001", "app": "switchboard", "channelId": "c2-a1", "timeout": 30})
	e.must(404, "GET", "/channels/c2-a1/variable?variable=SB_ANSWER", nil)
}
