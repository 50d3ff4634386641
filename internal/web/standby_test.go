package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestStandbySaysWhoLeads(t *testing.T) {
	held := true
	leader := func() (string, int64, bool) { return "r2", 4, held }
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "switchboard_leader 0\n") })
	srv := httptest.NewServer(NewStandby(leader, metrics, "tok"))
	defer srv.Close()
	get := func(path, lang, token string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Accept-Language", lang)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz", "", ""); code != 503 || !strings.HasPrefix(body, "standby") || !strings.Contains(body, "r2") {
		t.Errorf("healthz: %d %q", code, body)
	}
	if code, body := get("/wallboard", "ru", ""); code != 503 || !strings.Contains(body, "Ведущий — маршрутизатор r2 (срок 4)") {
		t.Errorf("a page in Russian: %d %q", code, body)
	}
	if code, body := get("/", "en", ""); !strings.Contains(body, "Router r2 leads (term 4).") || !strings.Contains(body, "on standby") {
		t.Errorf("a page in English: %d %q", code, body)
	}
	held = false
	if _, body := get("/", "en", ""); !strings.Contains(body, "No router leads") {
		t.Errorf("no leader: %q", body)
	}
	if code, _ := get("/metrics", "", ""); code != 401 {
		t.Errorf("metrics without the token: %d", code)
	}
	if code, body := get("/metrics", "", "tok"); code != 200 || !strings.Contains(body, "switchboard_leader 0") {
		t.Errorf("metrics: %d %q", code, body)
	}
	if code, _ := get("/assets/style.css", "", ""); code != 200 {
		t.Errorf("style: %d", code)
	}
	resp, err := http.Post(srv.URL+"/api/agents/1001/state", "application/json", strings.NewReader("{}"))
	if err != nil || resp.StatusCode != 503 {
		t.Errorf("a write on a standby: %v %v", resp, err)
	}
}
