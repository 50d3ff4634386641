package main

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"switchboard/crm"
	"switchboard/internal/ariemu"
	"switchboard/internal/screenpop"
	"switchboard/internal/store"
	"switchboard/internal/testkit"
)

// A known customer with an open ticket calls billing: the pop on the offered agent's feed
// names the customer and carries the open ticket (the crm enricher at work); the call then
// shows in the customer's interactions.
func TestPopCarriesCustomerAndTickets(t *testing.T) {
	ctx := context.Background()
	emu, d, _ := demoDaemon(t)
	known, err := d.crm.SeedCRMDemo(ctx, crm.Demo(1, 40), d.crm.Now())
	if err != nil {
		t.Fatal(err)
	}
	cands, err := d.crmLive.Load().dir.Identify(ctx, known[1], "")
	if err != nil || len(cands) != 1 {
		t.Fatalf("identify %s: %+v %v", known[1], cands, err)
	}
	cust := cands[0]
	tk, err := d.crm.CreateTicket(ctx, crm.NewTicket{CustomerID: cust.ID, Subject: "Refund pending", Priority: 3})
	if err != nil {
		t.Fatal(err)
	}
	open, err := d.crm.OpenTickets(ctx, cust.ID)
	if err != nil {
		t.Fatal(err)
	}
	clients, streams := agentPops(t, d, "1003", "1008", "1009") // billing's agents
	ch, err := emu.PlaceCaller(ariemu.Caller{Number: known[1], DID: "5552000", TalkTime: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	callID := "demo-" + ch
	deadline := time.After(15 * time.Second)
	for {
		var p screenpop.Pop
		select {
		case p = <-streams["1003"]:
		case p = <-streams["1008"]:
		case p = <-streams["1009"]:
		case <-deadline:
			t.Fatal("no pop with the customer")
		}
		if p.CallID != callID || len(p.Customers) == 0 {
			continue
		}
		if p.Customers[0].ID != cust.ID || p.Customers[0].Name != cust.Name || len(p.Tickets) != len(open) {
			t.Fatalf("pop customers %+v tickets %+v; want %d (%s) with %d open tickets", p.Customers, p.Tickets, cust.ID, cust.Name, len(open))
		}
		found := false
		for _, x := range p.Tickets {
			found = found || x.ID == tk.ID && x.Subject == "Refund pending"
		}
		if !found {
			t.Fatalf("pop tickets %+v lack ticket %d", p.Tickets, tk.ID)
		}
		break
	}

	// The finished call joins the customer's interactions, with the agent's disposition and
	// the caller's score.
	var last []crm.Interaction
	testkit.Eventually(t, "interaction recorded", func() bool {
		last, err = d.crm.LastInteractions(ctx, cust.ID, 5)
		return err == nil && len(last) == 1
	})
	i := last[0]
	if i.CallID != callID || i.Queue != "billing" || i.Agent == "" || i.Outcome != "answered" || i.Talk < 1.5 {
		t.Fatalf("interaction %+v", i)
	}
	// The wrap-up names the open ticket: it is linked to the call. A ticket that does not exist
	// is refused and nothing is stored.
	c := clients[i.Agent]
	csrf := pageCSRF(t, c, d.addr)
	url := "http://" + d.addr + "/api/calls/" + callID + "/wrapup"
	if code, body := apiSend(t, c, "POST", url, csrf, `{"disposition":"escalated","ticket_id":999999}`); code != 422 {
		t.Fatalf("wrap-up with a ticket that does not exist: %d %s", code, body)
	}
	if _, err := d.store.Wrapup(ctx, callID, i.Agent); !store.IsNotFound(err) {
		t.Fatalf("a refused wrap-up was stored: %v", err)
	}
	if code, body := apiSend(t, c, "POST", url, csrf, fmt.Sprintf(`{"disposition":"resolved","ticket_id":%d}`, tk.ID)); code != 204 {
		t.Fatalf("wrap-up: %d %s", code, body)
	}
	if got, err := d.crm.Ticket(ctx, tk.ID); err != nil || !slices.Contains(got.Calls, callID) {
		t.Fatalf("ticket after the wrap-up %+v %v", got, err)
	}
	if err := d.store.SaveCSAT(ctx, store.CSAT{CallID: callID, Agent: i.Agent, Queue: "billing", Score: 4, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if last, err = d.crm.LastInteractions(ctx, cust.ID, 5); err != nil || last[0].Disposition != "resolved" || last[0].CSAT != 4 {
		t.Fatalf("interaction after wrap-up and survey %+v %v", last, err)
	}
}
