package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"switchboard/acd"
	"switchboard/crm"
)

// TestErrorTable: every core error answers with the table's status and code, and a sentence
// from the catalogue: the error's own key, the route's key for its code, or the code's own;
// never the error's text. An error without a code answers as the route says.
func TestErrorTable(t *testing.T) {
	s := newServer(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	down := failure{what: "x", status: http.StatusServiceUnavailable, code: CodeUnavailable, message: "desk.err.router_unavailable"}
	named := failure{messages: map[string]string{acd.ENotFound: "desk.err.no_call"}}
	tests := []struct {
		name      string
		err       error
		f         failure
		status    int
		code, msg string
	}{
		{"not found", &acd.Error{Code: acd.ENotFound, Message: "queue q not found"}, failure{}, 404, CodeNotFound, "It was not found: it may have ended or been removed."},
		{"not found named", fmt.Errorf("row: %w", &acd.Error{Code: acd.ENotFound, Message: "not found"}), named, 404, CodeNotFound, "You have answered no such call."},
		{"keyed", fmt.Errorf("login: %w", &acd.Error{Code: acd.EConflict, Message: "held", Key: "desk.err.phone_in_use", Args: []any{"PJSIP/1001", "Alice", "1001"}}),
			named, 409, CodeConflict, "Phone PJSIP/1001 is in use by Alice (agent 1001)."},
		{"conflict", &acd.Error{Code: acd.EConflict, Message: "busy"}, named, 409, CodeConflict, "This cannot be done right now."},
		{"invalid", &acd.Error{Code: acd.EInvalid, Message: "bad"}, failure{}, 422, CodeInvalid, "The request is not valid: check what you entered."},
		{"invalid refused", &acd.Error{Code: acd.EInvalid, Message: "bad"}, failure{refuse: true}, 403, CodeForbidden, "You are not allowed to do this."},
		{"unknown code", &acd.Error{Code: "odd", Message: "odd"}, failure{}, 422, CodeInvalid, "The request is not valid: check what you entered."},
		{"route's text not a key", &acd.Error{Code: acd.ENotFound, Message: "x"}, failure{messages: map[string]string{acd.ENotFound: "thing: not found"}}, 404, CodeNotFound,
			"It was not found: it may have ended or been removed."},
		{"crm invalid", fmt.Errorf("customer: %w", &crm.InvalidError{Field: "name", Reason: "empty"}), down, 422, CodeInvalid, "Check the field “name”."},
		{"crm transition", fmt.Errorf("ticket 3: %w", crm.ErrTransition), down, 409, CodeConflict, "This status change is not allowed."},
		{"no code", errors.New("connection refused"), failure{}, 500, CodeInternal, "Something went wrong on the server: try again."},
		{"no code, route's answer", errors.New("connection refused"), down, 503, CodeUnavailable, "The call router is not answering: try again shortly."},
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
	w := httptest.NewRecorder()
	s.fail(&langWriter{ResponseWriter: w, lang: "ru"}, &acd.Error{Code: acd.EInvalid, Message: "number: callback: normalize: x",
		Key: "desk.err.number_digits"}, failure{})
	if !strings.Contains(w.Body.String(), "Номер должен состоять только из цифр.") {
		t.Errorf("in Russian: %s", w.Body)
	}
}
