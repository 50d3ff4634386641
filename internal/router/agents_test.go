package router

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"switchboard/acd"
)

func TestCheckEndpoint(t *testing.T) {
	tests := []struct {
		ep string
		ok bool
	}{
		{"PJSIP/1001", true},
		{"SIP/alice", true},
		{"PJSIP/1001@pbx-2", true},
		{"Local/100@agents", true},
		{"", false},
		{"1001", false},
		{"PJSIP/", false},
		{"pjsip/1001", false},
		{"PJSIP/1001&PJSIP/1002", false}, // a dial string ringing two phones
		{"PJSIP/1001,30", false},
		{"PJSIP/10 01", false},
		{"Console/dsp", false},
		{"PJSIP/" + strings.Repeat("9", 65), false},
	}
	for _, tt := range tests {
		err := CheckEndpoint(tt.ep)
		if (err == nil) != tt.ok {
			t.Errorf("CheckEndpoint(%q) = %v, want ok %v", tt.ep, err, tt.ok)
		}
		if err != nil && acd.ErrorCode(err) != acd.EInvalid {
			t.Errorf("CheckEndpoint(%q): code %q", tt.ep, acd.ErrorCode(err))
		}
	}
}

func TestCheckReason(t *testing.T) {
	for _, ok := range []string{"", "lunch", "back office", "Mittagspause", strings.Repeat("é", 64)} {
		if err := CheckReason(ok); err != nil {
			t.Errorf("CheckReason(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"a\nb", "tab\there", "\x00", strings.Repeat("x", 65)} {
		if err := CheckReason(bad); acd.ErrorCode(err) != acd.EInvalid {
			t.Errorf("CheckReason(%q) = %v, want invalid", bad, err)
		}
	}
}

func FuzzCheckEndpoint(f *testing.F) {
	f.Add("PJSIP/1001")
	f.Add("PJSIP/1001@pbx")
	f.Add("PJSIP/1001&SIP/x")
	f.Fuzz(func(t *testing.T, ep string) {
		if CheckEndpoint(ep) != nil {
			return
		}
		tech, res, ok := strings.Cut(ep, "/")
		if !ok || tech == "" || res == "" || len(ep) > 70 || strings.ContainsAny(ep, "&,;: \t\r\n") {
			t.Fatalf("accepted %q", ep)
		}
	})
}

// At start an agent comes back where it stood; one not known starts as LoginAgents says.
func TestRestoreAgent(t *testing.T) {
	type last struct {
		state  acd.AgentState
		reason string
		ok     bool
	}
	tests := []struct {
		name         string
		last         *last // nil: no AgentState hook
		loginUnknown bool
		want         acd.AgentState
		reason       string
	}{
		{"no hook, desktop", nil, false, acd.LoggedOut, ""},
		{"no hook, all", nil, true, acd.Available, ""},
		{"unknown, desktop", &last{}, false, acd.LoggedOut, ""},
		{"unknown, all", &last{}, true, acd.Available, ""},
		{"logged out stays out", &last{acd.LoggedOut, "", true}, true, acd.LoggedOut, ""},
		{"available", &last{acd.Available, "", true}, false, acd.Available, ""},
		{"on a call when stopped", &last{acd.OnCall, "", true}, false, acd.Available, ""},
		{"wrapping up when stopped", &last{acd.WrapUp, "", true}, false, acd.Available, ""},
		{"paused keeps its reason", &last{acd.Paused, "lunch", true}, false, acd.Paused, "lunch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := acd.New(acd.Options{Clock: &acd.ManualClock{}})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.AddQueue(acd.QueueConfig{Name: "q"}); err != nil {
				t.Fatal(err)
			}
			if err := e.AddAgent(acd.AgentConfig{ID: "a", Endpoint: "PJSIP/a", Queues: []acd.Membership{{Queue: "q"}}}); err != nil {
				t.Fatal(err)
			}
			var hook Agents
			if l := tt.last; l != nil {
				hook = lastStates(func(id string) (acd.AgentState, string, bool) {
					if id != "a" {
						t.Fatalf("asked about %q", id)
					}
					return l.state, l.reason, l.ok
				})
			}
			if err := restoreAgent(e, "a", tt.loginUnknown, hook); err != nil {
				t.Fatal(err)
			}
			if v, _ := e.Agent("a"); v.State != tt.want || v.Reason != tt.reason {
				t.Fatalf("agent is %s %q, want %s %q", v.State, v.Reason, tt.want, tt.reason)
			}
		})
	}
}

