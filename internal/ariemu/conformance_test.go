package ariemu

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/coder/websocket"
)

// swagger is the part of Asterisk's Swagger 1.1 resource descriptions the checks use.
type swagger struct {
	APIs []struct {
		Path       string `json:"path"`
		Operations []struct {
			HTTPMethod string `json:"httpMethod"`
			Parameters []struct {
				Name      string `json:"name"`
				ParamType string `json:"paramType"`
			} `json:"parameters"`
			ErrorResponses []struct {
				Code any `json:"code"` // a number, or a string in a few operations
			} `json:"errorResponses"`
		} `json:"operations"`
	} `json:"apis"`
	Models map[string]swaggerModel `json:"models"`
}

type swaggerModel struct {
	Extends    string   `json:"extends"`
	SubTypes   []string `json:"subTypes"`
	Properties map[string]struct {
		Type     string `json:"type"`
		Required bool   `json:"required"`
	} `json:"properties"`
}

func specDir(t *testing.T) string {
	t.Helper()
	return envDir(t, "ARI_SPEC_DIR", "../shared/ari/api-docs")
}

// envDir reads a folder from the environment and skips the test when the
// variable is unset. A relative path is taken from the module root (where
// CI and make run), not from this package's folder.
func envDir(t *testing.T, name, example string) string {
	t.Helper()
	dir := os.Getenv(name)
	if dir == "" {
		t.Skipf("%s not set (CI sets %s)", name, example)
	}
	if filepath.IsAbs(dir) {
		return dir
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for root := wd; ; root = filepath.Dir(root) {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			return filepath.Join(root, dir)
		}
		if filepath.Dir(root) == root {
			t.Fatalf("%s=%s is relative and no go.mod above %s", name, dir, wd)
		}
	}
}

func loadSpec(t *testing.T, dir string) map[string]swagger {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no resource descriptions in %s: %v", dir, err)
	}
	out := map[string]swagger{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var s swagger
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = s
	}
	return out
}

var placeholder = regexp.MustCompile(`\{[^}]*\}`)

func normPath(p string) string { return placeholder.ReplaceAllString(p, "{}") }

