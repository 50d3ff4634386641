package web

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"switchboard/crm"
	"switchboard/internal/router"
	"switchboard/internal/screenpop"
	"switchboard/internal/store"
	"switchboard/internal/testkit"
)

// An agent dials for themselves only: the session says who; a supervisor cannot; a number or
// a customer's phone; the router's refusals come back with their sentence.
func TestDialRoutes(t *testing.T) {
	users := testUsers("sue", "alice", "bob")
	fake := &fakeControls{}
	m := newMemCRM()
	m.customers = []crm.Customer{{ID: 7, Name: "Ada", Phones: []string{"+4930123456"}}, {ID: 8, Name: "Nophone"}}
	logs := &bytes.Buffer{}
	ts := httptest.NewServer(Handler(Options{Users: users, Live: func() Live { return Live{} }, Controls: fake, CRM: m,
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: logs}, nil))}))
	t.Cleanup(ts.Close)
	s := &recSite{site: &site{t: t, ts: ts, logs: logs}, users: users}
	alice, bob, sue := s.as("alice"), s.as("bob"), s.as("sue")
	for _, tt := range []struct {
		c          *http.Client
		user, body string
		code       int
		asked      string
		says       string // part of the answer
	}{
		{alice, "alice", `{"number":"+49 30 123456"}`, http.StatusAccepted, "1001 dial +49 30 123456", `"state":"agent"`},
		{alice, "alice", `{"customer":7}`, http.StatusAccepted, "1001 dial +4930123456", `"call":"ast1-sb-ob-1-c"`},
		{alice, "alice", `{"customer":8}`, http.StatusUnprocessableEntity, "", "no phone number"},
		{alice, "alice", `{"customer":99}`, http.StatusNotFound, "", ""},
		{alice, "alice", `{}`, http.StatusUnprocessableEntity, "", "Enter a number"},
		{alice, "alice", `{"number":"bad"}`, http.StatusUnprocessableEntity, "1001 dial bad", "digits only"},
		{alice, "alice", `{"number":"+4930123456","agent":"1002"}`, http.StatusBadRequest, "", ""},
		{bob, "bob", `{"number":"+4930123456"}`, http.StatusConflict, "1002 dial +4930123456", "dial after it"},
		{sue, "sue", `{"number":"+4930123456"}`, http.StatusForbidden, "", ""},
	} {
		fake.mu.Lock()
		fake.asked = nil
		fake.mu.Unlock()
		code, body := s.send(tt.c, "POST", "/api/desk/call/dial", s.csrf(tt.user), tt.body)
		if code != tt.code || !strings.Contains(body, tt.says) {
			t.Errorf("%s %s: %d %s, want %d with %q", tt.user, tt.body, code, body, tt.code, tt.says)
		}
		fake.mu.Lock()
		if got := strings.Join(fake.asked, ";"); got != tt.asked {
			t.Errorf("%s %s: asked %q, want %q", tt.user, tt.body, got, tt.asked)
		}
		fake.mu.Unlock()
	}
	if code, _ := s.send(alice, "POST", "/api/desk/call/dial", "", `{"number":"+4930123456"}`); code != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %d", code)
	}
	if code, body := s.send(alice, "GET", "/api/desk/call/dial", "", ""); code != http.StatusOK || !strings.Contains(body, `"number":"+4930123456"`) {
		t.Fatalf("alice's dial: %d %s", code, body)
	}
	if code, body := s.send(bob, "GET", "/api/desk/call/dial", "", ""); code != http.StatusOK || !strings.Contains(body, `"state":""`) {
		t.Fatalf("bob, who dialed nothing: %d %s", code, body)
	}
	if code, _ := s.send(sue, "GET", "/api/desk/call/dial", "", ""); code != http.StatusForbidden {
		t.Fatalf("a supervisor: %d", code)
	}
}

// A customer's page offers an agent to call each of the customer's phones; a supervisor, who
// does not dial, is offered nothing.
func TestCustomerPageOffersDial(t *testing.T) {
	var m *store.CRM
	s := newStoreSiteWith(t, func(o *Options, st *store.Store) {
		m = st.CRM(store.CRMOptions{HomeCountry: "49"})
		o.CRM, o.Controls, o.Desktop = m, &fakeControls{}, newMemDesktop()
	})
	c, err := m.CreateCustomer(context.Background(), crm.Customer{Name: "Ada", Phones: []string{"+4930111222"}})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/customers/%d", c.ID)
	if _, page := s.get(s.signIn("alice").c, path); !strings.Contains(page, `class="customer-dial" data-number="&#43;4930111222"`) ||
		!strings.Contains(page, "/assets/dial.js") {
		t.Fatalf("agent's customer page:\n%s", page)
	}
	if _, page := s.get(s.signIn("sue").c, path); strings.Contains(page, "customer-dial") || strings.Contains(page, "dial.js") {
		t.Fatalf("supervisor's customer page offers to dial:\n%s", page)
	}
}

// The agent's pop stream carries each change of the agent's own dial as a "dial" event, so
// that the desktop follows a dial without asking; another agent's dial is not sent.
func TestDialChangesOnThePopStream(t *testing.T) {
	users := testUsers("alice", "bob")
	fake := &fakeControls{}
	hub := screenpop.New(screenpop.Options{Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go hub.Run(ctx)
	logs := &bytes.Buffer{}
	ts := httptest.NewServer(Handler(Options{Users: users, Live: func() Live { return Live{} }, Controls: fake, Pops: hubPops(hub),
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: logs}, nil))}))
	t.Cleanup(ts.Close)
	s := &recSite{site: &site{t: t, ts: ts, logs: logs}, users: users}
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/agent/pop/stream", nil)
	resp, err := s.as("alice").Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("alice's stream: %v %v", resp, err)
	}
	defer resp.Body.Close()
	events := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		name := ""
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				name = v
			} else if v, ok := strings.CutPrefix(sc.Text(), "data: "); ok && name == "dial" {
				events <- v
			}
		}
	}()
	// The stream is open once its first pop is written; the feed then has alice's subscriber.
	testkit.Eventually(t, "alice's stream subscribed to her dials", func() bool {
		fake.dialChanged("1002", router.DialStatus{Call: "ast1-sb-ob-9-c", Number: "+4930999", State: router.DialAgentRinging})
		fake.dialChanged("1001", router.DialStatus{Call: "ast1-sb-ob-1-c", Number: "+4930123456", State: router.DialCustomerRinging})
		select {
		case e := <-events:
			if e != `{"call":"ast1-sb-ob-1-c","number":"+4930123456","state":"customer"}` {
				t.Fatalf("first dial event: %s", e)
			}
			return true
		case <-time.After(50 * time.Millisecond):
			return false
		}
	})
	fake.dialChanged("1001", router.DialStatus{Call: "ast1-sb-ob-1-c", Number: "+4930123456", State: router.DialEnded, Reason: router.DialBusy})
	for {
		select {
		case e := <-events:
			if strings.Contains(e, "9-c") {
				t.Fatalf("bob's dial on alice's stream: %s", e)
			}
			if e == `{"call":"ast1-sb-ob-1-c","number":"+4930123456","state":"ended","reason":"busy"}` {
				return
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no ended dial event")
		}
	}
}
