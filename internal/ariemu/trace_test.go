package ariemu

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// traceLine is one line of shared/ari/traces/*.jsonl.
type traceLine struct {
	T           traceTime       `json:"t"`
	Kind        string          `json:"kind"` // event, request, ws_send
	Method      string          `json:"method"`
	Path        string          `json:"path"`
	Status      int             `json:"status"`
	RequestBody json.RawMessage `json:"request_body"`
	Body        json.RawMessage `json:"body"`

	ev map[string]any // decoded body of an event
	ts time.Time      // the event's own timestamp
}

// traceTime is a line's t: RFC 3339 in the first recordings, unix seconds
// (a float) in those of 2026-12-07.
type traceTime struct {
	time.Time
	unix bool // given as unix seconds
}

func (tt *traceTime) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return tt.Time.UnmarshalJSON(b)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("trace time %s: %w", b, err)
	}
	sec, frac := math.Modf(f)
	tt.Time = time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3)
	tt.unix = true
	return nil
}

func loadTrace(t *testing.T, path string) []traceLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []traceLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var l traceLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if l.Kind == "event" {
			if err := json.Unmarshal(l.Body, &l.ev); err != nil {
				t.Fatal(err)
			}
			l.ts, err = time.Parse(ariTime, str(l.ev, "timestamp"))
			if err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, l)
	}
	return out
}

// noiseVars are the ChannelVarset events of Asterisk's internals the
// emulator does not send (bridge peers, RTP statistics, Stasis status).
func noiseVar(name string) bool {
	return name == "STASISSTATUS" || strings.HasPrefix(name, "BRIDGEPEER") ||
		strings.HasPrefix(name, "BRIDGEPVTCALLID") || strings.HasPrefix(name, "RTPAUDIOQOS")
}

// scenarioIDs are the channel and bridge ids of one scenario, with a role
// name each, so that trace and emulator events can be compared.
type scenarioIDs map[string]string

func (ids scenarioIDs) role(id string) string { return ids[id] }

// eventLabel returns the comparable label of an event of the scenario, or
// "" when the event does not belong to it or is noise.
func eventLabel(ev map[string]any, ids scenarioIDs) string {
	typ := str(ev, "type")
	if typ == "ApplicationReplaced" || (typ == "ChannelVarset" && noiseVar(str(ev, "variable"))) {
		return ""
	}
	var parts []string
	if r := ids.role(str(ev, "channel", "id")); r != "" {
		parts = append(parts, r)
	}
	if r := ids.role(str(ev, "peer", "id")); r != "" {
		parts = append(parts, r, str(ev, "dialstatus"))
	}
	if r := ids.role(str(ev, "bridge", "id")); r != "" {
		parts = append(parts, r)
	}
	for _, k := range []string{"playback", "recording"} {
		if target := str(ev, k, "target_uri"); target != "" {
			_, id, _ := strings.Cut(target, ":")
			if r := ids.role(id); r != "" {
				parts = append(parts, r, str(ev, k, "state"))
			}
		}
	}
	if typ == "ChannelVarset" {
		parts = append(parts, str(ev, "variable"))
	}
	if len(parts) == 0 {
		return ""
	}
	return typ + "(" + strings.Join(parts, " ") + ")"
}

// stimulus reports whether an event comes from outside the application
// (caller, phone, timers) rather than from one of its requests: the replay
// waits for these before sending the requests that followed them.
func stimulus(ev map[string]any, ids scenarioIDs) bool {
	switch str(ev, "type") {
	case "StasisStart", "ChannelDtmfReceived", "Dial":
		return true
	case "ChannelStateChange":
		return strings.HasPrefix(ids.role(str(ev, "channel", "id")), "agent")
	case "ChannelHangupRequest":
		_, soft := ev["soft"]
		return !soft
	case "ChannelDestroyed":
		c, _ := ev["cause"].(float64)
		return c == 17 || c == 19 || c == 20
	}
	return false
}

var (
	uuidRe = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
)

