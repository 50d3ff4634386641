package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"switchboard/internal/ariemu"
	"switchboard/internal/testkit"
)

var metricName = regexp.MustCompile(`\bswitchboard_[a-z0-9_]+`)

// deployExprs returns the PromQL expressions of the Grafana dashboard's panels and of the
// alerting rules, by where they come from.
func deployExprs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	raw, err := os.ReadFile("../../deploy/grafana/switchboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
		Templating struct {
			List []struct {
				Name  string
				Query any
			}
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("deploy/grafana/switchboard.json: %v", err)
	}
	for _, p := range dash.Panels {
		for i, tg := range p.Targets {
			out["panel "+p.Title+" #"+string(rune('A'+i))] = tg.Expr
		}
	}
	for _, v := range dash.Templating.List {
		if q, ok := v.Query.(map[string]any); ok {
			out["variable "+v.Name], _ = q["query"].(string)
		}
	}
	raw, err = os.ReadFile("../../deploy/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert, Expr, For string
				Labels           map[string]string
				Annotations      map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatalf("deploy/prometheus/alerts.yml: %v", err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("alerts.yml: rule %+v needs alert, expr, a severity and a summary", r)
			}
			if _, err := time.ParseDuration(r.For); r.For != "" && err != nil {
				t.Errorf("alerts.yml: %s: for %q: %v", r.Alert, r.For, err)
			}
			out["alert "+r.Alert] = r.Expr
		}
	}
	return out
}

// TestDeployFilesUseRealMetrics: every metric the Grafana dashboard and the alerting rules
// query is one the daemon's collectors describe (histogram series by their base name), and
// the service-level gauge they rely on carries the figure the engine computes.
func TestDeployFilesUseRealMetrics(t *testing.T) {
	emu, d, _ := demoDaemon(t)
	names := d.metrics.Names()
	if !names["switchboard_agents"] || !names["switchboard_store_pending_events"] {
		t.Fatalf("the registry described only %d names: %v", len(names), names)
	}
	exprs := deployExprs(t)
	if len(exprs) < 15 {
		t.Fatalf("only %d expressions in the deploy files", len(exprs))
	}
	used := map[string]bool{}
	for where, expr := range exprs {
		for _, m := range metricName.FindAllString(expr, -1) {
			used[m] = true
			base := m
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if b, ok := strings.CutSuffix(m, suffix); ok && names[b] {
					base = b
				}
			}
			if !names[base] {
				t.Errorf("%s queries %s, which no collector of the daemon describes", where, m)
			}
		}
	}
	for _, want := range []string{"switchboard_queue_calls_waiting", "switchboard_queue_oldest_wait_seconds",
		"switchboard_queue_service_level", "switchboard_calls_offered_total", "switchboard_calls_answered_total",
		"switchboard_calls_abandoned_total", "switchboard_agents", "switchboard_callbacks", "switchboard_ari_connected",
		"switchboard_store_pending_events", "switchboard_store_up", "switchboard_call_setup_seconds_bucket",
		"switchboard_ari_request_seconds_bucket", "switchboard_ari_requests_in_flight"} {
		if !used[want] {
			t.Errorf("the deploy files never use %s", want)
		}
	}
	var used2 []string
	for m := range used {
		used2 = append(used2, m)
	}
	sort.Strings(used2)
	t.Logf("metrics used: %s", strings.Join(used2, " "))

	// One billing call answered at once: billing's service level is 1 today and in the window.
	id, err := emu.PlaceCaller(ariemu.Caller{Number: "79990000001", DID: "5552000", TalkTime: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if rec, err := emu.WaitCall(ctx, id, ariemu.Ended); err != nil || rec.Outcome != ariemu.OutcomeCompleted {
		t.Fatalf("caller: %+v %v", rec, err)
	}
	testkit.Eventually(t, "the service-level gauges", func() bool {
		req, _ := http.NewRequest("GET", "http://"+d.addr+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body := string(b)
		return strings.Contains(body, `switchboard_queue_service_level{queue="billing",window="today"} 1`) &&
			strings.Contains(body, `switchboard_queue_service_level{queue="billing",window="window"} 1`) &&
			strings.Contains(body, `switchboard_queue_service_level_goal{queue="billing"} 0.8`) &&
			!strings.Contains(body, `switchboard_queue_service_level{queue="support-l2"`) // nothing answered there
	})
}
