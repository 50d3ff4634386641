package web

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sipLibWant is what everyone gets for the SIP library: 200 once built, else 503.
func sipLibWant() string {
	if _, err := fs.Stat(jslib, sipLibFile); err != nil {
		return "503 503 503 503 503 503 503"
	}
	return "200 200 200 200 200 200 200"
}

func TestRingToneIsAWAV(t *testing.T) {
	b := RingTone(8000)
	if string(b[:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " || string(b[36:40]) != "data" {
		t.Fatalf("not a WAV header: %q", b[:44])
	}
	le := binary.LittleEndian
	if got := le.Uint32(b[4:]); int(got) != len(b)-8 {
		t.Errorf("RIFF size %d, file %d", got, len(b))
	}
	if rate, bits := le.Uint32(b[24:]), le.Uint16(b[34:]); rate != 8000 || bits != 16 {
		t.Errorf("rate %d bits %d", rate, bits)
	}
	n := int(le.Uint32(b[40:])) / 2
	if n != 3*8000 {
		t.Fatalf("%d samples, want 3 s", n)
	}
	// Sound in the two bursts, silence in the gap and the pause, no click at the loop point.
	peak := func(from, to float64) int {
		m := 0
		for i := int(from * 8000); i < int(to*8000); i++ {
			v := int(int16(le.Uint16(b[44+2*i:])))
			m = max(m, v, -v)
		}
		return m
	}
	if peak(0.05, 0.35) < 10000 || peak(0.65, 0.95) < 10000 {
		t.Error("the bursts are too quiet")
	}
	if peak(0.41, 0.59) != 0 || peak(1.01, 3) != 0 {
		t.Error("the gaps are not silent")
	}
	if peak(0, 0.0005) > 2000 {
		t.Error("the tone starts with a click")
	}
}

func TestSIPLibAnswer(t *testing.T) {
	rec := httptest.NewRecorder()
	serveSIPLib(rec, httptest.NewRequest("GET", "/assets/lib/jssip.js", nil))
	if _, err := fs.Stat(jslib, sipLibFile); err != nil {
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "softphone library not built") {
			t.Errorf("without the library: %d %q", rec.Code, rec.Body.String())
		}
		return
	}
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") ||
		!bytes.Contains(rec.Body.Bytes(), []byte("JsSIP")) {
		t.Errorf("library: %d %s, %d bytes", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
	}
}

// An agent gets its own browser phone and password, never cached; the pages let the browser
// connect to the websocket; without a softphone: section the answer says so.
func TestSoftphoneSettings(t *testing.T) {
	users := testUsers("alice", "heidi")
	logs := &bytes.Buffer{}
	opt := Options{Users: users, Live: func() Live { return Live{} }, Desktop: newMemDesktop(), AgentDay: memAgentDay,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Softphone: &Softphone{WSURL: "wss://pbx.example:8089/ws", Domain: "pbx.example", RingTimeout: 20 * time.Second,
			Endpoint: func(a string) string { return "PJSIP/webrtc-" + a }, Password: func(n string) string { return "pw-" + n }}}
	s := &site{t: t, ts: httptest.NewServer(Handler(opt)), logs: logs}
	defer s.ts.Close()
	c := s.client()
	s.login(c, "heidi", "heidi-pass")
	resp, err := c.Get(s.ts.URL + "/api/agent/softphone")
	if err != nil {
		t.Fatal(err)
	}
	var got SoftphoneJSON
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	want := SoftphoneJSON{Enabled: true, WSURL: "wss://pbx.example:8089/ws", URI: "sip:webrtc-1008@pbx.example", AuthUser: "webrtc-1008",
		Password: "pw-webrtc-1008", Endpoint: "PJSIP/webrtc-1008", RingTimeoutS: 20}
	if !reflect.DeepEqual(got, want) || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("got %+v (%s), want %+v", got, resp.Header.Get("Cache-Control"), want)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' wss://pbx.example:8089") {
		t.Errorf("CSP %q", csp)
	}
	if strings.Contains(logs.String(), "pw-webrtc") {
		t.Error("the password is in the log")
	}

	opt.Softphone = nil
	s2 := &site{t: t, ts: httptest.NewServer(Handler(opt)), logs: logs}
	defer s2.ts.Close()
	c2 := s2.client()
	s2.login(c2, "alice", "alice-pass")
	if code, body := s2.get(c2, "/api/agent/softphone"); code != 200 || strings.TrimSpace(body) != `{"enabled":false}` {
		t.Errorf("without a softphone: %d %s", code, body)
	}
}
