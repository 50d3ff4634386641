package web

import (
	"html/template"
	"net/http"
	"strings"
)

// Leader says which router holds the leader lease and in which term; ok is false when none
// holds it (the lease expired and no standby has taken it yet).
type Leader func() (holder string, term int64, ok bool)

var standbyPage = template.Must(template.New("standby").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title><link rel="stylesheet" href="/assets/style.css"></head>
<body><main><div class="banner ha-standby" role="status"><h1>{{.Title}}</h1><p>{{.Standby}}</p><p id="leader">{{.Leader}}</p></div></main></body></html>
`))

// NewStandby is the HTTP side of a standby router: /healthz answers 503 "standby" (a proxy
// sends people to the leader), /metrics as the leader's, every page says which router leads.
func NewStandby(leader Leader, metrics http.Handler, metricsToken string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", requireToken(metricsToken, metrics))
	mux.HandleFunc("GET /assets/{file}", serveAsset)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("standby: " + leaderText("en", leader) + "\n"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		lang := langOf(r)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Retry-After", "5")
		if r.Method != http.MethodGet || strings.HasPrefix(r.URL.Path, "/api/") {
			http.Error(w, "standby: "+leaderText("en", leader), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = standbyPage.Execute(w, map[string]string{"Lang": lang, "Title": T(lang, "ha.title"),
			"Standby": T(lang, "ha.standby"), "Leader": leaderText(lang, leader)})
	})
	return mux
}

func leaderText(lang string, leader Leader) string {
	holder, term, ok := leader()
	if !ok {
		return T(lang, "ha.none")
	}
	return T(lang, "ha.leader", holder, term)
}
