package ariemu

import (
	"encoding/json"
	"io"
	"net/http"
)

// Event filters, as PUT /applications/{app}/eventFilter sets them (Asterisk 13.26 and later):
// the body's "allowed" and "disallowed" lists of {"type": name}; a list not in the body keeps
// its value, an empty body clears both. An event goes to the application when its type is
// in no "disallowed" entry and "allowed" is empty or names it. Asterisk checks the filter as
// it writes each event to the websocket, after building it.

// eventFilter is an application's filter; nil maps are empty lists.
type eventFilter struct {
	allowed, disallowed []string
}

// passes reports whether an event of type typ goes out under f.
func (f *eventFilter) passes(typ string) bool {
	for _, t := range f.disallowed {
		if t == typ {
			return false
		}
	}
	if len(f.allowed) == 0 {
		return true
	}
	for _, t := range f.allowed {
		if t == typ {
			return true
		}
	}
	return false
}

func filterJSON(types []string) []any {
	out := make([]any, 0, len(types))
	for _, t := range types {
		out = append(out, map[string]string{"type": t})
	}
	return out
}

// parseFilter reads an eventFilter body: ok is false when a list is not an array of objects
// each with a type (Asterisk's 400 "Invalid format definition").
func parseFilter(body []byte, old eventFilter) (eventFilter, bool) {
	if len(body) == 0 || string(body) == "{}" {
		return eventFilter{}, true
	}
	var in map[string]json.RawMessage
	if err := json.Unmarshal(body, &in); err != nil {
		return old, false
	}
	f := old
	for key, dst := range map[string]*[]string{"allowed": &f.allowed, "disallowed": &f.disallowed} {
		raw, ok := in[key]
		if !ok {
			continue
		}
		var list []struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			return old, false
		}
		types := []string{}
		for _, e := range list {
			if e.Type == "" {
				return old, false
			}
			types = append(types, e.Type)
		}
		*dst = types
	}
	return f, true
}

// handleEventFilter is PUT /applications/{applicationName}/eventFilter.
func (s *Server) handleEventFilter(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "Failed to parse body")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	name := r.PathValue("applicationName")
	a := s.apps[name]
	if a == nil {
		writeError(w, http.StatusNotFound, "Application not found")
		return
	}
	f, ok := parseFilter(body, a.filter)
	if !ok {
		writeError(w, http.StatusBadRequest, "Invalid format definition")
		return
	}
	a.filter = f
	writeJSON(w, http.StatusOK, s.applicationJSON(name))
}
