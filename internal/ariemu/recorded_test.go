package ariemu

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The recordings of 2026-12-07 (times in unix seconds) have several callers, channel ids the
// application chose, snoops, REST over the websocket. Their replay drives the emulator with
// what came from outside the application (callers entering, phones answering, digits,
// hang-ups) and sends the application's requests and websocket messages at the trace's pace
// (divided by the speed), after the outside events that preceded them. It then compares, with
// each id replaced by a role:
//   - every answer's status, error text and shape (and a bridge's channels);
//   - the events: the same multiset, and for each channel, bridge and the websocket the same
//     order (events of different channels may interleave differently: Asterisk runs requests
//     of several connections at once where the replay sends them one after the other).
// Each trace has a case below with what its notes show beyond the events (who hears music,
// what the stored recordings are); a trace without a case fails the test.

// recordedCase is what a trace's replay checks beyond its events and answers.
type recordedCase struct {
	opts  func(*Options)
	setup func(t *testing.T, srv *Server) // before the replay starts
	// loose are event types left out of the comparison: the trace's requests ran at once
	// on Asterisk, which decided whether these were sent, where the replay sends one after
	// the other.
	loose  []string
	checks []checkpoint
	// run replaces the replay for a trace that is not a call scenario.
	run func(t *testing.T, lines []traceLine)
	// pending, when set, says what the emulator does not do yet: the replay is skipped.
	pending string
}

// checkpoint runs before the first action at or after trace time at (the notes' clock).
type checkpoint struct {
	at   float64
	what string
	fn   func(t *testing.T, rp *replayer)
}

func TestRecordedTraces(t *testing.T) {
	dir := envDir(t, "ARI_TRACES_DIR", "../shared/ari/traces")
	globbed, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	n := 0
	for _, f := range globbed {
		lines := loadTrace(t, f)
		if len(lines) == 0 || !lines[0].T.unix {
			continue // the first recordings: TestTraceReplay
		}
		name := strings.TrimSuffix(filepath.Base(f), ".jsonl")
		n++
		t.Run(name, func(t *testing.T) {
			c, ok := recordedCases[name]
			if !ok {
				t.Fatalf("no replay case for %s: add one to recordedCases", name)
			}
			if _, err := os.Stat("/usr/share/asterisk/sounds/en/queue-thereare.wav"); err != nil {
				t.Fatal("the recorded traces need asterisk-core-sounds-en-wav (internal/tools/deps.sh installs it)")
			}
			if c.pending != "" {
				t.Skip("pending: " + c.pending)
			}
			t.Parallel()
			if c.run != nil {
				c.run(t, lines)
				return
			}
			newReplayer(t, lines, c).run()
		})
	}
	if n == 0 {
		t.Fatalf("no recordings of 2026-12-07 in %s", dir)
	}
}

const replaySpeed = 10

// replayer replays one recorded trace.
type replayer struct {
	t     *testing.T
	c     recordedCase
	e     *testEnv
	ws    *wsClient
	lines []traceLine
	t0    time.Time // the trace's first line
	r0    time.Time // when the replay started

	emuOf   map[string]string // trace id → emulator id
	traceOf map[string]string // emulator id → trace id
	roles   map[string]string // trace id → role; emulator ids get theirs through traceOf
	counts  map[string]int    // roles given per kind
	emu     []map[string]any  // events the emulator sent, in order
	checked int               // checkpoints run
}

func newReplayer(t *testing.T, lines []traceLine, c recordedCase) *replayer {
	opts := Options{Speed: replaySpeed}
	if c.opts != nil {
		c.opts(&opts)
	}
	rp := &replayer{t: t, c: c, lines: lines, t0: lines[0].T.Time,
		emuOf: map[string]string{}, traceOf: map[string]string{}, roles: map[string]string{}, counts: map[string]int{}}
	rp.e = newEnv(t, opts)
	if c.setup != nil {
		c.setup(t, rp.e.srv)
	}
	rp.ws = rp.e.connect("switchboard")
	rp.phones()
	return rp
}