// TestConformanceRoutes: every ARI route the emulator serves is an operation
// of Asterisk 22 with that method and path, and every error status the
// emulator answers for it is one the operation documents (or 400/404 for
// bad input).
func TestConformanceRoutes(t *testing.T) {
	spec := loadSpec(t, specDir(t))
	ops := map[string]bool{}
	errCodes := map[string]map[int]bool{}
	for _, s := range spec {
		for _, api := range s.APIs {
			for _, op := range api.Operations {
				key := op.HTTPMethod + " " + normPath(api.Path)
				ops[key] = true
				errCodes[key] = map[int]bool{}
				for _, er := range op.ErrorResponses {
					var code int
					switch c := er.Code.(type) {
					case float64:
						code = int(c)
					case string:
						code, _ = strconv.Atoi(c)
					}
					errCodes[key][code] = true
				}
			}
		}
	}
	srv, err := New(Options{RecordingsDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	routes := srv.ariRoutes()
	if len(routes) < 40 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, rt := range routes {
		key := rt.method + " " + normPath(rt.path)
		if !ops[key] {
			t.Errorf("%s %s is not an ARI operation", rt.method, rt.path)
			continue
		}
		// With ids that do not exist and no parameters, the answer is a
		// success or an error the operation documents (400 for missing
		// parameters is generic in Asterisk).
		path := "/ari" + placeholder.ReplaceAllString(rt.path, "nonexistent")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(rt.method, path, nil))
		code := rec.Code
		if code >= 300 && code != 400 && !errCodes[key][code] {
			t.Errorf("%s %s = %d %s: not documented", rt.method, path, code, rec.Body.String())
		}
		if code >= 300 && !json.Valid(rec.Body.Bytes()) {
			t.Errorf("%s %s error body is not json: %q", rt.method, path, rec.Body.String())
		}
	}
	// The events websocket is described by events.json.
	found := false
	for _, api := range spec["events.json"].APIs {
		if api.Path == "/events" {
			found = true
		}
	}
	if !found {
		t.Error("/events is not in events.json")
	}
}

// TestConformanceEvents runs a broad scenario, then checks every event any
// test client received: its type is an ARI event, it carries every field the
// model marks required and no field the model does not know (recursively
// for Channel, Bridge, Playback, LiveRecording...), and ari.DecodeEvent
// accepts it.
func TestConformanceEvents(t *testing.T) {
	spec := loadSpec(t, specDir(t))
	models := map[string]swaggerModel{}
	for _, s := range spec {
		for name, m := range s.Models {
			models[name] = m
		}
	}
	// Swagger 1.1 gives inheritance as the parent's subTypes.
	for name, m := range models {
		for _, sub := range m.SubTypes {
			if sm, ok := models[sub]; ok && sm.Extends == "" {
				sm.Extends = name
				models[sub] = sm
			}
		}
	}
	// The checker itself: an unknown field and a missing one are caught.
	bad := map[string]any{"type": "StasisEnd", "timestamp": "x", "application": "a", "bogus": 1,
		"channel": map[string]any{"id": "1"}}
	if p := checkModel(models, "self-test", "StasisEnd", bad); len(p) < 2 {
		t.Fatalf("checker misses problems: %v", p)
	}
	runBroadScenario(t)

	seen.Lock()
	msgs := append([][]byte(nil), seen.msgs...)
	seen.Unlock()
	types := map[string]int{}
	for _, raw := range msgs {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("not json: %s", raw)
		}
		typ, _ := m["type"].(string)
		types[typ]++
		model, ok := models[typ]
		if !ok || model.Extends != "Event" {
			t.Errorf("%s is not an ARI event", typ)
			continue
		}
		if ts, _ := m["timestamp"].(string); !validStamp(ts) {
			t.Errorf("%s timestamp %q", typ, ts)
		}
		for _, problem := range checkModel(models, typ, typ, m) {
			t.Error(problem)
		}
		if typ == "RESTResponse" {
			continue // an answer over the websocket: ari/v5.3.1 predates them and does not decode them
		}
		if ev, err := ari.DecodeEvent(raw); err != nil || ev == nil {
			t.Errorf("DecodeEvent(%s): %v", raw, err)
		}
	}
	names := make([]string, 0, len(types))
	for n, c := range types {
		names = append(names, n+"="+itoa(c))
	}
	sort.Strings(names)
	t.Logf("checked %d events: %s", len(msgs), strings.Join(names, " "))
	for _, want := range []string{"StasisStart", "StasisEnd", "ChannelStateChange", "ChannelDtmfReceived",
		"ChannelHangupRequest", "ChannelDestroyed", "ChannelVarset", "ChannelEnteredBridge", "ChannelLeftBridge",
		"BridgeDestroyed", "PlaybackStarted", "PlaybackContinuing", "PlaybackFinished", "RecordingStarted",
		"RecordingFinished", "Dial", "ChannelConnectedLine", "RESTResponse"} {
		if types[want] == 0 {
			t.Errorf("scenario emitted no %s", want)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func validStamp(s string) bool {
	_, err := time.Parse("2006-01-02T15:04:05.000-0700", s)
	return err == nil && len(s) == len("2026-11-23T03:42:16.387+0000")
}

// checkModel checks object v against model name, including inherited
// properties, and returns what is wrong.
func checkModel(models map[string]swaggerModel, where, name string, v map[string]any) []string {
	var problems []string
	props := map[string]struct {
		typ      string
		required bool
	}{}
	for n := name; n != ""; {
		m, ok := models[n]
		if !ok {
			return append(problems, fmt.Sprintf("%s: unknown model %s", where, n))
		}
		for p, d := range m.Properties {
			props[p] = struct {
				typ      string
				required bool
			}{d.Type, d.Required}
		}
		n = m.Extends
	}
	for p, d := range props {
		if _, ok := v[p]; d.required && !ok {
			problems = append(problems, fmt.Sprintf("%s: missing required %s (%s)", where, p, name))
		}
	}
	for k, val := range v {
		d, ok := props[k]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: field %s unknown to model %s", where, k, name))
			continue
		}
		if sub, ok := val.(map[string]any); ok {
			if _, isModel := models[d.typ]; isModel {
				problems = append(problems, checkModel(models, where+"."+k, d.typ, sub)...)
			}
		}
	}
	return problems
}

// runBroadScenario makes the emulator send every event type it knows.
func runBroadScenario(t *testing.T) {
	e := newEnv(t, Options{Speed: 50})
	ws := e.connect("switchboard")
	e.srv.SetPhone("PJSIP/a1", Phone{AnswerAfter: 100 * time.Millisecond})
	e.srv.SetPhone("PJSIP/busy", Phone{Behaviour: PhoneBusy})
	e.srv.SetPhone("PJSIP/ring", Phone{Behaviour: PhoneRingOut})
	id, _ := e.srv.PlaceCaller(Caller{Number: "100", Name: "Ann", DID: "5551000",
		Digits: []DigitPress{{Digit: "1", After: 100 * time.Millisecond}}})
	ws.next("StasisStart")
	e.must(204, "POST", "/channels/"+id+"/answer", nil)
	e.must(201, "POST", "/channels/"+id+"/play/p1?media=digits:12,sound:nope", nil)
	ws.next("ChannelDtmfReceived")
	ws.next("PlaybackContinuing")
	e.must(204, "POST", "/channels/"+id+"/variable?variable=X&value=1", nil)
	ag := e.must(200, "POST", "/channels?endpoint=PJSIP/a1&app=switchboard&appArgs=agent", nil)
	ws.next("StasisStart")
	b := e.must(200, "POST", "/bridges?type=mixing", nil)
	bid := b["id"].(string)
	e.must(204, "POST", "/bridges/"+bid+"/addChannel?channel="+id+","+ag["id"].(string), nil)
	e.must(201, "POST", "/bridges/"+bid+"/record?name=broad&format=wav", nil)
	ws.next("RecordingStarted")
	e.must(201, "POST", "/channels/"+id+"/record?name=broad-ch&format=wav&maxDurationSeconds=1", nil)
	ws.next("RecordingFinished")
	e.must(204, "DELETE", "/channels/"+ag["id"].(string), nil)
	ws.next("ChannelDestroyed")
	e.must(200, "POST", "/channels?endpoint=PJSIP/busy&app=switchboard", nil)
	ws.next("ChannelDestroyed")
	e.must(200, "POST", "/channels?endpoint=PJSIP/ring&app=switchboard&timeout=1", nil)
	ws.next("ChannelDestroyed")
	if err := e.srv.Hangup(id); err != nil {
		t.Fatal(err)
	}
	ws.next("RecordingFinished")
	e.must(204, "DELETE", "/bridges/"+bid, nil)
	ws.next("BridgeDestroyed")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ws.conn.Write(ctx, websocket.MessageText, []byte(`{"type":"RESTRequest","request_id":"r1","transaction_id":"t1","method":"GET","uri":"asterisk/ping"}`)); err != nil {
		t.Fatal(err)
	}
	ws.next("RESTResponse")
}
