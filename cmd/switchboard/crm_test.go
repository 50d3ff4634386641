package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/crm"
	"switchboard/internal/ariemu"
	"switchboard/internal/testkit"
)

// TestCRMThroughTheDaemon: a seeded customer calls billing (recorded); the caller is identified,
// the agent who took the call opens a ticket on it through the API and resolves it, another
// agent may not touch it, and the ticket shows the call's recording.
func TestCRMThroughTheDaemon(t *testing.T) {
	ctx := context.Background()
	emu, d, _ := demoDaemon(t)
	known, err := d.crm.SeedCRMDemo(ctx, crm.Demo(1, 40), d.crm.Now())
	if err != nil || len(known) != 40 || known[0] != crm.DemoPhone(0) {
		t.Fatalf("seed: %d numbers, %v", len(known), err)
	}
	cands, err := d.crmLive.Load().dir.Identify(ctx, known[0], "")
	if err != nil || len(cands) != 1 || cands[0].Segment != crm.VIP {
		t.Fatalf("identify %s: %+v %v", known[0], cands, err)
	}
	ch, err := emu.PlaceCaller(ariemu.Caller{Number: known[0], DID: "5552000", TalkTime: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	callID := "demo-" + ch
	testkit.Eventually(t, "recording indexed", func() bool { _, err := d.store.Recording(ctx, "call-"+callID); return err == nil })
	call, err := d.store.Call(ctx, callID)
	if err != nil || call.Agent == "" {
		t.Fatalf("call record %+v %v", call, err)
	}
	if call.Priority != 3 { // demo.yaml: vip: {priority_boost: 3}; billing's DID has priority 0
		t.Fatalf("a VIP caller routed with priority %d, want 3", call.Priority)
	}
	if call.Data["segment"] != "vip" || call.Data["customer"] != strconv.FormatInt(cands[0].ID, 10) {
		t.Fatalf("the call's row lacks the classification: %v", call.Data)
	}
	other := "1003"
	if call.Agent == other {
		other = "1008"
	}
	addAccounts(t, d, testAccount{name: "own", role: "agent", agent: call.Agent}, testAccount{name: "other", role: "agent", agent: other})
	own, otherC := login(t, d.addr, "own"), login(t, d.addr, "other")
	ownCSRF, otherCSRF := pageCSRF(t, own, d.addr), pageCSRF(t, otherC, d.addr)
	base := "http://" + d.addr

	var found struct{ Customers []crm.Customer }
	if code := apiCall(t, own, "GET", base+"/api/customers?phone="+strings.ReplaceAll(known[0], "+", "%2B"), "", "", &found); code != 200 ||
		len(found.Customers) != 1 || found.Customers[0].ID != cands[0].ID {
		t.Fatalf("search by phone: %d %+v", code, found)
	}
	var tk crm.Ticket
	body := `{"customer_id":` + strconv.FormatInt(cands[0].ID, 10) + `,"subject":"Invoice question","priority":4,"call_id":"` + callID + `"}`
	if code := apiCall(t, otherC, "POST", base+"/api/tickets", otherCSRF, body, nil); code != http.StatusForbidden {
		t.Fatalf("another agent opens a ticket on this call: %d", code)
	}
	if code := apiCall(t, own, "POST", base+"/api/tickets", ownCSRF, body, &tk); code != 201 || tk.Owner != call.Agent {
		t.Fatalf("open ticket: %d %+v", code, tk)
	}
	path := base + "/api/tickets/" + strconv.FormatInt(tk.ID, 10)
	if code := apiCall(t, otherC, "PATCH", path, otherCSRF, `{"status":"open"}`, nil); code != http.StatusForbidden {
		t.Fatalf("another agent changes it: %d", code)
	}
	if code := apiCall(t, own, "PATCH", path, ownCSRF, `{"status":"resolved"}`, &tk); code != 200 || tk.Status != crm.Resolved {
		t.Fatalf("resolve: %d %+v", code, tk)
	}
	if code := apiCall(t, otherC, "GET", path, "", "", &tk); code != 200 || len(tk.Recordings) != 1 || tk.Recordings[0].Name != "call-"+callID {
		t.Fatalf("ticket with its recording: %d %+v", code, tk)
	}
}