// TestTraceReplay replays each exchange of the first recordings (one inbound
// caller each, times in RFC 3339) against the emulator: the same caller and
// phone behaviour, the same requests (ids mapped), and compares the events the
// application sees and each answer's status and shape. The emulator runs on a
// manual clock that the replay moves to each line's time, so a slow machine
// changes nothing but how long the test takes. The recordings of 2026-12-07
// have their own replay (recorded_test.go).
func TestTraceReplay(t *testing.T) {
	dir := envDir(t, "ARI_TRACES_DIR", "../shared/ari/traces")
	all := map[string][]traceLine{}
	var files []string
	globbed, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	for _, f := range globbed {
		lines := loadTrace(t, f)
		if len(lines) == 0 || lines[0].T.unix {
			continue
		}
		files = append(files, f)
		all[f] = lines
	}
	if len(files) == 0 {
		t.Fatalf("no traces in %s", dir)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".jsonl")
		t.Run(name, func(t *testing.T) {
			if name == "sounds" {
				if _, err := os.Stat("/usr/share/asterisk/sounds/en/queue-thereare.wav"); err != nil {
					t.Fatal("the sounds trace needs asterisk-core-sounds-en-wav and -ru-wav (internal/tools/deps.sh installs them)")
				}
			}
			t.Parallel()
			replay(t, f, all)
		})
	}
}