// phones configures each originated endpoint like the trace's phone: it answers after the
// delay between its first Dial and its Dial ANSWER, or rings out.
func (rp *replayer) phones() {
	endpointOf := map[string]string{} // trace channel id → endpoint
	dialAt := map[string]time.Time{}
	set := map[string]bool{}
	for _, l := range rp.lines {
		if l.Kind == "request" && l.Method == "POST" && (l.Path == "/channels" || strings.HasPrefix(l.Path, "/channels?")) {
			var resp map[string]any
			_ = json.Unmarshal(l.Body, &resp)
			ep := requestParam(l, "endpoint")
			if id := str(resp, "id"); id != "" && ep != "" {
				endpointOf[id] = ep
				if !set[ep] {
					rp.e.srv.SetPhone(ep, Phone{Behaviour: PhoneRingOut})
				}
			}
		}
		if l.Kind != "event" || str(l.ev, "type") != "Dial" {
			continue
		}
		peer := str(l.ev, "peer", "id")
		switch str(l.ev, "dialstatus") {
		case "":
			dialAt[peer] = l.ts
		case "ANSWER":
			if ep := endpointOf[peer]; ep != "" && !set[ep] {
				set[ep] = true
				rp.e.srv.SetPhone(ep, Phone{Behaviour: PhoneAnswer, AnswerAfter: l.ts.Sub(dialAt[peer])})
			}
		}
	}
}

// requestParam reads a parameter of a traced request from its query string or JSON body.
func requestParam(l traceLine, name string) string {
	if _, q, ok := strings.Cut(l.Path, "?"); ok {
		if v, err := url.ParseQuery(q); err == nil && v.Get(name) != "" {
			return v.Get(name)
		}
	}
	var body map[string]any
	_ = json.Unmarshal(l.RequestBody, &body)
	return str(body, name)
}

// bind records that trace id tid is emulator id eid, with a role: the id itself when the
// application chose it (both sides agree), else kind and a number.
func (rp *replayer) bind(tid, eid, kind string) {
	if tid == "" || eid == "" {
		return
	}
	if _, ok := rp.roles[tid]; ok {
		return
	}
	role := tid
	if tid != eid {
		rp.counts[kind]++
		role = fmt.Sprintf("%s%d", kind, rp.counts[kind])
	}
	rp.roles[tid] = role
	rp.emuOf[tid] = eid
	rp.traceOf[eid] = tid
}

func (rp *replayer) traceRole(id string) string { return rp.roles[id] }
func (rp *replayer) emuRole(id string) string   { return rp.roles[rp.traceOf[id]] }

