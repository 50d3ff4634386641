package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/acd/report"
	"switchboard/crm"
)

func TestParseView(t *testing.T) {
	for _, c := range []struct {
		query string
		want  ViewOptions
		err   string // the English text, "" for none
	}{
		{"", ViewOptions{Per: 4, Rotate: 10}, ""},
		{"queues=billing,+support,billing&per=3&rotate=30", ViewOptions{Queues: []string{"billing", "support"}, Per: 3, Rotate: 30}, ""},
		{"wait_warn=30&wait_alert=60&waiting_warn=3&waiting_alert=5&sl_warn=90&sl_alert=75.5&lang=ru&view=tv",
			ViewOptions{Per: 4, Rotate: 10, Thresholds: Thresholds{WaitWarn: 30, WaitAlert: 60, WaitingWarn: 3, WaitingAlert: 5, SLWarn: 90, SLAlert: 75.5}}, ""},
		{"wait_warn=30", ViewOptions{Per: 4, Rotate: 10, Thresholds: Thresholds{WaitWarn: 30}}, ""},
		{"queues=billing,,support", ViewOptions{}, "queues: give a comma-separated list of queue names"},
		{"per=0", ViewOptions{}, "per must be a whole number from 1 to 4"},
		{"per=5", ViewOptions{}, "per must be a whole number from 1 to 4"},
		{"rotate=2", ViewOptions{}, "rotate must be a whole number from 3 to 3600"},
		{"rotate=ten", ViewOptions{}, "rotate must be a whole number from 3 to 3600"},
		{"wait_warn=-1", ViewOptions{}, "wait_warn must be a number from 0 to 86400"},
		{"wait_warn=NaN", ViewOptions{}, "wait_warn must be a number from 0 to 86400"},
		{"sl_warn=101", ViewOptions{}, "sl_warn must be a number from 0 to 100"},
		{"wait_warn=60&wait_alert=30", ViewOptions{}, "wait_warn must not be above wait_alert"},
		{"waiting_warn=6&waiting_alert=5", ViewOptions{}, "waiting_warn must not be above waiting_alert"},
		{"sl_warn=70&sl_alert=80", ViewOptions{}, "sl_alert must not be above sl_warn"},
	} {
		q, _ := url.ParseQuery(c.query)
		got, err := parseView(q)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: error %v, want %q", c.query, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.query, err)
			continue
		}
		if b, w := mustJSON(got), mustJSON(c.want); b != w {
			t.Errorf("%q: %s, want %s", c.query, b, w)
		}
	}
	_, err := parseView(url.Values{"per": {"9"}})
	if ru := err.(*viewError).text("ru"); ru != "per должно быть целым числом от 1 до 4" {
		t.Errorf("the Russian text: %q", ru)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// FuzzParseView: any query parses or is refused with a text; what parses keeps to the limits.
func FuzzParseView(f *testing.F) {
	for _, s := range []string{"", "queues=a,b&per=3&rotate=5", "wait_warn=1e9", "sl_warn=50&sl_alert=60", "per=-0", "wait_alert=+Inf", "queues=%2C"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		v, err := parseView(q)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		th := v.Thresholds
		if v.Per < 1 || v.Per > tvPerMax || v.Rotate < tvRotateMin || v.Rotate > tvRotateMax || len(v.Queues) > maxViewQueues ||
			th.WaitWarn < 0 || th.WaitAlert > maxWaitSecs || th.SLWarn > 100 || th.SLAlert < 0 || th.check() != nil {
			t.Fatalf("%q parsed as %+v", s, v)
		}
		for _, name := range v.Queues {
			if name == "" || strings.Contains(name, ",") {
				t.Fatalf("%q: queue %q", s, name)
			}
		}
	})
}

