package main

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/config"
	"switchboard/internal/store"
)

// TestAgentPhonesFromTheSiteList: the phones an agent may be put on from the desktop or the
// wallboard are the site's: the configured agents' endpoints and what desk_endpoints allows,
// never "anything without @" (the carrier trunk is PJSIP/carrier). A phone stored earlier
// that the list no longer allows is not put back at a restart.
func TestAgentPhonesFromTheSiteList(t *testing.T) {
	t.Run("configured agents' phones only", func(t *testing.T) {
		_, d, _ := demoDaemon(t) // the demo has no desk_endpoints
		addAccounts(t, d, testAccount{name: "heidi", role: "agent", agent: "1008"})
		heidi := signedIn(t, d.addr, "heidi", "/agent")
		heidi.want("POST", "/api/agent/login", `{"endpoint":"PJSIP/carrier"}`, 422, "not one agents may use")
		heidi.want("POST", "/api/agent/login", `{"endpoint":"PJSIP/2008"}`, 422, "not one agents may use")
		heidi.want("POST", "/api/agent/login", `{"endpoint":"PJSIP/1003"}`, 409, "is in use by") // one phone, one agent
		if err := d.router.SetAgentState(context.Background(), "1003", acd.LoggedOut, ""); err != nil {
			t.Fatal(err)
		}
		heidi.want("POST", "/api/agent/login", `{"endpoint":"PJSIP/1003"}`, 200, `"endpoint":"PJSIP/1003"`)
	})
	_, d, _ := demoDaemon(t, func(c *config.Config) { c.DeskEndpoints = []string{"PJSIP/2*"} })
	ctx := context.Background()
	addAccounts(t, d, testAccount{name: "heidi", role: "agent", agent: "1008"},
		testAccount{name: "sue", role: "supervisor", queues: []string{"billing"}})
	heidi := signedIn(t, d.addr, "heidi", "/agent")
	sue := signedIn(t, d.addr, "sue", "/wallboard")
	heidi.want("POST", "/api/agent/login", `{"endpoint":"PJSIP/carrier"}`, 422, "not one agents may use")
	heidi.want("POST", "/api/agent/login", `{"endpoint":"PJSIP/9999"}`, 422, "not one agents may use")
	sue.want("PATCH", "/api/agents/1008", `{"endpoint":"PJSIP/carrier"}`, 422, "not one agents may use")
	if err := d.router.SetAgentState(ctx, "1003", acd.LoggedOut, ""); err != nil { // its agent leaves it
		t.Fatal(err)
	}
	heidi.want("POST", "/api/agent/login", `{"endpoint":"PJSIP/1003"}`, 200, `"endpoint":"PJSIP/1003"`) // a configured agent's phone
	heidi.want("POST", "/api/agent/login", `{"endpoint":"PJSIP/2008"}`, 200, `"endpoint":"PJSIP/2008"`) // desk_endpoints
	if v, _ := d.router.Agent(ctx, "1008"); v.Endpoint != "PJSIP/2008" {
		t.Fatalf("Heidi's phone: %q", v.Endpoint)
	}

	// An override stored before the list existed (or before it changed) is not applied.
	rc, err := routerConfig(d.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.store.SaveAgentOverride(ctx, store.AgentOverride{Agent: "1009", Endpoint: "PJSIP/carrier"}, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	agents, err := withOverrides(ctx, d.store, rc, d.log)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		switch a.ID {
		case "1009":
			if a.Endpoint != "PJSIP/1009" {
				t.Errorf("agent 1009 comes back on %q, want its configured PJSIP/1009", a.Endpoint)
			}
		case "1008":
			if a.Endpoint != "PJSIP/2008" {
				t.Errorf("agent 1008 comes back on %q, want the allowed PJSIP/2008", a.Endpoint)
			}
		}
	}
}

// TestDaemonHTTPLimits: the http: section's limits reach the daemon's server: an idle
// kept-alive connection is closed after idle_timeout.
func TestDaemonHTTPLimits(t *testing.T) {
	_, d, _ := demoDaemon(t, func(c *config.Config) { c.HTTP.IdleTimeout = 200 * time.Millisecond })
	c, err := net.Dial("tcp", d.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c) // the answer, then EOF when the server closes the idle connection
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the idle connection is still open after 10 s (read %q)", b)
	}
}