// A supervisor changes the memberships of its queues for any agent serving one of them, but
// the skills and phone only of agents who serve its queues alone: those rule the agent's calls
// of every queue (a phone of the supervisor's choosing would ring with other queues' callers).
func TestUpdateAgentScope(t *testing.T) {
	cfg := Config{Node: "n1", App: "sb",
		Queues: []acd.QueueConfig{{Name: "billing"}, {Name: "support"}},
		Agents: []acd.AgentConfig{{ID: "h", Endpoint: "PJSIP/h", Queues: []acd.Membership{{Queue: "billing"}}},
			{ID: "m", Endpoint: "PJSIP/m", Queues: []acd.Membership{{Queue: "billing"}, {Queue: "support"}}},
			{ID: "s", Endpoint: "PJSIP/s", Queues: []acd.Membership{{Queue: "support"}}}},
		DeskEndpoints: []string{"PJSIP/*"},
	}
	r, err := New(cfg, &origTel{}, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	billing := func(q string) bool { return q == "billing" }
	tests := []struct {
		name, agent string
		skills      map[string]int
		queues      []acd.Membership
		endpoint    string
		scope       func(string) bool
		code        string
	}{
		{"skills of an agent shared with support", "m", map[string]int{"en": 9}, nil, "", billing, acd.EInvalid},
		{"phone of an agent shared with support", "m", nil, nil, "PJSIP/sue", billing, acd.EInvalid},
		{"billing's penalty of a shared agent", "m", nil, []acd.Membership{{Queue: "billing", Penalty: 2}, {Queue: "support"}}, "", billing, ""},
		{"support's membership of a shared agent", "m", nil, []acd.Membership{{Queue: "billing"}}, "", billing, acd.EInvalid},
		{"an agent of support only", "s", map[string]int{"en": 9}, nil, "", billing, acd.ENotFound},
		{"skills and phone of billing's own agent", "h", map[string]int{"en": 9}, nil, "PJSIP/h2", billing, ""},
		{"an admin changes anyone", "m", map[string]int{"en": 7}, nil, "PJSIP/m2", nil, ""},
	}
	for _, tt := range tests {
		err := r.UpdateAgent(ctx, tt.agent, tt.skills, tt.queues, tt.endpoint, tt.scope)
		if acd.ErrorCode(err) != tt.code {
			t.Errorf("%s: %v, want code %q", tt.name, err, tt.code)
		}
	}
	if v, _ := r.Agent(ctx, "m"); v.Endpoint != "PJSIP/m2" || v.Skills["en"] != 7 || v.Queues[0].Penalty != 2 {
		t.Fatalf("m after the changes: %+v", v)
	}
	if v, _ := r.Agent(ctx, "h"); v.Endpoint != "PJSIP/h2" || v.Skills["en"] != 9 {
		t.Fatalf("h after the changes: %+v", v)
	}
}

// An agent may be put only on a phone the site lists (desk_endpoints, and the daemon adds the
// configured agents' phones): without a list, none, since "a phone without @" takes in trunks
// (PJSIP/carrier) and would let a desktop user have the router dial anywhere.
func TestEndpointAllowed(t *testing.T) {
	for _, tt := range []struct {
		ep       string
		patterns []string
		ok       bool
	}{
		{"PJSIP/1001", nil, false},
		{"PJSIP/carrier", nil, false},
		{"PJSIP/+4930123456@carrier", nil, false},
		{"PJSIP/1001@pbx-2", nil, false},
		{"Local/+4930123456@from-internal", nil, false},
		{"PJSIP/1001", []string{"PJSIP/1*"}, true},
		{"PJSIP/2001", []string{"PJSIP/1*"}, false},
		{"PJSIP/1001@pbx-2", []string{"PJSIP/1*", "PJSIP/*@pbx-2"}, true},
		{"PJSIP/+4930@carrier", []string{"PJSIP/*@pbx-2"}, false},
	} {
		err := EndpointAllowed(tt.ep, tt.patterns)
		if (err == nil) != tt.ok {
			t.Errorf("EndpointAllowed(%q, %q) = %v, want ok %v", tt.ep, tt.patterns, err, tt.ok)
		}
		if err != nil && acd.ErrorCode(err) != acd.EInvalid {
			t.Errorf("EndpointAllowed(%q): code %q", tt.ep, acd.ErrorCode(err))
		}
	}
}

// lastStates is an Agents that knows only where the agents stood.
type lastStates func(string) (acd.AgentState, string, bool)

func (f lastStates) LastState(id string) (acd.AgentState, string, bool) { return f(id) }

func (lastStates) KeepRequest(context.Context, string, *AgentRequest) error { return nil }

func (lastStates) PendingRequest(string) (AgentRequest, bool) { return AgentRequest{}, false }