func TestLevels(t *testing.T) {
	ewt := func(s float64) *float64 { return &s }
	q := QueueRow{SLThreshold: 20, SLGoal: 0.8}
	for _, c := range []struct {
		name string
		th   Thresholds
		row  func(QueueRow) QueueRow
		want Levels
	}{
		{"quiet queue", Thresholds{}, func(r QueueRow) QueueRow { return r },
			Levels{Tile: "ok", Waiting: "ok", Longest: "ok", EWT: "ok", SL: "ok", WindowS: "ok"}},
		{"wait past the queue's threshold", Thresholds{}, func(r QueueRow) QueueRow { r.Waiting, r.LongestWait, r.EWT = 1, 25, ewt(10); return r },
			Levels{Tile: "warn", Waiting: "ok", Longest: "warn", EWT: "ok", SL: "ok", WindowS: "ok"}},
		{"wait past twice the threshold", Thresholds{}, func(r QueueRow) QueueRow { r.Waiting, r.LongestWait, r.EWT = 1, 40, ewt(45); return r },
			Levels{Tile: "alert", Waiting: "ok", Longest: "alert", EWT: "alert", SL: "ok", WindowS: "ok"}},
		{"no one waits: the estimate does not colour", Thresholds{}, func(r QueueRow) QueueRow { r.EWT = ewt(100); return r },
			Levels{Tile: "ok", Waiting: "ok", Longest: "ok", EWT: "ok", SL: "ok", WindowS: "ok"}},
		{"service level below the goal, and ten points below", Thresholds{}, func(r QueueRow) QueueRow {
			r.Answered, r.ServiceLevel, r.WindowAnswered, r.WindowSL = 10, 0.75, 4, 0.5
			return r
		}, Levels{Tile: "alert", Waiting: "ok", Longest: "ok", EWT: "ok", SL: "warn", WindowS: "alert"}},
		{"nothing answered: no service level to judge", Thresholds{}, func(r QueueRow) QueueRow { r.ServiceLevel = 0; return r },
			Levels{Tile: "ok", Waiting: "ok", Longest: "ok", EWT: "ok", SL: "ok", WindowS: "ok"}},
		{"the screen's own thresholds", Thresholds{WaitWarn: 5, WaitAlert: 10, WaitingWarn: 2, WaitingAlert: 4, SLWarn: 95, SLAlert: 90},
			func(r QueueRow) QueueRow {
				r.Waiting, r.LongestWait, r.EWT, r.Answered, r.ServiceLevel = 3, 7, ewt(12), 10, 0.92
				return r
			}, Levels{Tile: "alert", Waiting: "warn", Longest: "warn", EWT: "alert", SL: "warn", WindowS: "ok"}},
		{"waiting calls at the alert", Thresholds{WaitingWarn: 2, WaitingAlert: 4}, func(r QueueRow) QueueRow { r.Waiting = 4; return r },
			Levels{Tile: "alert", Waiting: "alert", Longest: "ok", EWT: "ok", SL: "ok", WindowS: "ok"}},
	} {
		if got := c.th.levels(c.row(q)); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// The TV page and the queues API follow the view: the queues chosen (in scope only), the
// thresholds checked, a refusal in the person's language.
func TestWallboardTVView(t *testing.T) {
	s, _ := deskSite(t)
	c := s.client()
	s.login(c, "sue", "sue-pass")
	code, page := s.get(c, "/wallboard/tv?queues=billing&per=2&rotate=5&wait_warn=10")
	if code != http.StatusOK || !strings.Contains(page, `data-per="2"`) || !strings.Contains(page, `data-rotate="5"`) ||
		!strings.Contains(page, `data-stream="per=2&amp;queues=billing&amp;rotate=5&amp;view=tv&amp;wait_warn=10"`) ||
		!strings.Contains(page, `id="tile-template"`) || strings.Contains(page, "<button") || strings.Contains(page, "<form") {
		t.Fatalf("TV page %d:\n%s", code, page)
	}
	code, page = s.get(c, "/wallboard/tv?queues=support")
	if code != http.StatusBadRequest || !strings.Contains(page, "There is no queue support in your scope") {
		t.Fatalf("a queue out of scope: %d\n%s", code, page)
	}
	req, _ := http.NewRequest("GET", s.ts.URL+"/wallboard/tv?rotate=1", nil)
	req.Header.Set("Accept-Language", "ru")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "rotate должно быть целым числом от 3 до 3600") {
		t.Fatalf("a bad rotation in Russian: %d\n%s", resp.StatusCode, b)
	}
	code, body := s.get(c, "/api/queues?wait_warn=9&wait_alert=3")
	if code != http.StatusBadRequest || !strings.Contains(body, `"code":"invalid"`) || !strings.Contains(body, "wait_warn must not be above wait_alert") {
		t.Fatalf("bad thresholds: %d %s", code, body)
	}
	code, body = s.get(c, "/api/queues?sl_warn=40")
	var got struct{ Queues []QueueRow }
	if code != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil || len(got.Queues) != 1 ||
		got.Queues[0].Levels.SL != "ok" || got.Queues[0].Levels.Tile != "ok" {
		t.Fatalf("billing at 50%% against a warning at 40%%: %d %s", code, body)
	}
	code, body = s.get(c, "/api/queues")
	if json.Unmarshal([]byte(body), &got) != nil || got.Queues[0].Levels.SL != "alert" {
		t.Fatalf("billing at 50%% against its goal of 80%%: %d %s", code, body)
	}
	// The TV's stream carries the queues alone.
	resp = s.openStream(c, "/api/queues/stream?view=tv&queues=billing")
	sc := bufio.NewScanner(resp.Body)
	var events []string
	for sc.Scan() && len(events) < 2 {
		if e, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			events = append(events, e)
		}
	}
	if strings.Join(events, ",") != "queues,queues" {
		t.Fatalf("the TV stream sends %v", events)
	}
}

