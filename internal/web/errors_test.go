package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"switchboard/acd"
	"switchboard/crm"
)

// TestErrorTable: every core error answers with the table's status and code, with a route's
// message in place of the error's where it gives one; an error without a code as the route says.
func TestErrorTable(t *testing.T) {
	s := newServer(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	down := failure{what: "x", status: http.StatusServiceUnavailable, code: CodeUnavailable, message: "x unavailable"}
	named := failure{messages: map[string]string{acd.ENotFound: "no such thing"}}
	tests := []struct {
		name      string
		err       error
		f         failure
		status    int
		code, msg string
	}{
		{"not found", &acd.Error{Code: acd.ENotFound, Message: "queue q not found"}, failure{}, 404, CodeNotFound, "queue q not found"},
		{"not found named", fmt.Errorf("row: %w", &acd.Error{Code: acd.ENotFound, Message: "not found"}), named, 404, CodeNotFound, "no such thing"},
		{"conflict", &acd.Error{Code: acd.EConflict, Message: "busy"}, named, 409, CodeConflict, "busy"},
		{"invalid", &acd.Error{Code: acd.EInvalid, Message: "bad"}, failure{}, 422, CodeInvalid, "bad"},
		{"invalid refused", &acd.Error{Code: acd.EInvalid, Message: "bad"}, failure{refuse: true}, 403, CodeForbidden, "bad"},
		{"unknown code", &acd.Error{Code: "odd", Message: "odd"}, failure{}, 422, CodeInvalid, "odd"},
		{"crm invalid", fmt.Errorf("customer: %w", &crm.InvalidError{Field: "name", Reason: "empty"}), down, 422, CodeInvalid, "customer: name: empty"},
		{"crm transition", fmt.Errorf("ticket 3: %w", crm.ErrTransition), down, 409, CodeConflict, "ticket 3: status change not allowed"},
		{"no code", errors.New("connection refused"), failure{}, 500, CodeInternal, "internal error"},
		{"no code, route's answer", errors.New("connection refused"), down, 503, CodeUnavailable, "x unavailable"},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		s.fail(w, tt.err, tt.f)
		var got apiError
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s: %v: %s", tt.name, err, w.Body)
		}
		if w.Code != tt.status || got.Error.Code != tt.code || got.Error.Message != tt.msg {
			t.Errorf("%s: %d %s %q, want %d %s %q", tt.name, w.Code, got.Error.Code, got.Error.Message, tt.status, tt.code, tt.msg)
		}
	}
}
