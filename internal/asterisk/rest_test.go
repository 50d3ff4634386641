package asterisk_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"switchboard/internal/asterisk"
	"switchboard/internal/router"
)

// An originate Asterisk refuses is the agent phone's failure (router.ErrUnreachable) only when
// Asterisk knows no such endpoint or reports it offline; a refusal for any other reason, a
// conflict, or no answer at all is not.
func TestOriginateRefusals(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	status := http.StatusInternalServerError
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.Method+" "+r.URL.Path)
		code := status
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/ari/channels"):
			w.WriteHeader(code)
			_, _ = w.Write([]byte(`{"message":"Allocation failed"}`))
		case r.URL.Path == "/ari/endpoints/PJSIP/1001":
			_, _ = w.Write([]byte(`{"technology":"PJSIP","resource":"1001","state":"offline","channel_ids":[]}`))
		case r.URL.Path == "/ari/endpoints/PJSIP/1002":
			_, _ = w.Write([]byte(`{"technology":"PJSIP","resource":"1002","state":"online","channel_ids":[]}`))
		case r.URL.Path == "/ari/endpoints/PJSIP/1004":
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"Endpoint not found"}`))
		}
	}))
	defer srv.Close()
	rest := asterisk.NewREST(asterisk.RESTOptions{URL: srv.URL + "/ari", App: "sb"})

	tests := []struct {
		endpoint    string
		status      int
		unreachable bool
		lookup      bool
	}{
		{"PJSIP/1001", http.StatusInternalServerError, true, true},  // not registered
		{"PJSIP/1002", http.StatusInternalServerError, false, true}, // registered: Asterisk's own trouble
		{"PJSIP/1003", http.StatusInternalServerError, true, true},  // no such endpoint
		{"PJSIP/1003", http.StatusBadRequest, true, true},
		{"PJSIP/1004", http.StatusInternalServerError, false, true}, // cannot tell
		{"PJSIP/1001", http.StatusConflict, false, false},           // the channel id is taken: the router's doing
	}
	for _, tt := range tests {
		mu.Lock()
		status, asked = tt.status, nil
		mu.Unlock()
		err := rest.Originate(context.Background(), router.Originate{Endpoint: tt.endpoint, ChannelID: "c1-a1", AppArgs: "agent,n1-c1"})
		if err == nil {
			t.Fatalf("%s %d: no error", tt.endpoint, tt.status)
		}
		if got := errors.Is(err, router.ErrUnreachable); got != tt.unreachable {
			t.Errorf("%s %d: unreachable %v, want %v (%v)", tt.endpoint, tt.status, got, tt.unreachable, err)
		}
		mu.Lock()
		looked := slices.Contains(asked, "GET /ari/endpoints/"+tt.endpoint)
		mu.Unlock()
		if looked != tt.lookup {
			t.Errorf("%s %d: endpoint looked up %v, want %v", tt.endpoint, tt.status, looked, tt.lookup)
		}
	}

	srv.Close()
	err := rest.Originate(context.Background(), router.Originate{Endpoint: "PJSIP/1001", ChannelID: "c1-a2"})
	if err == nil || errors.Is(err, router.ErrUnreachable) {
		t.Fatalf("Asterisk not answering: %v, want an error that is not the phone's", err)
	}
}
