package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"switchboard/acd"
	"switchboard/internal/account"
	"switchboard/recording"
)

// Recordings is what the web side needs of the recording index.
type Recordings interface {
	SearchRecordings(ctx context.Context, f recording.Query, limit int, cursor string) ([]recording.Recording, string, error)
	Recording(ctx context.Context, name string) (*recording.Recording, error)
	Audit(ctx context.Context, e account.AuditEntry) error
}

// recordingAccess says whether a session may hear a recording: an admin all, a supervisor
// those of their queues, an agent their own calls.
func recordingAccess(u account.User, rec recording.Recording) bool {
	switch u.Role {
	case "admin":
		return true
	case "supervisor":
		return slices.Contains(u.Queues, rec.Queue)
	case "agent":
		return u.AgentID != "" && rec.Agent == u.AgentID
	}
	return false
}

// parseDuration reads "90", "90s" or "1m30s".
func parseDuration(v string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		if n < 0 || n > 1e9 {
			return 0, errors.New("out of range")
		}
		return time.Duration(n * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(v)
	if err == nil && d < 0 {
		err = errors.New("negative")
	}
	return d, err
}

// recordingQuery reads a search's parameters, scoped to what the session may hear: from, to
// (RFC 3339, or a form's "2006-01-02T15:04" in zone), queue, agent, number, customer, ticket,
// call, min_duration, max_duration (seconds or Go notation), limit, cursor. A non-zero code
// and message say why the request is refused.
func recordingQuery(r *http.Request, u account.User, zone *time.Location) (f recording.Query, limit int, cursor string, code int, msg string) {
	q := r.URL.Query()
	for _, t := range []struct {
		key string
		dst *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(t.key); v != "" {
			at, err := time.Parse(time.RFC3339, v)
			if err != nil {
				at, err = time.ParseInLocation("2006-01-02T15:04", v, zone)
			}
			if err != nil {
				return f, 0, "", http.StatusBadRequest, "bad " + t.key
			}
			*t.dst = at
		}
	}
	for _, d := range []struct {
		key string
		dst *time.Duration
	}{{"min_duration", &f.MinDuration}, {"max_duration", &f.MaxDuration}} {
		if v := q.Get(d.key); v != "" {
			x, err := parseDuration(v)
			if err != nil {
				return f, 0, "", http.StatusBadRequest, "bad " + d.key
			}
			*d.dst = x
		}
	}
	f.Queue, f.Agent, f.Number = q.Get("queue"), q.Get("agent"), q.Get("number")
	f.Customer, f.Ticket, f.CallID = q.Get("customer"), q.Get("ticket"), q.Get("call")
	limit = 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return f, 0, "", http.StatusBadRequest, "bad limit"
		}
		limit = n
	}
	switch u.Role {
	case "admin":
	case "supervisor":
		f.Queues = append([]string{}, u.Queues...)
	case "agent":
		if u.AgentID == "" || (f.Agent != "" && f.Agent != u.AgentID) {
			return f, 0, "", http.StatusForbidden, "forbidden"
		}
		f.Agent = u.AgentID
	default:
		return f, 0, "", http.StatusForbidden, "forbidden"
	}
	return f, limit, q.Get("cursor"), 0, ""
}

// findRecordings runs a search for the session; on failure it has answered already.
func (s *server) findRecordings(w http.ResponseWriter, r *http.Request) ([]recording.Recording, string, bool) {
	sess := sessionFrom(r.Context())
	f, limit, cursor, code, msg := recordingQuery(r, sess.User, s.zoneOf(r))
	if code != 0 {
		http.Error(w, msg, code)
		return nil, "", false
	}
	list, next, err := s.opt.Recordings.SearchRecordings(r.Context(), f, limit, cursor)
	if errors.Is(err, recording.ErrBadCursor) {
		http.Error(w, "bad cursor", http.StatusBadRequest)
		return nil, "", false
	}
	if err != nil {
		s.opt.Logger.Error("recording search", "err", err)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return nil, "", false
	}
	if list == nil {
		list = []recording.Recording{} // "recordings": [], never null
	}
	return list, next, true
}

// searchRecordings: GET /api/recordings (parameters: recordingQuery).
func (s *server) searchRecordings(w http.ResponseWriter, r *http.Request) {
	rows, next, ok := s.findRecordings(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{"recordings": rows, "next": next})
}

// recordingsPage: GET /recordings, the search form and a page of results with players.
func (s *server) recordingsPage(w http.ResponseWriter, r *http.Request) {
	rows, next, ok := s.findRecordings(w, r)
	if !ok {
		return
	}
	sess := sessionFrom(r.Context())
	nextURL := ""
	if next != "" {
		q := r.URL.Query()
		q.Set("cursor", next)
		nextURL = "/recordings?" + q.Encode()
	}
	s.render(w, r, "recordings.html", map[string]any{"User": sess.User, "CSRF": sess.CSRF, "Rows": rows,
		"Q": r.URL.Query(), "Next": nextURL, "Names": s.agentNames(r.Context())})
}

// verified remembers files whose checksum matched, by name, as long as their size and
// modification time stay the same, so that seeking in a long recording (many range
// requests) does not hash the whole file each time.
type verified struct {
	mu    sync.Mutex
	files map[string]fileStamp
}