// mapIDs replaces the trace's ids in s (a path, a body) by the emulator's, longest first.
func (rp *replayer) mapIDs(s string) string {
	keys := make([]string, 0, len(rp.emuOf))
	for k, v := range rp.emuOf {
		if k != v {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		s = strings.ReplaceAll(s, k, rp.emuOf[k])
	}
	return s
}

// replayLabel is an event with ids replaced by roles, and the roles it concerns; "" for an
// event outside the scenario or one of Asterisk's internals the emulator does not send.
func replayLabel(ev map[string]any, role func(string) string) (string, []string) {
	typ := str(ev, "type")
	if typ == "ApplicationReplaced" || (typ == "ChannelVarset" && noiseVar(str(ev, "variable"))) {
		return "", nil
	}
	if typ == "RESTResponse" {
		return fmt.Sprintf("RESTResponse(%s %v %s)", str(ev, "request_id"), ev["status_code"], str(ev, "reason_phrase")), []string{"websocket"}
	}
	var parts, roles []string
	add := func(id string, more ...string) {
		if r := role(id); r != "" {
			parts = append(parts, r)
			parts = append(parts, more...)
			roles = append(roles, r)
		}
	}
	add(str(ev, "channel", "id"))
	add(str(ev, "peer", "id"), str(ev, "dialstatus"))
	add(str(ev, "bridge", "id"))
	for _, k := range []string{"playback", "recording"} {
		if target := str(ev, k, "target_uri"); target != "" {
			_, id, _ := strings.Cut(target, ":")
			add(id, str(ev, k, "state"), str(ev, k, "media_uri"), str(ev, k, "name"))
		}
	}
	if len(roles) == 0 {
		return "", nil
	}
	switch typ {
	case "ChannelVarset":
		parts = append(parts, str(ev, "variable"))
	case "ChannelStateChange":
		parts = append(parts, str(ev, "channel", "state"))
	case "StasisStart":
		var args []string
		for _, a := range field(ev, "args").([]any) {
			args = append(args, fmt.Sprint(a))
		}
		parts = append(parts, "["+strings.Join(args, ",")+"]")
	case "ChannelDestroyed":
		parts = append(parts, fmt.Sprint(ev["cause"]))
	case "ChannelHangupRequest":
		if ev["soft"] == true {
			parts = append(parts, "soft")
		}
	}
	return typ + "(" + strings.Join(strings.Fields(strings.Join(parts, " ")), " ") + ")", roles
}

// outside reports whether an event comes from outside the application's last request
// (phones, callers, timers, the websocket's answers): the replay waits for as many of these
// as the trace had before each of the application's actions.
func outside(ev map[string]any, role func(string) string) bool {
	if l, _ := replayLabel(ev, role); l == "" {
		return false
	}
	switch str(ev, "type") {
	case "StasisStart", "ChannelDtmfReceived", "Dial", "PlaybackFinished", "RESTResponse":
		return true
	case "ChannelStateChange":
		return str(ev, "channel", "state") != "Up" || !strings.HasPrefix(role(str(ev, "channel", "id")), "caller")
	case "ChannelHangupRequest":
		return ev["soft"] == nil
	case "ChannelDestroyed":
		c, _ := ev["cause"].(float64)
		return c == 17 || c == 19 || c == 20
	}
	return false
}

// pull moves the events the emulator sent into rp.emu for up to d.
func (rp *replayer) pull(d time.Duration) {
	deadline := time.After(d)
	for {
		select {
		case ev, ok := <-rp.ws.events:
			if !ok {
				return
			}
			rp.emu = append(rp.emu, ev)
			if str(ev, "type") == "RESTResponse" {
				rp.restResponse(ev)
			}
		case <-deadline:
			return
		}
	}
}

func (rp *replayer) countOutside(evs []map[string]any, role func(string) string) int {
	n := 0
	for _, ev := range evs {
		if outside(ev, role) {
			n++
		}
	}
	return n
}

// await waits for the outside events the trace had before line i, then for the trace's pace.
func (rp *replayer) await(i int) {
	rp.t.Helper()
	var before []map[string]any
	for _, l := range rp.lines[:i] {
		if l.Kind == "event" {
			before = append(before, l.ev)
		}
	}
	want := rp.countOutside(before, rp.traceRole)
	for deadline := time.Now().Add(5 * time.Second); rp.countOutside(rp.emu, rp.emuRole) < want; {
		if time.Now().After(deadline) {
			got, _ := rp.labelsOf(rp.emu, rp.emuRole)
			rp.t.Fatalf("before line %d (%s %s): %d outside events, want %d\nemulator: %s", i+1, rp.lines[i].Kind,
				rp.lines[i].Path, rp.countOutside(rp.emu, rp.emuRole), want, strings.Join(got, "\n  "))
		}
		rp.pull(5 * time.Millisecond)
	}
	if d := time.Until(rp.r0.Add(rp.lines[i].T.Sub(rp.t0) / replaySpeed)); d > 0 {
		rp.pull(d)
	}
	for rp.checked < len(rp.c.checks) {
		cp := rp.c.checks[rp.checked]
		if float64(rp.lines[i].T.UnixMicro())/1e6 < cp.at {
			break
		}
		rp.checked++
		rp.pull(20 * time.Millisecond)
		rp.t.Logf("check: %s", cp.what)
		cp.fn(rp.t, rp)
	}
}

func (rp *replayer) run() {
	t := rp.t
	rp.r0 = time.Now()
	callers := 0
	for i, l := range rp.lines {
		switch l.Kind {
		case "event":
			rp.outsideAction(i, l, &callers)
		case "request":
			rp.await(i)
			rp.request(l)
		case "ws_send":
			rp.await(i)
			rp.wsSend(l)
		}
	}
	for rp.checked < len(rp.c.checks) {
		cp := rp.c.checks[rp.checked]
		rp.checked++
		rp.pull(50 * time.Millisecond)
		t.Logf("check: %s", cp.what)
		cp.fn(t, rp)
	}

	var traceEvents []map[string]any
	for _, l := range rp.lines {
		if l.Kind == "event" {
			traceEvents = append(traceEvents, l.ev)
		}
	}
	want, wantByRole := rp.labelsOf(traceEvents, rp.traceRole)
	canonical(wantByRole)
	got, gotByRole := rp.labelsOf(rp.emu, rp.emuRole)
	for deadline := time.Now().Add(3 * time.Second); len(got) < len(want) && time.Now().Before(deadline); {
		rp.pull(20 * time.Millisecond)
		got, gotByRole = rp.labelsOf(rp.emu, rp.emuRole)
	}
	rp.pull(200 * time.Millisecond)
	got, gotByRole = rp.labelsOf(rp.emu, rp.emuRole)
	canonical(gotByRole)
	if a, b := sortedCopy(want), sortedCopy(got); strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("events differ (sorted)\n%s", diffLines(a, b))
	}
	roles := make([]string, 0, len(wantByRole))
	for r := range wantByRole {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	for _, r := range roles {
		if w, g := wantByRole[r], gotByRole[r]; strings.Join(w, "\n") != strings.Join(g, "\n") {
			t.Errorf("events of %s differ in order\n%s", r, diffLines(w, g))
		}
	}
	actions := 0
	for _, l := range rp.lines {
		if l.Kind == "request" || l.Kind == "ws_send" {
			actions++
		}
	}
	t.Logf("%d events, %d roles, %d requests compared", len(want), len(roles), actions)
}

func (rp *replayer) labelsOf(evs []map[string]any, role func(string) string) ([]string, map[string][]string) {
	var all []string
	by := map[string][]string{}
	for _, ev := range evs {
		l, roles := replayLabel(ev, role)
		if l == "" || contains(rp.c.loose, str(ev, "type")) {
			continue
		}
		all = append(all, l)
		seen := map[string]bool{}
		for _, r := range roles {
			if !seen[r] {
				seen[r] = true
				by[r] = append(by[r], l)
			}
		}
	}
	return all, by
}

// canonical orders what Asterisk sends in either order: a ringing phone's Dial RINGING and
// its ChannelStateChange come from two threads.
func canonical(byRole map[string][]string) {
	for _, seq := range byRole {
		for i := 0; i+1 < len(seq); i++ {
			if strings.HasPrefix(seq[i], "Dial(") && strings.HasSuffix(seq[i], " RINGING)") &&
				strings.HasPrefix(seq[i+1], "ChannelStateChange(") && strings.HasSuffix(seq[i+1], " Ringing)") {
				seq[i], seq[i+1] = seq[i+1], seq[i]
			}
		}
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

// outsideAction plays the part of the world outside the application for one traced event:
// a caller arrives, presses a digit or hangs up; a phone hangs up.
func (rp *replayer) outsideAction(i int, l traceLine, callers *int) {
	t := rp.t
	ev := l.ev
	id := str(ev, "channel", "id")
	switch str(ev, "type") {
	case "StasisStart":
		args, _ := ev["args"].([]any)
		if len(args) != 2 || args[0] != "inbound" {
			return
		}
		rp.await(i)
		eid, err := rp.e.srv.PlaceCaller(Caller{Number: str(ev, "channel", "caller", "number"), DID: fmt.Sprint(args[1]),
			Language: str(ev, "channel", "language")})
		if err != nil {
			t.Fatal(err)
		}
		rp.bind(id, eid, "caller")
	case "ChannelDtmfReceived":
		rp.await(i)
		if err := rp.e.srv.PressDigit(rp.emuOf[id], str(ev, "digit")); err != nil {
			t.Fatalf("press %s on %s: %v", str(ev, "digit"), id, err)
		}
	case "ChannelHangupRequest":
		if ev["soft"] != nil {
			return
		}
		rp.await(i)
		if err := rp.e.srv.Hangup(rp.emuOf[id]); err != nil {
			t.Fatalf("hang up %s: %v", id, err)
		}
	}
}

// request sends a traced request with the emulator's ids and compares the answer.
func (rp *replayer) request(l traceLine) {
	t := rp.t
	path := rp.mapIDs(l.Path)
	var body []byte
	if len(l.RequestBody) > 0 && string(l.RequestBody) != "null" {
		body = []byte(rp.mapIDs(string(l.RequestBody)))
	}
	if l.Status == 0 {
		t.Fatalf("%s %s: the trace has no answer (%s); give the trace a case of its own", l.Method, l.Path, l.Body)
	}
	code, got := rp.do(l.Method, path, body)
	if code != l.Status {
		t.Errorf("%s %s %s = %d %s, trace %d %s", l.Method, path, body, code, got, l.Status, l.Body)
		return
	}
	rp.compareBody(l.Method+" "+path, l.Body, got)
}

// compareBody compares an answer with the trace's, and learns the ids it carries.
func (rp *replayer) compareBody(what string, trace, got []byte) {
	t := rp.t
	if err := sameShape(trace, got); err != nil {
		t.Errorf("%s: %v\n got %s\ntrace %s", what, err, got, trace)
		return
	}
	var tb, gb map[string]any
	if json.Unmarshal(trace, &tb) != nil || json.Unmarshal(got, &gb) != nil {
		return
	}
	kind := "id"
	switch {
	case tb["bridge_type"] != nil:
		kind = "bridge"
	case tb["media_uri"] != nil:
		kind = "playback"
	case tb["dialplan"] != nil:
		kind = "channel"
	}
	rp.bind(str(tb, "id"), str(gb, "id"), kind)
	if tc, ok := tb["channels"].([]any); ok {
		gc, _ := gb["channels"].([]any)
		var w, g []string
		for _, id := range tc {
			w = append(w, rp.traceRole(fmt.Sprint(id)))
		}
		for _, id := range gc {
			g = append(g, rp.emuRole(fmt.Sprint(id)))
		}
		if strings.Join(w, ",") != strings.Join(g, ",") {
			t.Errorf("%s: channels %v, trace %v", what, g, w)
		}
	}
}

func (rp *replayer) do(method, path string, body []byte) (int, []byte) {
	rp.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, rp.e.ts.URL+"/ari"+path, rd)
	if err != nil {
		rp.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(testUser, testPass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		rp.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// wsSend sends a traced websocket message with the emulator's ids.
func (rp *replayer) wsSend(l traceLine) {
	msg := []byte(rp.mapIDs(string(l.RequestBody)))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rp.ws.conn.Write(ctx, websocket.MessageText, msg); err != nil {
		rp.t.Fatalf("websocket send %s: %v", msg, err)
	}
}

// restResponse compares an answer that came over the websocket with the trace's answer to
// the same request id, and learns the ids it carries.
func (rp *replayer) restResponse(ev map[string]any) {
	for _, l := range rp.lines {
		if l.Kind != "event" || str(l.ev, "type") != "RESTResponse" || str(l.ev, "request_id") != str(ev, "request_id") {
			continue
		}
		what := "RESTResponse " + str(ev, "request_id")
		if a, b := str(l.ev, "uri"), str(ev, "uri"); rp.mapIDs(a) != b {
			rp.t.Errorf("%s: uri %q, trace %q", what, b, a)
		}
		if a, b := str(l.ev, "content_type"), str(ev, "content_type"); a != b {
			rp.t.Errorf("%s: content_type %q, trace %q", what, b, a)
		}
		rp.compareBody(what, []byte(str(l.ev, "message_body")), []byte(str(ev, "message_body")))
		return
	}
	rp.t.Errorf("RESTResponse %s is not in the trace", str(ev, "request_id"))
}

// hears checks whether the emulator's channel for a trace id hears music on hold.
func hears(id string, want bool) func(t *testing.T, rp *replayer) {
	return func(t *testing.T, rp *replayer) {
		t.Helper()
		eid := rp.emuOf[id]
		if eid == "" {
			eid = id
		}
		if got := rp.e.srv.HearsMusic(eid); got != want {
			t.Errorf("%s (%s) hears music: %v, want %v", rp.traceRole(id), eid, got, want)
		}
	}
}

// storedRecording leaves a recording from an earlier run in the emulator's folder.
func storedRecording(name string) func(t *testing.T, srv *Server) {
	return func(t *testing.T, srv *Server) {
		if err := writeWAV(srv.recordingPath(name), time.Second); err != nil {
			t.Fatal(err)
		}
	}
}

var recordedCases = map[string]recordedCase{
	// A comma list in a JSON string is one (missing) file; an array and the query string play
	// every part under one playback (the events and answers say it all).
	"play-media-list": {},
	// 120 kept-alive connections: 100 served, 20 closed with no answer; a fresh request fails
	// while the 100 are held and works once they are closed.
	"http-sessions": {run: replayHTTPSessions},
	// REST requests over the event websocket, answered there; bad ones too.
	"rest-over-websocket": {},
	// Snoops enter the application with no arguments and end with their target.
	"snoop-whisper": {},
	// No events of their own; DELETE mute needs a direction. The caller hears its own music
	// (and the default class for an unknown one); a held caller's peer hears music, as
	// Asterisk's PJSIP channel starts it on a hold indication (not in the trace's notes).
	"channel-hold-mute": {checks: []checkpoint{
		{1796650956.0, "the caller is on hold: the agent hears music", hears("hm-agent", true)},
		{1796650957.0, "the caller is off hold", hears("hm-agent", false)},
		{1796650962.0, "music on hold started on the caller", hears("1796650953.35", true)},
		{1796650963.0, "and stopped", hears("1796650953.35", false)},
		{1796650964.0, "an unknown class plays the default one", hears("1796650953.35", true)},
	}},
	// RecordingFinished comes with the last leg leaving; deleting the bridge under its legs
	// loses it (the alternative recording got it), the stored file is there either way.
	"recording-vs-bridge-delete": {setup: storedRecording("rec-x")},
	"recording-vs-bridge-delete.alt": {setup: storedRecording("rec-x"), opts: func(o *Options) { o.RecordingEndsWithBridge = true },
		loose: []string{"ChannelConnectedLine"}}, // run 2 hung both legs up at once
	// The notes' "bridge show" and "core show channels" tell who hears the announcer.
	"holding-bridge-moh": {checks: []checkpoint{
		{1796650998.62, "caller A in the bridge with the music's announcer", hears("1796650995.49", true)},
		{1796651007.76, "caller B added after A left, no second /moh: silence", hears("1796651004.50", false)},
		{1796651009.78, "after the second /moh, B hears music", hears("1796651004.50", true)},
		{1796651011.81, "after DELETE /moh, silence", hears("1796651004.50", false)},
		{1796651016.86, "/moh with an announcer channel in the bridge plays nothing", hears("1796651004.50", false)},
	}},
	// A new id that begins a live channel's id, in any case, is refused; lookups are exact.
	"originate-id-prefix": {},
}

// replayHTTPSessions replays http-sessions.jsonl with the experiment its notes describe: the
// trace's two requests are the fresh GET /asterisk/ping while 100 sessions are held (a
// transport error: EOF) and the same after they are closed (200).
func replayHTTPSessions(t *testing.T, lines []traceLine) {
	if len(lines) != 2 || lines[0].Status != 0 || lines[1].Status != 200 {
		t.Fatalf("http-sessions.jsonl: want a transport error then a 200, got %+v", lines)
	}
	srv, err := New(Options{Username: testUser, Password: testPass, RecordingsDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const dialed = 120
	conns := make([]net.Conn, dialed)
	for i := range conns {
		if conns[i], err = net.Dial("tcp", addr); err != nil {
			t.Fatal(err)
		}
		defer conns[i].Close()
	}
	get := func(c net.Conn, path string) (int, error) {
		req, _ := http.NewRequest("GET", "http://"+addr+"/ari"+path, nil)
		req.SetBasicAuth(testUser, testPass)
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if err := req.Write(c); err != nil {
			return 0, err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	type result struct {
		i    int
		code int
		err  error
	}
	results := make(chan result, dialed)
	for i, c := range conns {
		go func() {
			code, err := get(c, "/asterisk/info")
			results <- result{i, code, err}
		}()
	}
	var served []net.Conn
	refused := 0
	for range conns {
		r := <-results
		switch {
		case r.err == nil && r.code == 200:
			served = append(served, conns[r.i])
		case r.err != nil && (errors.Is(r.err, io.EOF) || errors.Is(r.err, io.ErrUnexpectedEOF)): // no HTTP status
			refused++
		default:
			t.Errorf("connection %d: %d %v", r.i, r.code, r.err)
		}
	}
	if len(served) != 100 || refused != dialed-100 {
		t.Fatalf("%d connections served, %d refused; Asterisk serves 100 and refuses 20", len(served), refused)
	}
	for _, c := range served {
		if code, err := get(c, "/asterisk/info"); err != nil || code != 200 {
			t.Fatalf("second request on a kept-alive session: %d %v", code, err)
		}
	}
	_, _, refusedCount, _ := srv.Sessions()
	if refusedCount != dialed-100 {
		t.Errorf("Sessions() says %d refused, want %d", refusedCount, dialed-100)
	}

	client := &http.Client{Transport: &http.Transport{}}
	fresh := func() (int, []byte, error) {
		req, _ := http.NewRequest("GET", "http://"+addr+"/ari/asterisk/ping", nil)
		req.SetBasicAuth(testUser, testPass)
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b, nil
	}
	// The trace's first request: a fresh connection while 100 sessions are held.
	if code, _, err := fresh(); err == nil || !strings.Contains(err.Error(), "EOF") {
		t.Errorf("fresh request with 100 sessions held: %d %v; trace: %s", code, err, lines[0].Body)
	}
	for _, c := range conns {
		c.Close()
	}
	// The trace's second: once they are closed (the server notices at once on loopback).
	var code int
	var body []byte
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if open, _, _, _ := srv.Sessions(); open == 0 {
			code, body, err = fresh()
			break
		}
	}
	if err != nil || code != lines[1].Status {
		t.Fatalf("after closing the sessions: %d %v, trace %d", code, err, lines[1].Status)
	}
	if err := sameShape(lines[1].Body, body); err != nil {
		t.Errorf("GET /asterisk/ping: %v", err)
	}
}
