package ariemu

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAuth(t *testing.T) {
	e := newEnv(t, Options{})
	for _, tc := range []struct {
		name string
		set  func(r *http.Request)
		want int
	}{
		{"none", func(r *http.Request) {}, 401},
		{"wrong password", func(r *http.Request) { r.SetBasicAuth(testUser, "nope") }, 401},
		{"basic", func(r *http.Request) { r.SetBasicAuth(testUser, testPass) }, 200},
		{"api_key", func(r *http.Request) { r.URL.RawQuery = "api_key=" + testUser + ":" + testPass }, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.ts.URL+"/ari/channels", nil)
			tc.set(req)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
	code, body := e.do("GET", "/nosuch", nil)
	if code != 404 || !strings.Contains(string(body), "message") {
		t.Fatalf("unknown resource = %d %s", code, body)
	}
}

// TestAnsweredCall drives the answered.jsonl story through real HTTP and a
// real websocket and checks the events the application sees.
func TestAnsweredCall(t *testing.T) {
	e := newEnv(t, Options{Speed: 20})
	ws := e.connect("switchboard")
	e.srv.SetPhone("PJSIP/agent1001", Phone{Behaviour: PhoneAnswer, AnswerAfter: 500 * time.Millisecond})
	id, err := e.srv.PlaceCaller(Caller{Number: "79990001111", DID: "5551000",
		Digits: []DigitPress{{Digit: "1", After: 1600 * time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	st := ws.next("StasisStart")
	if got := field(st, "args"); !equalJSON(got, []any{"inbound", "5551000"}) {
		t.Fatalf("args = %v", got)
	}
	if str(st, "channel", "id") != id || str(st, "channel", "dialplan", "exten") != "5551000" ||
		str(st, "channel", "dialplan", "app_data") != "switchboard,inbound,5551000" || str(st, "channel", "state") != "Ring" {
		t.Fatalf("channel = %v", st["channel"])
	}
	if !strings.HasPrefix(str(st, "channel", "name"), "PJSIP/carrier-") {
		t.Fatalf("name = %s", str(st, "channel", "name"))
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000-0700", str(st, "timestamp")); err != nil {
		t.Fatalf("timestamp: %v", err)
	}
	if st["application"] != "switchboard" || st["asterisk_id"] == "" {
		t.Fatalf("envelope: %v", st)
	}
	e.must(204, "POST", "/channels/"+id+"/answer", nil)
	pb := e.must(201, "POST", "/channels/"+id+"/play/pb-greet?media=tone:ring;tonezone=us", nil)
	if pb["state"] != "queued" || pb["target_uri"] != "channel:"+id {
		t.Fatalf("playback = %v", pb)
	}
	evs := ws.expect("ChannelStateChange", "PlaybackStarted", "PlaybackFinished", "ChannelDtmfReceived")
	if str(evs[2], "playback", "state") != "failed" || evs[3]["digit"] != "1" || evs[3]["duration_ms"] != 280.0 {
		t.Fatalf("events: %v", evs)
	}
	if code, body := e.do("DELETE", "/playbacks/pb-greet", nil); code != 404 || string(body) != `{"message":"Playback not found"}` {
		t.Fatalf("delete finished playback = %d %s", code, body)
	}
	hold := e.must(200, "POST", "/bridges?type=holding&name=hold-"+id, nil)
	holdID := hold["id"].(string)
	if hold["technology"] != "holding_bridge" || hold["bridge_type"] != "holding" || len(holdID) != 36 {
		t.Fatalf("bridge = %v", hold)
	}
	e.must(204, "POST", "/bridges/"+holdID+"/addChannel?channel="+id+"&role=participant", nil)
	e.must(204, "POST", "/bridges/"+holdID+"/moh", nil)
	app := e.must(200, "GET", "/applications/switchboard", nil)
	if !equalJSON(app["channel_ids"], []any{id}) || !equalJSON(app["bridge_ids"], []any{holdID}) {
		t.Fatalf("application = %v", app)
	}
	ag := e.must(200, "POST", "/channels?endpoint=PJSIP%2Fagent1001&app=switchboard&appArgs=agent&callerId=Switchboard+%3C100%3E&timeout=15", nil)
	agentID := ag["id"].(string)
	if ag["state"] != "Down" || str(ag, "caller", "number") != "100" || str(ag, "dialplan", "app_name") != "AppDial2" {
		t.Fatalf("originate = %v", ag)
	}
	evs = ws.expect("ChannelEnteredBridge", "Dial", "ChannelStateChange", "Dial", "ChannelStateChange", "Dial", "StasisStart")
	if evs[1]["dialstatus"] != "" || evs[3]["dialstatus"] != "RINGING" || evs[5]["dialstatus"] != "ANSWER" ||
		!equalJSON(evs[6]["args"], []any{"agent"}) || str(evs[6], "channel", "id") != agentID {
		t.Fatalf("agent events: %v", evs)
	}
	mix := e.must(200, "POST", "/bridges?type=mixing&name=call-"+id, nil)
	mixID := mix["id"].(string)
	e.must(204, "POST", "/bridges/"+holdID+"/removeChannel?channel="+id, nil)
	e.must(204, "POST", "/bridges/"+mixID+"/addChannel?channel="+id+","+agentID, nil)
	rec := e.must(201, "POST", "/bridges/"+mixID+"/record?name=rec-"+id+"&format=wav&ifExists=overwrite", nil)
	if rec["state"] != "queued" || rec["target_uri"] != "bridge:"+mixID {
		t.Fatalf("record = %v", rec)
	}
	e.must(204, "POST", "/channels/"+id+"/variable?variable=SB_AGENT&value=PJSIP%2Fagent1001", nil)
	if v := e.must(200, "GET", "/channels/"+id+"/variable?variable=SB_AGENT", nil); v["value"] != "PJSIP/agent1001" {
		t.Fatalf("variable = %v", v)
	}
	ws.expect("ChannelLeftBridge", "ChannelEnteredBridge", "ChannelEnteredBridge", "ChannelConnectedLine", "ChannelConnectedLine", "RecordingStarted")
	time.Sleep(200 * time.Millisecond) // 4 s of emulated talk
	e.must(204, "DELETE", "/channels/"+agentID, nil)
	evs = ws.expect("ChannelHangupRequest", "ChannelLeftBridge", "ChannelConnectedLine", "StasisEnd", "ChannelDestroyed")
	if evs[0]["cause"] != 32.0 || evs[0]["soft"] != true || evs[4]["cause"] != 16.0 || evs[4]["cause_txt"] != "Normal Clearing" {
		t.Fatalf("hangup events: %v", evs)
	}
	e.must(204, "DELETE", "/channels/"+id, nil)
	evs = ws.expect("ChannelHangupRequest", "ChannelLeftBridge", "StasisEnd", "RecordingFinished")
	if d, _ := field(evs[3], "recording", "duration").(float64); d < 3 || d > 12 {
		t.Fatalf("recording duration = %v, want about 4", field(evs[3], "recording", "duration"))
	}
	e.must(200, "GET", "/recordings/stored/rec-"+id, nil)
	code, wav := e.do("GET", "/recordings/stored/rec-"+id+"/file", nil)
	if code != 200 {
		t.Fatalf("file = %d", code)
	}
	d, err := WAVDuration(bytes.NewReader(wav))
	if err != nil || d < 3*time.Second || d > 12*time.Second {
		t.Fatalf("wav duration = %v, %v", d, err)
	}
	e.must(204, "DELETE", "/bridges/"+holdID, nil)
	e.must(204, "DELETE", "/bridges/"+mixID, nil)
	ws.expect("BridgeDestroyed")
	calls := e.srv.Calls()
	if len(calls) != 2 || calls[0].Outcome != OutcomeHungUpByApp || calls[0].Digits != "1" || calls[1].Kind != KindAgent || len(calls[0].Peers) != 1 {
		t.Fatalf("calls = %+v", calls)
	}
	e.must(204, "DELETE", "/recordings/stored/rec-"+id, nil)
	e.must(404, "GET", "/recordings/stored/rec-"+id, nil)
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestStasisFailsWithoutWebsocket(t *testing.T) {
	e := newEnv(t, Options{Speed: 50})
	id, err := e.srv.PlaceCaller(Caller{Number: "1", DID: "5551000"})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := e.srv.Call(id)
	if rec.Outcome != OutcomeStasisFailed || rec.Ended.IsZero() {
		t.Fatalf("record = %+v", rec)
	}
	e.must(404, "GET", "/channels/"+id, nil)
	// Events are not queued for later: a client connecting now sees nothing of it.
	ws := e.connect("switchboard")
	id2, _ := e.srv.PlaceCaller(Caller{Number: "2", DID: "5551000"})
	st := ws.next("StasisStart")
	if str(st, "channel", "id") != id2 {
		t.Fatalf("first event is for %s, want %s", str(st, "channel", "id"), id2)
	}
}

func TestAgentPhones(t *testing.T) {
	e := newEnv(t, Options{Speed: 20})
	ws := e.connect("switchboard")
	for _, tc := range []struct {
		endpoint string
		phone    Phone
		want     []string
		status   string
		cause    float64
		outcome  string
	}{
		{"PJSIP/ringout", Phone{Behaviour: PhoneRingOut}, []string{"Dial", "ChannelDestroyed"}, "", 19, OutcomeNoAnswer},
		{"PJSIP/busy", Phone{Behaviour: PhoneBusy, AnswerAfter: 100 * time.Millisecond}, []string{"Dial", "Dial", "ChannelDestroyed"}, "BUSY", 17, OutcomeBusy},
		{"PJSIP/gone", Phone{Behaviour: PhoneUnreachable}, []string{"Dial", "Dial", "ChannelDestroyed"}, "CHANUNAVAIL", 20, OutcomeUnavailable},
	} {
		t.Run(tc.endpoint, func(t *testing.T) {
			e.srv.SetPhone(tc.endpoint, tc.phone)
			ch := e.must(200, "POST", "/channels", map[string]any{"endpoint": tc.endpoint, "app": "switchboard", "appArgs": "agent", "timeout": 2})
			evs := ws.expect(tc.want...)
			if len(evs) == 3 && evs[1]["dialstatus"] != tc.status {
				t.Fatalf("dialstatus = %v", evs[1]["dialstatus"])
			}
			last := evs[len(evs)-1]
			if last["cause"] != tc.cause || str(last, "channel", "id") != ch["id"] {
				t.Fatalf("destroyed = %v", last)
			}
			rec, _ := e.srv.Call(ch["id"].(string))
			if rec.Outcome != tc.outcome {
				t.Fatalf("outcome = %q, want %q", rec.Outcome, tc.outcome)
			}
		})
	}
	// Agent hangs up by itself after talk time once bridged.
	e.srv.SetPhone("PJSIP/talker", Phone{AnswerAfter: 10 * time.Millisecond, TalkTime: 2 * time.Second})
	callerID, _ := e.srv.PlaceCaller(Caller{Number: "5", DID: "1"})
	ws.next("StasisStart")
	ag := e.must(200, "POST", "/channels/agent-1", map[string]any{"endpoint": "PJSIP/talker", "app": "switchboard", "appArgs": "agent"})
	if ag["id"] != "agent-1" {
		t.Fatalf("originate with id: %v", ag)
	}
	e.must(409, "POST", "/channels/agent-1", map[string]any{"endpoint": "PJSIP/talker", "app": "switchboard"})
	ws.next("StasisStart")
	br := e.must(200, "POST", "/bridges/my-bridge", map[string]any{"type": "mixing"})
	if br["id"] != "my-bridge" {
		t.Fatalf("bridge = %v", br)
	}
	e.must(204, "POST", "/bridges/my-bridge/addChannel", map[string]any{"channel": []string{callerID, "agent-1"}})
	ws.next("ChannelDestroyed")
	rec, _ := e.srv.Call("agent-1")
	if rec.Outcome != OutcomeCompleted || rec.HungUpBy != "agent" {
		t.Fatalf("agent record = %+v", rec)
	}
}

// TestCallerBehaviour covers patience (abandon) and talk time.
func TestCallerBehaviour(t *testing.T) {
	e := newEnv(t, Options{Speed: 50})
	ws := e.connect("switchboard")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	impatient, _ := e.srv.PlaceCaller(Caller{Number: "1", DID: "2", Patience: 5 * time.Second})
	ws.next("StasisStart")
	e.must(204, "POST", "/channels/"+impatient+"/answer", nil)
	hr := ws.next("ChannelHangupRequest")
	if _, ok := hr["cause"]; ok {
		t.Fatalf("remote hangup request carries a cause: %v", hr)
	}
	ws.next("StasisEnd")
	rec, err := e.srv.WaitCall(ctx, impatient, Ended)
	if err != nil || rec.Outcome != OutcomeAbandoned {
		t.Fatalf("record = %+v %v", rec, err)
	}

	talker, _ := e.srv.PlaceCaller(Caller{Number: "1", DID: "2", Patience: 5 * time.Second, TalkTime: 10 * time.Second})
	ws.next("StasisStart")
	ag := e.must(200, "POST", "/channels", map[string]any{"endpoint": "PJSIP/agentX", "app": "switchboard", "appArgs": "agent"})
	ws.next("StasisStart")
	b := e.must(200, "POST", "/bridges", nil)
	e.must(204, "POST", "/bridges/"+b["id"].(string)+"/addChannel?channel="+talker+","+ag["id"].(string), nil)
	start := time.Now()
	rec, err = e.srv.WaitCall(ctx, talker, Ended)
	if err != nil || rec.Outcome != OutcomeCompleted || rec.HungUpBy != "caller" {
		t.Fatalf("record = %+v %v", rec, err)
	}
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Fatalf("talk lasted %v, want about 200ms (10s at speed 50)", el)
	}
}

func haveSounds(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/usr/share/asterisk/sounds/en/queue-thereare.wav"); err != nil {
		t.Skip("asterisk-core-sounds-en-wav not installed (internal/tools/deps.sh installs it)")
	}
}

// TestPlaybackQueue checks queued playbacks, media lists, unknown sounds and
// that addChannel waits for the channel's playbacks, like sounds.jsonl.
func TestPlaybackQueue(t *testing.T) {
	haveSounds(t)
	const speed = 10
	e := newEnv(t, Options{Speed: speed})
	ws := e.connect("switchboard")
	id, _ := e.srv.PlaceCaller(Caller{Number: "1", DID: "2"})
	ws.next("StasisStart")
	e.must(204, "POST", "/channels/"+id+"/answer", nil)
	pb := e.must(201, "POST", "/channels/"+id+"/play/pb-known?lang=en&media=sound:queue-thereare,sound:digits/2,sound:queue-callswaiting", nil)
	if pb["media_uri"] != "sound:queue-thereare" || pb["next_media_uri"] != "sound:digits/2" {
		t.Fatalf("playback = %v", pb)
	}
	e.must(201, "POST", "/channels/"+id+"/play/pb-unknown?media=sound:no-such-prompt", nil)
	ru := e.must(201, "POST", "/channels/"+id+"/play/pb-ru?lang=ru&media=sound:queue-thereare", nil)
	if ru["language"] != "ru" {
		t.Fatalf("ru playback = %v", ru)
	}
	e.must(201, "POST", "/channels/"+id+"/play/pb-num?media=number:42,digits:7", nil)
	b := e.must(200, "POST", "/bridges?type=holding", nil)
	start := time.Now()
	e.must(204, "POST", "/bridges/"+b["id"].(string)+"/addChannel?channel="+id, nil)
	waited := time.Since(start)
	var want time.Duration
	for _, f := range []string{"en/queue-thereare", "en/digits/2", "en/queue-callswaiting", "ru/queue-thereare", "en/digits/40", "en/digits/2", "en/digits/7"} {
		fh, err := os.Open(filepath.Join("/usr/share/asterisk/sounds", f+".wav"))
		if err != nil {
			t.Fatal(err)
		}
		d, err := WAVDuration(fh)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		want += d
	}
	want /= speed
	if waited < want*8/10 || waited > want+500*time.Millisecond {
		t.Fatalf("addChannel answered after %v, want about %v (the queued playbacks)", waited, want)
	}
	evs := ws.expect("ChannelStateChange",
		"PlaybackStarted", "PlaybackContinuing", "PlaybackStarted", "PlaybackContinuing", "PlaybackStarted", "PlaybackFinished",
		"PlaybackStarted", "PlaybackFinished",
		"PlaybackStarted", "PlaybackFinished",
		"PlaybackStarted", "PlaybackContinuing", "PlaybackStarted", "PlaybackFinished",
		"ChannelEnteredBridge")
	if str(evs[2], "playback", "state") != "continuing" || str(evs[2], "playback", "next_media_uri") != "sound:digits/2" ||
		str(evs[6], "playback", "state") != "done" || str(evs[8], "playback", "state") != "failed" || str(evs[10], "playback", "state") != "done" {
		t.Fatalf("playback events: %v", evs)
	}
	e.must(404, "GET", "/playbacks/pb-known", nil)

	// Stopping a playing playback ends it at once; the queue moves on.
	e.must(201, "POST", "/channels/"+id+"/play/long?media=sound:queue-thereare", nil)
	e.must(201, "POST", "/channels/"+id+"/play/next?media=sound:beep", nil)
	ws.next("PlaybackStarted")
	if g := e.must(200, "GET", "/playbacks/next", nil); g["state"] != "queued" {
		t.Fatalf("queued playback = %v", g)
	}
	e.must(204, "POST", "/playbacks/long/control?operation=pause", nil)
	e.must(204, "POST", "/playbacks/long/control?operation=unpause", nil)
	e.must(400, "POST", "/playbacks/long/control?operation=dance", nil)
	e.must(204, "DELETE", "/playbacks/long", nil)
	fin := ws.next("PlaybackFinished")
	if str(fin, "playback", "id") != "long" || str(fin, "playback", "state") != "done" {
		t.Fatalf("stopped = %v", fin)
	}
	if st := ws.next("PlaybackStarted"); str(st, "playback", "id") != "next" {
		t.Fatalf("next = %v", st)
	}
	// Bridge playback.
	bp := e.must(201, "POST", "/bridges/"+b["id"].(string)+"/play?media=sound:beep&playbackId=bp1", nil)
	if bp["target_uri"] != "bridge:"+b["id"].(string) || bp["id"] != "bp1" {
		t.Fatalf("bridge playback = %v", bp)
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t, Options{})
	ws := e.connect("switchboard")
	for _, tc := range []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/channels/nonexistent-id", 404, `{"message":"Channel not found"}`},
		{"POST", "/bridges/nonexistent-id/addChannel?channel=x", 404, `{"message":"Bridge not found"}`},
		{"DELETE", "/playbacks/x", 404, `{"message":"Playback not found"}`},
		{"GET", "/recordings/live/x", 404, `{"message":"Recording not found"}`},
		{"GET", "/recordings/stored/x", 404, `{"message":"Recording not found"}`},
		{"GET", "/applications/nope", 404, `{"message":"Application not found"}`},
		{"DELETE", "/bridges/x", 404, `{"message":"Bridge not found"}`},
		{"POST", "/channels", 400, `{"message":"Endpoint must be specified"}`},
	} {
		code, body := e.do(tc.method, tc.path, nil)
		if code != tc.code || string(body) != tc.body {
			t.Errorf("%s %s = %d %s, want %d %s", tc.method, tc.path, code, body, tc.code, tc.body)
		}
	}
	id, _ := e.srv.PlaceCaller(Caller{Number: "1", DID: "2"})
	ws.next("StasisStart")
	b := e.must(200, "POST", "/bridges", nil)
	e.must(400, "POST", "/bridges/"+b["id"].(string)+"/addChannel?channel=nochan", nil)
	e.must(422, "POST", "/bridges/"+b["id"].(string)+"/removeChannel?channel="+id, nil)
	e.must(400, "DELETE", "/channels/"+id+"?reason=bogus", nil)
	e.must(404, "GET", "/channels/"+id+"/variable?variable=NOPE", nil)
	if v := e.must(200, "GET", "/channels/"+id+"/variable?variable=CALLERID(num)", nil); v["value"] != "1" {
		t.Fatalf("CALLERID(num) = %v", v)
	}
	e.must(204, "DELETE", "/channels/"+id+"?reason_code=17", nil)
	e.must(404, "POST", "/channels/"+id+"/answer", nil)
	info := e.must(200, "GET", "/asterisk/info", nil)
	if str(info, "system", "version") == "" {
		t.Fatalf("info = %v", info)
	}
}

// TestSubscriptions: several applications, several connections per
// application, subscribeAll.
func TestSubscriptions(t *testing.T) {
	e := newEnv(t, Options{Speed: 50})
	a1 := e.connect("switchboard")
	a2 := e.connect("switchboard")
	other := e.connect("other")
	all := e.connect("spy", "subscribeAll=true")
	id, _ := e.srv.PlaceCaller(Caller{Number: "1", DID: "2"})
	for _, c := range []*wsClient{a1, a2, all} {
		if ev := c.next("StasisStart"); str(ev, "channel", "id") != id {
			t.Fatalf("StasisStart = %v", ev)
		}
	}
	id2, _ := e.srv.PlaceCaller(Caller{Number: "1", DID: "2", App: "other"})
	if ev := other.next("StasisStart"); str(ev, "channel", "id") != id2 || ev["application"] != "other" {
		t.Fatalf("other app = %v", ev)
	}
	select {
	case ev := <-a1.events:
		t.Fatalf("switchboard got an event of app other: %v", ev)
	case <-time.After(50 * time.Millisecond):
	}
	apps := []map[string]any{}
	_, body := e.do("GET", "/applications", nil)
	if err := json.Unmarshal(body, &apps); err != nil || len(apps) != 3 {
		t.Fatalf("applications = %s", body)
	}
}

func TestControlHTTP(t *testing.T) {
	e := newEnv(t, Options{Speed: 50})
	ws := e.connect("switchboard")
	post := func(method, path, body string) (int, []byte) {
		req, _ := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
		req.SetBasicAuth(testUser, testPass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		return resp.StatusCode, buf.Bytes()
	}
	code, body := post("PUT", "/control/phones/PJSIP/agent7", `{"behaviour":"busy","answer_after_ms":10}`)
	if code != 204 {
		t.Fatalf("put phone = %d %s", code, body)
	}
	if p := e.srv.Phones()["PJSIP/agent7"]; p.Behaviour != PhoneBusy {
		t.Fatalf("phone = %+v", p)
	}
	code, body = post("POST", "/control/callers", `{"number":"79990001111","did":"5551000","digits":[{"digit":"1","after_ms":100}],"patience_ms":60000}`)
	if code != 201 {
		t.Fatalf("place caller = %d %s", code, body)
	}
	var rec CallRecord
	if err := json.Unmarshal(body, &rec); err != nil || rec.ChannelID == "" || rec.DID != "5551000" {
		t.Fatalf("record = %s", body)
	}
	ws.next("StasisStart")
	e.must(204, "POST", "/channels/"+rec.ChannelID+"/answer", nil)
	if d := ws.next("ChannelDtmfReceived"); d["digit"] != "1" {
		t.Fatalf("dtmf = %v", d)
	}
	if code, _ := post("POST", "/control/channels/"+rec.ChannelID+"/dtmf?digit=5", ""); code != 204 {
		t.Fatalf("dtmf = %d", code)
	}
	ws.next("ChannelDtmfReceived")
	if code, _ := post("POST", "/control/channels/"+rec.ChannelID+"/hangup", ""); code != 204 {
		t.Fatalf("hangup = %d", code)
	}
	ws.next("StasisEnd")
	code, body = post("GET", "/control/calls/"+rec.ChannelID, "")
	if code != 200 || !strings.Contains(string(body), `"outcome":"abandoned"`) || !strings.Contains(string(body), `"digits":"15"`) {
		t.Fatalf("call = %d %s", code, body)
	}
	if code, _ := post("POST", "/control/callers", `{"number":"1"}`); code != 400 {
		t.Fatalf("caller without did = %d", code)
	}
	req, _ := http.NewRequest("GET", e.ts.URL+"/control/calls", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("control without auth = %d", resp.StatusCode)
	}
}

func TestReplaceConnections(t *testing.T) {
	e := newEnv(t, Options{Speed: 50, ReplaceConnections: true})
	old := e.connect("switchboard")
	cur := e.connect("switchboard")
	if ev := old.next("ApplicationReplaced"); ev["application"] != "switchboard" {
		t.Fatalf("ApplicationReplaced = %v", ev)
	}
	for range old.events { // closed by the server
	}
	id, _ := e.srv.PlaceCaller(Caller{Number: "1", DID: "2"})
	if ev := cur.next("StasisStart"); str(ev, "channel", "id") != id {
		t.Fatalf("StasisStart = %v", ev)
	}
}

// TestCloseWhileWaiting: Close does not hang on a request waiting for a
// channel's playbacks.
func TestCloseWhileWaiting(t *testing.T) {
	e := newEnv(t, Options{DefaultSoundDuration: time.Hour, SoundsDir: t.TempDir()})
	ws := e.connect("switchboard")
	id, _ := e.srv.PlaceCaller(Caller{Number: "1", DID: "2"})
	ws.next("StasisStart")
	e.must(201, "POST", "/channels/"+id+"/play?media=sound:long", nil)
	b := e.must(200, "POST", "/bridges", nil)
	done := make(chan int)
	go func() {
		code, _ := e.do("POST", "/bridges/"+b["id"].(string)+"/addChannel?channel="+id, nil)
		done <- code
	}()
	time.Sleep(50 * time.Millisecond)
	_ = e.srv.Close()
	select {
	case code := <-done:
		if code != 500 {
			t.Fatalf("addChannel after close = %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("addChannel still waiting after Close")
	}
}