func replay(t *testing.T, file string, all map[string][]traceLine) {
	lines := all[file]

	// The caller: first inbound StasisStart; digits and hangup from its events.
	var caller Caller
	var callerID string
	var start, answered, prev time.Time
	for _, l := range lines {
		if l.Kind != "event" {
			continue
		}
		ev := l.ev
		id := str(ev, "channel", "id")
		switch {
		case callerID == "" && str(ev, "type") == "StasisStart":
			args, _ := ev["args"].([]any)
			if len(args) == 2 && args[0] == "inbound" {
				callerID, start = id, l.ts
				caller = Caller{Number: str(ev, "channel", "caller", "number"), DID: args[1].(string),
					Language: str(ev, "channel", "language")}
			}
		case id != callerID || callerID == "":
		case str(ev, "type") == "ChannelStateChange" && str(ev, "channel", "state") == "Up":
			answered, prev = l.ts, l.ts
		case str(ev, "type") == "ChannelDtmfReceived":
			dur, _ := ev["duration_ms"].(float64)
			caller.Digits = append(caller.Digits, DigitPress{Digit: str(ev, "digit"), After: l.ts.Sub(prev),
				Duration: time.Duration(dur) * time.Millisecond})
			prev = l.ts
		case str(ev, "type") == "ChannelHangupRequest" && ev["soft"] == nil:
			caller.Patience = l.ts.Sub(start)
		}
	}
	if callerID == "" || answered.IsZero() {
		t.Fatal("trace has no answered inbound caller")
	}

	// Agent phones: per originated endpoint, answer delay or ring out.
	phones := map[string]Phone{}
	agentEndpoint := map[string]string{} // trace agent id -> endpoint
	dialAt := map[string]time.Time{}
	for _, l := range lines {
		if l.Kind == "request" && l.Method == "POST" && strings.HasPrefix(l.Path, "/channels?") {
			q, _ := url.ParseQuery(strings.SplitN(l.Path, "?", 2)[1])
			var body map[string]any
			_ = json.Unmarshal(l.Body, &body)
			agentEndpoint[str(body, "id")] = q.Get("endpoint")
			phones[q.Get("endpoint")] = Phone{Behaviour: PhoneRingOut}
		}
		if l.Kind == "event" && str(l.ev, "type") == "Dial" {
			peer := str(l.ev, "peer", "id")
			switch str(l.ev, "dialstatus") {
			case "":
				dialAt[peer] = l.ts
			case "ANSWER":
				phones[agentEndpoint[peer]] = Phone{Behaviour: PhoneAnswer, AnswerAfter: l.ts.Sub(dialAt[peer])}
			}
		}
	}

	e := newEnv(t, Options{Speed: 1})
	clk := useManualClock(e.srv, start)
	ws := e.connect("switchboard")
	for ep, p := range phones {
		e.srv.SetPhone(ep, p)
	}
	emuCaller, err := e.srv.PlaceCaller(caller)
	if err != nil {
		t.Fatal(err)
	}
	traceIDs := scenarioIDs{callerID: "caller"}
	emuIDs := scenarioIDs{emuCaller: "caller"}
	idMap := map[string]string{callerID: emuCaller}
	nAgents, nBridges := 0, 0

	var emuEvents []map[string]any
	pull := func(d time.Duration) {
		deadline := time.After(d)
		for {
			select {
			case ev, ok := <-ws.events:
				if !ok {
					return
				}
				emuEvents = append(emuEvents, ev)
			case <-deadline:
				return
			}
		}
	}
	// settle waits until every event the emulator has sent so far is in emuEvents: a mark
	// sent now arrives after them.
	settle := func() {
		e.srv.mu.Lock()
		e.srv.emit("ChannelVarset", event{"variable": replayMark, "value": ""}, map[string]bool{"switchboard": true})
		e.srv.mu.Unlock()
		for deadline := time.Now().Add(5 * time.Second); !slices.ContainsFunc(emuEvents, isMark); {
			if time.Now().After(deadline) {
				t.Fatalf("the mark did not arrive; emulator: %v", labels(emuEvents, emuIDs))
			}
			pull(5 * time.Millisecond)
		}
		emuEvents = slices.DeleteFunc(emuEvents, isMark)
	}
	count := func(evs []map[string]any, ids scenarioIDs) int {
		n := 0
		for _, ev := range evs {
			if eventLabel(ev, ids) != "" && stimulus(ev, ids) {
				n++
			}
		}
		return n
	}

	var traceEvents []map[string]any
	for _, l := range lines {
		if l.Kind == "event" {
			traceEvents = append(traceEvents, l.ev)
			continue
		}
		clk.advance(l.T.Time)
		// Wait for the outside events the application had seen.
		var before []map[string]any
		for _, x := range lines {
			if x.Kind == "event" && !x.ts.After(l.T.Time) {
				before = append(before, x.ev)
			}
		}
		// The emulator's timers, set off its own requests, may fall due a little later than
		// the trace's: move on to them until it has.
		want := count(before, traceIDs)
		for settle(); count(emuEvents, emuIDs) < want; settle() {
			if !clk.next() {
				t.Fatalf("before %s %s: %d outside events, want %d\nemulator: %v", l.Method, l.Path,
					count(emuEvents, emuIDs), want, labels(emuEvents, emuIDs))
			}
		}
		path := l.Path
		keys := make([]string, 0, len(idMap))
		for k := range idMap {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
		for _, k := range keys {
			path = strings.ReplaceAll(path, k, idMap[k])
		}
		if u := uuidRe.FindString(path); u != "" && !isMapped(idMap, u) {
			continue // an id of another trace's scenario
		}
		code, body := doAdvancing(e, clk, l.Method, path)
		if code != l.Status {
			t.Errorf("%s %s = %d %s, trace %d %s", l.Method, path, code, body, l.Status, l.Body)
			continue
		}
		if err := sameShape(l.Body, body); err != nil {
			t.Errorf("%s %s: %v\n got %s\ntrace %s", l.Method, path, err, body, l.Body)
		}
		var tb, eb map[string]any
		_ = json.Unmarshal(l.Body, &tb)
		_ = json.Unmarshal(body, &eb)
		switch {
		case l.Method == "POST" && strings.HasPrefix(l.Path, "/bridges?"):
			nBridges++
			role := fmt.Sprintf("bridge%d", nBridges)
			traceIDs[str(tb, "id")], emuIDs[str(eb, "id")] = role, role
			idMap[str(tb, "id")] = str(eb, "id")
		case l.Method == "POST" && strings.HasPrefix(l.Path, "/channels?"):
			nAgents++
			role := fmt.Sprintf("agent%d", nAgents)
			traceIDs[str(tb, "id")], emuIDs[str(eb, "id")] = role, role
			idMap[str(tb, "id")] = str(eb, "id")
		}
	}

	// Expected: this trace's events of the scenario, then the BridgeDestroyed
	// of its bridges that the recorder wrote into another trace file.
	var want []string
	for _, ev := range traceEvents {
		if lb := eventLabel(ev, traceIDs); lb != "" {
			want = append(want, lb)
		}
	}
	for f, ls := range all {
		if f == file {
			continue
		}
		for _, l := range ls {
			if l.Kind == "event" && str(l.ev, "type") == "BridgeDestroyed" {
				if lb := eventLabel(l.ev, traceIDs); lb != "" {
					want = append(want, lb)
				}
			}
		}
	}
	// What the emulator does until the trace's end.
	clk.advance(lines[len(lines)-1].T.Time)
	settle()
	got := labels(emuEvents, emuIDs)
	// The recorder stopped before some cleanups: a BridgeDestroyed after the
	// trace's last event is not in any file.
	for len(got) > len(want) && strings.HasPrefix(got[len(got)-1], "BridgeDestroyed") {
		t.Logf("emulator sent %s after the end of the trace", got[len(got)-1])
		got = got[:len(got)-1]
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events differ\n%s", diffLines(want, got))
	}
	t.Logf("%d events, %d requests compared", len(want), countRequests(lines))
}

// replayMark names the global variable of the ChannelVarset the replay sends itself as a mark.
const replayMark = "REPLAY_MARK"

func isMark(ev map[string]any) bool {
	return str(ev, "type") == "ChannelVarset" && str(ev, "variable") == replayMark
}

// doAdvancing sends a request; while it waits for a channel's playbacks, the clock moves on
// to the next thing the emulator has to do.
func doAdvancing(e *testEnv, clk *manualClock, method, path string) (int, []byte) {
	type answer struct {
		code int
		body []byte
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		req, err := http.NewRequest(method, e.ts.URL+"/ari"+path, nil)
		if err != nil {
			done <- answer{err: err}
			return
		}
		req.SetBasicAuth(testUser, testPass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- answer{resp.StatusCode, b, err}
	}()
	for deadline := time.Now().Add(10 * time.Second); ; {
		select {
		case a := <-done:
			if a.err != nil {
				e.t.Fatalf("%s %s: %v", method, path, a.err)
			}
			return a.code, a.body
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s %s: no answer", method, path)
		}
		if e.srv.waitingForPlaybacks() && !clk.next() {
			e.t.Fatalf("%s %s waits for playbacks that never end", method, path)
		}
	}
}

// waitingForPlaybacks reports whether a request waits for a channel's playbacks to end.
func (s *Server) waitingForPlaybacks() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.channels {
		if len(ch.idleChans) > 0 {
			return true
		}
	}
	return false
}

func isMapped(m map[string]string, id string) bool {
	for _, v := range m {
		if v == id {
			return true
		}
	}
	return false
}

func countRequests(lines []traceLine) int {
	n := 0
	for _, l := range lines {
		if l.Kind == "request" {
			n++
		}
	}
	return n
}

func labels(evs []map[string]any, ids scenarioIDs) []string {
	var out []string
	for _, ev := range evs {
		if lb := eventLabel(ev, ids); lb != "" {
			out = append(out, lb)
		}
	}
	return out
}

func diffLines(want, got []string) string {
	var b strings.Builder
	n := max(len(want), len(got))
	for i := 0; i < n; i++ {
		w, g := "", ""
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		mark := "  "
		if w != g {
			mark = "!="
		}
		fmt.Fprintf(&b, "%s %-60s %s\n", mark, w, g)
	}
	return b.String()
}

// sameShape compares two JSON answers: error bodies exactly, objects by
// their keys, arrays by the keys of their first elements.
func sameShape(trace, got []byte) error {
	if len(trace) == 0 {
		if len(got) != 0 {
			return fmt.Errorf("body %s, trace has none", got)
		}
		return nil
	}
	var tv, gv any
	if err := json.Unmarshal(trace, &tv); err != nil {
		return err
	}
	if err := json.Unmarshal(got, &gv); err != nil {
		return fmt.Errorf("answer is not json: %w", err)
	}
	if tm, ok := tv.(map[string]any); ok {
		if _, isErr := tm["message"]; isErr && len(tm) == 1 {
			if !equalJSON(tv, gv) {
				return fmt.Errorf("error body differs")
			}
			return nil
		}
	}
	return shapeOf(tv, gv)
}

func shapeOf(tv, gv any) error {
	switch t := tv.(type) {
	case map[string]any:
		g, ok := gv.(map[string]any)
		if !ok {
			return fmt.Errorf("want an object")
		}
		if a, b := sortedKeys(t), sortedKeys(g); a != b {
			return fmt.Errorf("keys %s, trace %s", b, a)
		}
		for k, v := range t {
			if _, isObj := v.(map[string]any); isObj {
				if err := shapeOf(v, g[k]); err != nil {
					return fmt.Errorf("%s: %w", k, err)
				}
			}
		}
	case []any:
		g, ok := gv.([]any)
		if !ok {
			return fmt.Errorf("want an array")
		}
		if len(t) > 0 && len(g) > 0 {
			return shapeOf(t[0], g[0])
		}
	}
	return nil
}

func sortedKeys(m map[string]any) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}
