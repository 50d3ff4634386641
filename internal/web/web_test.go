package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRoutes(t *testing.T) {
	up := true
	h := Handler(Options{
		Checks:       []Check{{Name: "ari", OK: func() bool { return up }}},
		Metrics:      http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("metric 1\n")) }),
		MetricsToken: "s3cret",
	})
	do := func(path string, set func(*http.Request)) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		if set != nil {
			set(r)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := do("/healthz", nil); w.Code != 200 || w.Body.String() != "ok\n" {
		t.Fatalf("healthz up: %d %q", w.Code, w.Body.String())
	}
	up = false
	if w := do("/healthz", nil); w.Code != 503 || !strings.Contains(w.Body.String(), "ari") {
		t.Fatalf("healthz down: %d %q", w.Code, w.Body.String())
	}
	tests := []struct {
		name string
		set  func(*http.Request)
		code int
	}{
		{"no credentials", nil, 401},
		{"wrong bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, 401},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cret") }, 200},
		{"basic", func(r *http.Request) { r.SetBasicAuth("prometheus", "s3cret") }, 200},
		{"token in the URL is not accepted", func(r *http.Request) { r.URL.RawQuery = "token=s3cret" }, 401},
	}
	for _, tt := range tests {
		if w := do("/metrics", tt.set); w.Code != tt.code {
			t.Errorf("%s: got %d, want %d", tt.name, w.Code, tt.code)
		}
	}
	empty := Handler(Options{Metrics: http.NotFoundHandler()})
	r := httptest.NewRequest("GET", "/metrics", nil)
	r.Header.Set("Authorization", "Bearer ")
	w := httptest.NewRecorder()
	empty.ServeHTTP(w, r)
	if w.Code != 401 {
		t.Fatalf("metrics without a configured token: %d", w.Code)
	}
}

// TestAssetsServeFilesNotListings: /assets/ serves the pages' stylesheets and scripts to
// anyone, never a listing of the folder nor the page templates.
func TestAssetsServeFilesNotListings(t *testing.T) {
	ts := httptest.NewServer(Handler(everything(t)))
	defer ts.Close()
	for _, tt := range []struct {
		path string
		code int
		has  string
	}{
		{"/assets/style.css", 200, "{"},
		{"/assets/wallboard.js", 200, "function"},
		{"/assets/", 404, ""},
		{"/assets", 404, ""},
		{"/assets/./", 404, ""},
		{"/assets/login.html", 404, ""},
		{"/assets/nope.css", 404, ""},
		{"/assets/%2e%2e/web.go", 404, ""},
	} {
		resp, err := http.Get(ts.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || !strings.Contains(string(b), tt.has) || strings.Contains(string(b), "<a href=") {
			t.Errorf("GET %s: %d %.80q, want %d with %q and no listing", tt.path, resp.StatusCode, b, tt.code, tt.has)
		}
	}
}