type fileStamp struct {
	size int64
	mod  time.Time
	sum  string
}

func (v *verified) ok(name string, st fs.FileInfo, sum string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	f, ok := v.files[name]
	return ok && f.size == st.Size() && f.mod.Equal(st.ModTime()) && f.sum == sum
}

func (v *verified) remember(name string, st fs.FileInfo, sum string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.files) > 10_000 {
		clear(v.files)
	}
	v.files[name] = fileStamp{size: st.Size(), mod: st.ModTime(), sum: sum}
}

// playRecording: GET /recordings/{name}[?download=1]. The file is served (with range
// requests) only if the session may hear it, its size and SHA-256 match the index, and the
// audit row is written. A missing file answers 410, a damaged one 409, each logged; never an
// empty 200.
func (s *server) playRecording(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	name := r.PathValue("name")
	if !recording.ValidName(name) {
		http.NotFound(w, r)
		return
	}
	rec, err := s.opt.Recordings.Recording(r.Context(), name)
	if isNotFound(err) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.opt.Logger.Error("recording lookup", "recording", name, "err", err)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	if !recordingAccess(sess.User, *rec) {
		s.opt.Logger.Warn("recording access refused", "user", sess.User.Username, "role", sess.User.Role, "recording", name)
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	f, err := os.Open(rec.Path)
	if errors.Is(err, fs.ErrNotExist) {
		s.opt.Logger.Error("recording file missing", "recording", name, "path", rec.Path)
		http.Error(w, "recording file missing", http.StatusGone)
		return
	}
	if err != nil {
		s.opt.Logger.Error("recording file unreadable", "recording", name, "path", rec.Path, "err", err)
		http.Error(w, "recording file unreadable", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		s.opt.Logger.Error("recording file unreadable", "recording", name, "path", rec.Path, "err", err)
		http.Error(w, "recording file unreadable", http.StatusInternalServerError)
		return
	}
	if err := recording.CheckSize(*rec, st.Size()); err != nil {
		s.opt.Logger.Error("recording file damaged: size differs from the index", "recording", name, "path", rec.Path,
			"size", st.Size(), "indexed_size", rec.Size)
		http.Error(w, "recording file damaged", http.StatusConflict)
		return
	}
	if !s.verified.ok(name, st, rec.SHA256) {
		var damage *recording.DamageError
		switch err := recording.CheckSum(*rec, f); {
		case errors.As(err, &damage):
			s.opt.Logger.Error("recording file damaged: checksum differs from the index", "recording", name, "path", rec.Path,
				"sha256", damage.Got, "indexed_sha256", rec.SHA256)
			http.Error(w, "recording file damaged", http.StatusConflict)
			return
		case err != nil:
			s.opt.Logger.Error("recording file unreadable", "recording", name, "path", rec.Path, "err", err)
			http.Error(w, "recording file unreadable", http.StatusInternalServerError)
			return
		}
		s.verified.remember(name, st, rec.SHA256)
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			http.Error(w, "recording file unreadable", http.StatusInternalServerError)
			return
		}
	}
	action, disposition := "play", "inline"
	if r.URL.Query().Get("download") != "" {
		action, disposition = "download", "attachment"
	}
	detail := "full"
	if rg := r.Header.Get("Range"); rg != "" {
		if len(rg) > 100 {
			rg = rg[:100] + "…"
		}
		detail = "range " + rg
	}
	if err := s.opt.Recordings.Audit(r.Context(), account.AuditEntry{Actor: sess.User.Username, Action: action,
		Object: "recording:" + name, Detail: detail}); err != nil {
		s.opt.Logger.Error("recording not served: audit failed", "recording", name, "err", err)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	file := name + "." + strings.ToLower(rec.Format)
	h := w.Header()
	if rec.Format == "wav" {
		h.Set("Content-Type", "audio/wav")
	} else {
		h.Set("Content-Type", "application/octet-stream")
	}
	h.Set("Cache-Control", "private, no-store")
	h.Set("ETag", `"`+rec.SHA256+`"`)
	h.Set("Content-Disposition", disposition+`; filename="`+file+`"`)
	http.ServeContent(w, r, file, st.ModTime(), f)
}

// recordCall: POST /api/calls/{id}/record, an agent starting the recording of their connected
// call (queues whose policy is on-demand). The session's CSRF token must come in the
// X-CSRF-Token header.
func (s *server) recordCall(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	if !csrfOK(w, r) {
		return
	}
	if sess.User.AgentID == "" {
		writeError(w, http.StatusForbidden, CodeForbidden, "desk.err.not_agent")
		return
	}
	id := r.PathValue("id")
	err := s.opt.RecordCall(r.Context(), sess.User.AgentID, id)
	if err != nil {
		s.fail(w, err, failure{refuse: true, messages: map[string]string{acd.ENotFound: "desk.err.no_call",
			acd.EConflict: "desk.err.rec_not_connected", acd.EInvalid: "desk.err.rec_on_demand"},
			what: "recording on demand", attrs: []any{"call", id}, status: http.StatusBadGateway, code: CodeUnavailable,
			message: "desk.err.rec_not_started"})
		return
	}
	s.opt.Logger.Info("recording on demand", "call", id, "user", sess.User.Username)
	w.WriteHeader(http.StatusNoContent)
}
