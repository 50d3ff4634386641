package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestReports(t *testing.T) {
	var (
		mu        sync.Mutex
		kpiScopes [][]string
	)
	s := newStoreSite(t, func(_ context.Context, from, to time.Time, queues []string) (float64, float64, bool, error) {
		mu.Lock()
		defer mu.Unlock()
		kpiScopes = append(kpiScopes, queues)
		return 0.75, 0.1, true, nil
	})
	ctx := context.Background()
	for _, sql := range []string{
		`INSERT INTO calls (id, node) VALUES ('c1', 'ast1'), ('c2', 'ast1'), ('c3', 'ast1')`,
		`INSERT INTO call_legs (call_id, seq, queue, entered_at, agent, answered_at, left_at, outcome, talk_seconds) VALUES
		 ('c1', 1, 'billing', '2026-11-23T09:00:00Z', '1001', '2026-11-23T09:00:10Z', '2026-11-23T09:01:10Z', 'answered', 60),
		 ('c2', 1, 'billing', '2026-11-23T09:30:00Z', NULL, NULL, '2026-11-23T09:30:40Z', 'abandoned', 0),
		 ('c3', 1, 'support', '2026-11-23T10:00:00Z', '1002', '2026-11-23T10:00:25Z', '2026-11-23T10:00:55Z', 'answered', 30)`,
	} {
		if _, err := s.st.Pool().Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	const q = "/api/reports?by=queue&interval=1h&from=2026-11-23T09:00:00Z&to=2026-11-23T11:00:00Z"
	sue, root := s.signIn("sue"), s.signIn("root")

	var rep Report
	code, body := s.do(sue.c, "GET", q, "", nil)
	if err := json.Unmarshal([]byte(body), &rep); code != 200 || err != nil {
		t.Fatalf("sue's report: %d %s", code, body)
	}
	if len(rep.Rows) != 1 || rep.Rows[0].Key != "billing" || rep.Rows[0].Offered != 2 || rep.Rows[0].Answered != 1 ||
		rep.Rows[0].Abandoned != 1 || *rep.Rows[0].ServiceLevel != 1 || *rep.Rows[0].ASA != 10 || rep.Rows[0].LongestWait != 40 {
		t.Fatalf("sue's rows: %s", body)
	}
	if rep.KPIs == nil || rep.KPIs.FirstContactResolution != 0.75 || rep.Total.Offered != 2 {
		t.Fatalf("sue's totals and kpis: %s", body)
	}

	code, body = s.do(root.c, "GET", q, "", nil)
	if err := json.Unmarshal([]byte(body), &rep); code != 200 || err != nil || len(rep.Rows) != 2 || len(rep.Totals) != 2 {
		t.Fatalf("root's report: %d %s", code, body)
	}
	// support's call waited 25s: within its own 30s threshold, not within the default 20s.
	if sup := rep.Totals[1]; sup.Key != "support" || sup.AnsweredWithin != 1 || *rep.Total.ASA != 17.5 {
		t.Fatalf("root's totals: %s", body)
	}
	mu.Lock()
	if len(kpiScopes) != 2 || !slices.Equal(kpiScopes[0], []string{"billing"}) || kpiScopes[1] != nil {
		t.Fatalf("kpi scopes: %q", kpiScopes)
	}
	mu.Unlock()

	resp, err := root.c.Get(s.ts.URL + q + "&format=csv")
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(resp.Body).ReadAll()
	resp.Body.Close()
	if err != nil || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") || len(records) != 3 ||
		records[0][1] != "queue" || records[1][1] != "billing" || records[1][2] != "2" || records[2][7] != "1.0000" {
		t.Fatalf("csv: %v %v %v", resp.Header, records, err)
	}

	for _, bad := range []string{
		"?interval=5m", "?by=skill", "?format=xml", "?from=yesterday",
		"?from=2026-11-23T10:00:00Z&to=2026-11-23T09:00:00Z",
		"?interval=15m&from=2026-01-01&to=2026-12-31",
	} {
		if code, body := s.do(root.c, "GET", "/api/reports"+bad, "", nil); code != 400 || errCode(body) != CodeInvalid {
			t.Errorf("%s: %d %s, want 400", bad, code, body)
		}
	}
	if code, body := s.get(root.c, "/reports?interval=5m"); code != 400 || !strings.Contains(body, "interval must be") {
		t.Errorf("page with a bad interval: %d", code)
	}
	code, page := s.get(sue.c, "/reports?by=queue&interval=15m&from=2026-11-23T09:00&to=2026-11-23T11:00")
	if code != 200 || strings.Count(page, "<svg") != 2 || strings.Count(page, `<rect class="answered"`) != 8 ||
		!strings.Contains(page, "<td>billing</td>") || strings.Contains(page, "<td>support</td>") || !strings.Contains(page, "75%") {
		t.Fatalf("page: %d\n%s", code, page)
	}
	// The y axes have gridlines with their values: the calls' peak and its half, 100%, 80% and 50%.
	for _, tick := range []string{">100%</text>", ">80%</text>", ">50%</text>"} {
		if strings.Count(page, `<text class="tick"`) < 4 || !strings.Contains(page, tick) {
			t.Errorf("the charts' y axes lack %s", tick)
		}
	}
	alice := s.signIn("alice")
	if code, _ := s.do(alice.c, "GET", q, "", nil); code != http.StatusForbidden {
		t.Fatalf("agent on reports: %d", code)
	}
}

// TestReportsOutboundByAgent: an agent's outbound call is not one of the queue's calls; the
// agent's report shows it in its own columns, on the page and in the CSV.
func TestReportsOutboundByAgent(t *testing.T) {
	s := newStoreSite(t, nil)
	ctx := context.Background()
	for _, sql := range []string{
		`INSERT INTO calls (id, node) VALUES ('c1', 'ast1')`,
		`INSERT INTO calls (id, node, data) VALUES ('o1', 'ast1', '{"direction": "outbound"}')`,
		`INSERT INTO call_legs (call_id, seq, queue, entered_at, agent, answered_at, left_at, outcome, talk_seconds) VALUES
		 ('c1', 1, 'billing', '2026-11-23T09:00:00Z', '1001', '2026-11-23T09:00:10Z', '2026-11-23T09:01:10Z', 'answered', 60),
		 ('o1', 1, 'billing', '2026-11-23T09:10:00Z', '1001', '2026-11-23T09:10:00Z', '2026-11-23T09:12:30Z', 'answered', 150)`,
	} {
		if _, err := s.st.Pool().Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	root := s.signIn("root")
	const q = "/api/reports?interval=1h&from=2026-11-23T09:00:00Z&to=2026-11-23T10:00:00Z"
	var rep Report
	code, body := s.do(root.c, "GET", q+"&by=queue", "", nil)
	if err := json.Unmarshal([]byte(body), &rep); code != 200 || err != nil || rep.Total.Offered != 1 || rep.Total.Answered != 1 {
		t.Fatalf("by queue: %d %s", code, body)
	}
	code, body = s.do(root.c, "GET", q+"&by=agent", "", nil)
	if err := json.Unmarshal([]byte(body), &rep); code != 200 || err != nil || rep.Total.Answered != 1 ||
		rep.Total.Outbound != 1 || rep.Total.OutboundTalk != 150 || !strings.Contains(body, `"outbound_calls":1`) {
		t.Fatalf("by agent: %d %s", code, body)
	}
	resp, err := root.c.Get(s.ts.URL + q + "&by=agent&format=csv")
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(resp.Body).ReadAll()
	resp.Body.Close()
	if err != nil || len(records) != 2 {
		t.Fatalf("csv: %v %v", records, err)
	}
	head, row := records[0], records[1]
	if n := len(head); head[n-2] != "outbound_calls" || head[n-1] != "outbound_talk_seconds" || row[n-2] != "1" || row[n-1] != "150.0" {
		t.Fatalf("csv: %q", records)
	}
	for lang, want := range map[string]string{"en": "Outbound calls", "ru": "Исходящие звонки"} {
		const path = "/reports?by=agent&interval=1h&from=2026-11-23T09:00&to=2026-11-23T10:00"
		s.get(root.c, path+"&lang="+lang) // switches the user's language
		code, page := s.get(root.c, path)
		if code != 200 || !strings.Contains(page, "<th>"+want+"</th>") || !strings.Contains(page, "<td>1</td><td>2") {
			t.Fatalf("%s page: %d\n%s", lang, code, page)
		}
	}
}
