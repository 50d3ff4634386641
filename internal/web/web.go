// Package web serves Switchboard's HTTP side: health, metrics and (as it grows) the API and
// the UI. Every route but /healthz checks who is asking; /healthz answers anyone, with a
// status code and one word, so that load balancers can probe it without credentials.
package web

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// Check reports one dependency's health.
type Check struct {
	Name string
	OK   func() bool
}

// Options configure the server.
type Options struct {
	Checks  []Check
	Metrics http.Handler
	// MetricsToken is the bearer token (or basic-auth password, any user) /metrics demands.
	// Empty: /metrics is refused.
	MetricsToken string
}

// Handler returns the HTTP handler.
func Handler(opt Options) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		var down []string
		for _, c := range opt.Checks {
			if !c.OK() {
				down = append(down, c.Name)
			}
		}
		if len(down) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("not ready: " + strings.Join(down, ", ") + "\n"))
			return
		}
		w.Write([]byte("ok\n"))
	})
	if opt.Metrics != nil {
		mux.Handle("GET /metrics", requireToken(opt.MetricsToken, opt.Metrics))
	}
	return mux
}

// requireToken lets a request through with "Authorization: Bearer <token>" or basic auth
// whose password is the token.
func requireToken(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := ""
		if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
			got = strings.TrimPrefix(h, "Bearer ")
		} else if _, pass, ok := r.BasicAuth(); ok {
			got = pass
		}
		if token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="switchboard metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
