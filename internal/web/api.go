package web

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"sort"
	"strings"
)

// Error codes of the API: every error answer is {"error": {"code": <one of these>, "message": ...}}.
const (
	CodeUnauthorized = "unauthorized" // 401: no session or token
	CodeForbidden    = "forbidden"    // 403: role or scope does not allow it
	CodeCSRF         = "csrf"         // 403: missing or wrong X-CSRF-Token
	CodeNotFound     = "not_found"    // 404
	CodeConflict     = "conflict"     // 409: the state does not allow it now
	CodeInvalid      = "invalid"      // 400 or 422: the request is malformed or refused
	CodeTooLarge     = "too_large"    // 413
	CodeTooMany      = "too_many"     // 429: over a limit (open event streams)
	CodeUnavailable  = "unavailable"  // 503: a dependency is down
	CodeInternal     = "internal"     // 500
)

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers with the API's one error shape. key names the catalogue text of the
// message (with args), in the request's language (errors.go); a key the catalogue lacks
// gives code's own sentence.
func writeError(w http.ResponseWriter, status int, code, key string, args ...any) {
	var e apiError
	e.Error.Code, e.Error.Message = code, errorText(writerLang(w), code, key, args...)
	writeJSON(w, status, e)
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeJSON reads a JSON body of at most 64 KiB with no unknown fields and only text that
// the store can hold (input.go) into v; on failure it has answered and returns false.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, "")
			return false
		}
		writeError(w, http.StatusBadRequest, CodeInvalid, "desk.err.json")
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, CodeInvalid, "desk.err.json")
		return false
	}
	if hasBadText(reflect.ValueOf(v)) {
		writeError(w, http.StatusBadRequest, CodeInvalid, badTextMsg)
		return false
	}
	return true
}

// csrfOK checks a state-changing API request from a browser session: the session's CSRF token
// must come in the X-CSRF-Token header. A request authenticated with an API token carries no
// cookie a browser could send on its own, so it passes. On failure it has answered and
// returns false.
func csrfOK(w http.ResponseWriter, r *http.Request) bool {
	if byAPIToken(r.Context()) {
		return true
	}
	sess := sessionFrom(r.Context())
	if sess == nil || sess.CSRF == "" || subtle.ConstantTimeCompare([]byte(r.Header.Get("X-CSRF-Token")), []byte(sess.CSRF)) != 1 {
		writeError(w, http.StatusForbidden, CodeCSRF, "")
		return false
	}
	return true
}

// Route is one registered route, for the OpenAPI check, the authorization table test and
// the docs.
type Route struct {
	Method, Path string
	API          bool     // JSON API (errors in the API shape) rather than a page
	Roles        []string // who may call it; empty: anyone (healthz, login, assets)
	// Tokens: an API token may call it (as its owner). API routes take tokens except those
	// that manage accounts and tokens, which need a signed-in session.
	Tokens bool
	Stream bool // a long-lived event stream: capped per session and per user (stream.go)
}

// kind is how a route is reached: a page, an API route, one that needs a browser session
// (account and token management), or an event stream.
type kind uint8

const (
	page kind = iota
	api
	apiSession // an API route a token may not call
	apiStream
)

// routes records what is registered on a mux.
type routes struct {
	mux  *http.ServeMux
	list []Route
}

// handle registers pattern ("METHOD /path") for roles (none: open to anyone).
func (s *server) handle(rt *routes, pattern string, k kind, roles []string, h http.HandlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	r := Route{Method: method, Path: path, API: k != page, Roles: roles, Tokens: k == api || k == apiStream, Stream: k == apiStream}
	rt.list = append(rt.list, r)
	if k == apiStream {
		h = s.limitStreams(h)
	}
	if len(roles) > 0 {
		h = s.requireRole(r, h)
	}
	rt.mux.HandleFunc(pattern, h)
}

// Routes lists the routes a handler built from opt serves, sorted by path and method.
func Routes(opt Options) []Route {
	s := newServer(opt)
	rt := s.register()
	sort.Slice(rt.list, func(i, j int) bool {
		if rt.list[i].Path != rt.list[j].Path {
			return rt.list[i].Path < rt.list[j].Path
		}
		return rt.list[i].Method < rt.list[j].Method
	})
	return rt.list
}