// The waiting calls show who is calling: the number and IVR path from the event stream, the
// segment and language the call was queued with, the customer's name from the records.
func TestWaitingCallsShowTheCaller(t *testing.T) {
	d := newMemDesktop()
	d.waiting[0].Data = map[string]string{"segment": "vip", "customer": "1"}
	m := newMemCRM()
	if _, err := m.CreateCustomer(t.Context(), crm.Customer{Name: "Olga Petrova", Segment: crm.VIP, Language: "ru", Phones: []string{"+74951234567"}}); err != nil {
		t.Fatal(err)
	}
	book := NewCallerBook()
	at := time.Now()
	book.Observe(acd.CallArrived{At: at, Call: "c-b", Number: "+74951234567", DID: "5552000"})
	book.Observe(acd.CallRouted{At: at, Call: "c-b", Path: []acd.IVRStep{{Node: "main", Input: "2"}, {Node: "billing", Input: "1"}},
		Data: map[string]string{"segment": "vip"}})
	book.Observe(acd.CallArrived{At: at, Call: "c-s", Number: "+15550001"})
	users := testUsers("sue", "root")
	ts := httptest.NewServer(Handler(Options{Users: users, Live: func() Live { return Live{} }, Desktop: d, AgentDay: memAgentDay,
		CRM: m, Callers: book, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(ts.Close)
	s := &site{t: t, ts: ts, logs: &bytes.Buffer{}}
	c := s.client()
	s.login(c, "sue", "sue-pass")
	code, body := s.get(c, "/api/calls/waiting")
	var got struct{ Calls []WaitingCall }
	if code != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil || len(got.Calls) != 1 {
		t.Fatalf("%d %s", code, body)
	}
	w := got.Calls[0]
	if w.ID != "c-b" || w.Caller != "+74951234567" || w.Customer != "Olga Petrova" || w.Segment != "vip" || w.Language != "ru" ||
		mustJSON(w.IVR) != `[{"node":"main","input":"2"},{"node":"billing","input":"1"}]` || w.Priority != 1 || w.Waited != 12 {
		t.Fatalf("waiting call %+v", w)
	}
	// The stream carries the same.
	resp := s.openStream(c, "/api/queues/stream")
	sc := bufio.NewScanner(resp.Body)
	event := ""
	for sc.Scan() {
		if e, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			event = e
		} else if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok && event == "waiting" {
			if !strings.Contains(data, `"caller":"+74951234567"`) || !strings.Contains(data, `"customer":"Olga Petrova"`) {
				t.Fatalf("waiting event %s", data)
			}
			break
		}
	}
	// A call that ended is forgotten a while after.
	book.Observe(acd.CallGone{At: at, Call: "c-s", Outcome: "abandoned"})
	book.Observe(acd.CallArrived{At: at.Add(callerKeepEnded + 2*time.Minute), Call: "c-x", Number: "1"})
	if _, ok := book.Caller("c-s"); ok {
		t.Fatal("an ended call is still in the book")
	}
	if _, ok := book.Caller("c-b"); !ok {
		t.Fatal("a waiting call left the book")
	}
}

// agentReports answers every report with one row for agent 1008.
type agentReports struct{}

func (agentReports) Report(_ context.Context, q report.Query) ([]report.Row, error) {
	return []report.Row{{Key: "1008", Start: q.From, Offered: 3, Answered: 3}}, nil
}

// The reports by agent name the agents.
func TestReportsNameAgents(t *testing.T) {
	users := testUsers("sue")
	ts := httptest.NewServer(Handler(Options{Users: users, Live: func() Live { return Live{} }, Desktop: newMemDesktop(), AgentDay: memAgentDay,
		Reports: agentReports{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(ts.Close)
	s := &site{t: t, ts: ts, logs: &bytes.Buffer{}}
	c := s.client()
	s.login(c, "sue", "sue-pass")
	code, page := s.get(c, "/reports?by=agent&interval=1d")
	if code != http.StatusOK || !strings.Contains(page, `<td>Heidi <span class="id">(1008)</span></td>`) {
		t.Fatalf("%d\n%s", code, page)
	}
	// The JSON and the CSV carry the name beside the id.
	code, body := s.get(c, "/api/reports?by=agent&interval=1d")
	if code != http.StatusOK || !strings.Contains(body, `"key":"1008","name":"Heidi"`) {
		t.Fatalf("json: %d %s", code, body)
	}
	code, body = s.get(c, "/api/reports?by=agent&interval=1d&format=csv")
	lines := strings.Split(body, "\n")
	if code != http.StatusOK || len(lines) < 2 || !strings.HasPrefix(lines[0], "start,agent,agent_name,offered,") ||
		!strings.Contains(lines[1], ",1008,Heidi,3,3,") {
		t.Fatalf("csv: %d %s", code, body)
	}
}

// With several Asterisk nodes the wallboard's stream names each node and whether the router
// sees it; an admin also sees its calls and agents, a supervisor (whose scope is some
// queues) not. One node: no such event.
func TestWallboardStreamNodes(t *testing.T) {
	calls, agents := 3, 2
	nodes := []NodeStatus{{Name: "pbx-a", Ready: true, Calls: &calls, Agents: &agents}, {Name: "pbx-b", Calls: &calls, Agents: &agents}}
	for _, tc := range []struct {
		user  string
		nodes []NodeStatus
		want  string
	}{
		{"root", nodes, `[{"name":"pbx-a","ready":true,"calls":3,"agents":2},{"name":"pbx-b","ready":false,"calls":3,"agents":2}]`},
		{"sue", nodes, `[{"name":"pbx-a","ready":true},{"name":"pbx-b","ready":false}]`},
		{"root", nil, ""},
	} {
		live := Live{At: time.Now(), Queues: []acd.QueueStats{{Queue: "billing"}}, Nodes: tc.nodes}
		s := newSite(t)
		s.ts.Close()
		s.ts = httptest.NewServer(Handler(Options{Users: testUsers("sue", "root"), Live: func() Live { return live },
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
		t.Cleanup(s.ts.Close)
		c := s.client()
		s.login(c, tc.user, tc.user+"-pass")
		resp := s.openStream(c, "/api/queues/stream")
		sc := bufio.NewScanner(resp.Body)
		got, event, queues := "", "", 0
		for queues < 2 && sc.Scan() {
			line := sc.Text()
			if e, ok := strings.CutPrefix(line, "event: "); ok {
				event = e
				if e == "queues" {
					queues++
				}
			}
			if d, ok := strings.CutPrefix(line, "data: "); ok && event == "nodes" {
				got = d
			}
		}
		resp.Body.Close()
		if got != tc.want {
			t.Errorf("%s with %d nodes: nodes event %q, want %q", tc.user, len(tc.nodes), got, tc.want)
		}
	}
}
