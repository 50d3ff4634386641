package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/crm"
	"switchboard/internal/screenpop"
	"switchboard/recording"
)

// memCRM is an in-memory CRM applying the crm package's rules; the PostgreSQL one is tested in
// internal/store and through the daemon.
type memCRM struct {
	mu           sync.Mutex
	customers    []crm.Customer
	tickets      []crm.Ticket
	callAgent    map[string]string // call id → the agent who took it
	callCustomer map[string]int64  // call id → the customer it is from
	interactions []crm.Interaction
}

func newMemCRM() *memCRM {
	return &memCRM{callAgent: map[string]string{}, callCustomer: map[string]int64{}}
}

func (m *memCRM) SearchCustomers(_ context.Context, q crm.CustomerQuery) ([]crm.Customer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []crm.Customer
	for _, c := range m.customers {
		if (q.Q == "" || strings.Contains(strings.ToLower(c.Name), strings.ToLower(q.Q))) &&
			(q.Phone == "" || slices.Contains(c.Phones, q.Phone)) && (q.Account == "" || slices.Contains(c.Accounts, q.Account)) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (m *memCRM) Customer(_ context.Context, id int64) (*crm.Customer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.customers {
		if c.ID == id {
			return &c, nil
		}
	}
	return nil, errNotFound
}

func (m *memCRM) CreateCustomer(_ context.Context, c crm.Customer) (*crm.Customer, error) {
	if err := c.Normalize("49"); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c.ID = int64(len(m.customers) + 1)
	m.customers = append(m.customers, c)
	return &c, nil
}

func (m *memCRM) UpdateCustomer(_ context.Context, id int64, p crm.CustomerPatch) (*crm.Customer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, c := range m.customers {
		if c.ID == id {
			next, err := p.Apply(c, "49")
			if err != nil {
				return nil, err
			}
			m.customers[i] = next
			return &next, nil
		}
	}
	return nil, errNotFound
}

func (m *memCRM) Tickets(_ context.Context, q crm.TicketQuery) ([]crm.Ticket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []crm.Ticket
	for _, t := range m.tickets {
		if (q.CustomerID == 0 || t.CustomerID == q.CustomerID) && (q.Status == "" || t.Status == q.Status) &&
			(q.CallID == "" || slices.Contains(t.Calls, q.CallID)) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (m *memCRM) ticket(id int64) *crm.Ticket {
	for i := range m.tickets {
		if m.tickets[i].ID == id {
			return &m.tickets[i]
		}
	}
	return nil
}

func (m *memCRM) Ticket(_ context.Context, id int64) (*crm.Ticket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t := m.ticket(id); t != nil {
		c := *t
		return &c, nil
	}
	return nil, errNotFound
}

func (m *memCRM) CreateTicket(_ context.Context, nt crm.NewTicket) (*crm.Ticket, error) {
	if err := nt.Check(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if nt.CustomerID > int64(len(m.customers)) {
		return nil, errNotFound
	}
	t := crm.Ticket{ID: int64(len(m.tickets) + 1), CustomerID: nt.CustomerID, Subject: nt.Subject, Status: crm.New,
		Priority: nt.Priority, Owner: nt.Owner, CreatedAt: time.Now()}
	if nt.CallID != "" {
		t.Calls = []string{nt.CallID}
	}
	m.tickets = append(m.tickets, t)
	return &t, nil
}

func (m *memCRM) UpdateTicket(_ context.Context, id int64, p crm.TicketPatch) (*crm.Ticket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.ticket(id)
	if t == nil {
		return nil, errNotFound
	}
	next, err := p.Apply(*t, time.Now())
	if err != nil {
		return nil, err
	}
	*t = next
	return &next, nil
}

func (m *memCRM) LinkCall(_ context.Context, id int64, call string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.ticket(id)
	if t == nil {
		return errNotFound
	}
	if !slices.Contains(t.Calls, call) {
		t.Calls = append(t.Calls, call)
	}
	return nil
}

func (m *memCRM) TicketOfCallCustomer(_ context.Context, id int64, call string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.ticket(id)
	return t != nil && m.callCustomer[call] == t.CustomerID, nil
}

func (m *memCRM) LastInteractions(_ context.Context, id int64, n int) ([]crm.Interaction, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []crm.Interaction
	for _, i := range m.interactions {
		if i.CustomerID == id && len(out) < n {
			out = append(out, i)
		}
	}
	return out, nil
}

func (m *memCRM) CallHandledBy(_ context.Context, call, agent string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return agent != "" && m.callAgent[call] == agent, nil
}

// newCRMSite: alice (agent 1001) took call c1, bob (1002) took c2; sue supervises billing; root.
func newCRMSite(t *testing.T) (*recSite, *memCRM) {
	users := testUsers("sue", "root", "alice", "bob")
	m := newMemCRM()
	m.callAgent["c1"], m.callAgent["c2"] = "1001", "1002"
	logs := &bytes.Buffer{}
	ts := httptest.NewServer(Handler(Options{Users: users, Live: func() Live { return Live{} }, CRM: m,
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: logs}, nil))}))
	t.Cleanup(ts.Close)
	return &recSite{site: &site{t: t, ts: ts, logs: logs}, users: users}, m
}

// call sends a JSON request with the session's CSRF token (csrf "" sends none) and decodes
// the answer into out when given; it returns the status and the error code, if any.
func (s *recSite) call(c *http.Client, method, path, csrf, body string, out any) (int, string) {
	s.t.Helper()
	code, b := s.send(c, method, path, csrf, body)
	if code >= 400 {
		var e apiError
		if err := json.Unmarshal([]byte(b), &e); err != nil || e.Error.Code == "" {
			s.t.Fatalf("%s %s: %d without the error shape: %s", method, path, code, b)
		}
		return code, e.Error.Code
	}
	if out != nil {
		if err := json.Unmarshal([]byte(b), out); err != nil {
			s.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return code, ""
}

func TestCRMCustomerRoutes(t *testing.T) {
	s, _ := newCRMSite(t)
	alice, root := s.as("alice"), s.as("root")
	ac := s.csrf("alice")
	var c crm.Customer
	if code, _ := s.call(alice, "POST", "/api/customers", ac, `{"name":"Anna","phones":["030 123456"],"accounts":["A-1"],"segment":"vip"}`, &c); code != 201 ||
		c.ID != 1 || !slices.Equal(c.Phones, []string{"+4930123456"}) || c.Segment != crm.VIP {
		t.Fatalf("create: %d %+v", code, c)
	}
	for _, tt := range []struct {
		method, path, csrf, body string
		code                     int
		errCode                  string
	}{
		{"POST", "/api/customers", "", `{"name":"B"}`, 403, CodeCSRF},
		{"POST", "/api/customers", "forged", `{"name":"B"}`, 403, CodeCSRF},
		{"POST", "/api/customers", ac, `{"name":`, 400, CodeInvalid},
		{"POST", "/api/customers", ac, `{"name":"B","email":"b@x"}`, 400, CodeInvalid},
		{"POST", "/api/customers", ac, `{"name":""}`, 422, CodeInvalid},
		{"POST", "/api/customers", ac, `{"name":"B","phones":["call me"]}`, 422, CodeInvalid},
		{"POST", "/api/customers", ac, `{"name":"B","segment":"gold"}`, 422, CodeInvalid},
		{"PATCH", "/api/customers/1", "", `{"notes":"x"}`, 403, CodeCSRF},
		{"PATCH", "/api/customers/9", ac, `{"notes":"x"}`, 404, CodeNotFound},
		{"PATCH", "/api/customers/1", ac, `{"name":" "}`, 422, CodeInvalid},
		{"GET", "/api/customers/9", "", "", 404, CodeNotFound},
		{"GET", "/api/customers/abc", "", "", 404, CodeNotFound},
		{"GET", "/api/customers?limit=0", "", "", 400, CodeInvalid},
	} {
		if code, errCode := s.call(alice, tt.method, tt.path, tt.csrf, tt.body, nil); code != tt.code || errCode != tt.errCode {
			t.Errorf("%s %s %s: %d %q, want %d %q", tt.method, tt.path, tt.body, code, errCode, tt.code, tt.errCode)
		}
	}
	if code, _ := s.call(root, "PATCH", "/api/customers/1", s.csrf("root"), `{"notes":"prefers email","accounts":["A-1","A-2"]}`, &c); code != 200 ||
		c.Notes != "prefers email" || len(c.Accounts) != 2 || c.Name != "Anna" {
		t.Fatalf("patch: %d %+v", code, c)
	}
	var got struct{ Customers []crm.Customer }
	if code, _ := s.call(s.as("sue"), "GET", "/api/customers?q=ann&account=A-2", "", "", &got); code != 200 || len(got.Customers) != 1 {
		t.Fatalf("search: %d %+v", code, got)
	}
	if code, _ := s.call(alice, "GET", "/api/customers?phone=%2B4930999", "", "", &got); code != 200 || got.Customers == nil || len(got.Customers) != 0 {
		t.Fatalf("search nobody: %d %+v", code, got)
	}
	if code, errCode := s.call(s.client(), "GET", "/api/customers", "", "", nil); code != 401 || errCode != CodeUnauthorized {
		t.Fatalf("no session: %d", code)
	}
}

func TestCRMTicketRoutes(t *testing.T) {
	s, m := newCRMSite(t)
	m.CreateCustomer(context.Background(), crm.Customer{Name: "Anna"})
	alice, bob, sue := s.as("alice"), s.as("bob"), s.as("sue")
	ac, bc, sc := s.csrf("alice"), s.csrf("bob"), s.csrf("sue")

	var tk crm.Ticket
	if code, _ := s.call(alice, "POST", "/api/tickets", ac, `{"customer_id":1,"subject":"Refund","priority":3,"call_id":"c1"}`, &tk); code != 201 ||
		tk.Owner != "1001" || tk.Status != crm.New || !slices.Equal(tk.Calls, []string{"c1"}) {
		t.Fatalf("alice opens a ticket on her call: %d %+v", code, tk)
	}
	steps := []struct {
		who                *http.Client
		csrf, method, path string
		body               string
		code               int
		errCode            string
	}{
		{alice, ac, "POST", "/api/tickets", `{"customer_id":1,"subject":"x","call_id":"c2"}`, 403, CodeForbidden}, // bob's call
		{alice, "", "POST", "/api/tickets", `{"customer_id":1,"subject":"x"}`, 403, CodeCSRF},
		{alice, ac, "POST", "/api/tickets", `{"customer_id":1,"subject":""}`, 422, CodeInvalid},
		{alice, ac, "POST", "/api/tickets", `{"customer_id":1,"subject":"x","priority":12}`, 422, CodeInvalid},
		{alice, ac, "POST", "/api/tickets", `{"customer_id":7,"subject":"x"}`, 404, CodeNotFound},
		{alice, ac, "POST", "/api/tickets", `{"customer_id":"1","subject":"x"}`, 400, CodeInvalid},
		{bob, bc, "PATCH", "/api/tickets/1", `{"status":"open"}`, 403, CodeForbidden}, // not his
		{bob, bc, "PATCH", "/api/tickets/9", `{"status":"open"}`, 404, CodeNotFound},
		{bob, bc, "POST", "/api/tickets/1/calls", `{"call_id":"c1"}`, 403, CodeForbidden}, // alice's call
		{bob, bc, "POST", "/api/tickets/1/calls", `{"call_id":""}`, 422, CodeInvalid},
		{bob, bc, "POST", "/api/tickets/1/calls", `{"call_id":"c2"}`, 403, CodeForbidden}, // his call, not from Anna
		{bob, bc, "PATCH", "/api/tickets/1", `{"status":"open"}`, 403, CodeForbidden},     // still not his
		{alice, ac, "PATCH", "/api/tickets/1", `{"status":"open"}`, 200, ""},              // hers
		{alice, ac, "PATCH", "/api/tickets/1", `{"status":"new"}`, 409, CodeConflict},     // the workflow refuses
		{alice, ac, "PATCH", "/api/tickets/1", `{"status":"done"}`, 422, CodeInvalid},     // unknown status
		{alice, "", "PATCH", "/api/tickets/1", `{"status":"resolved"}`, 403, CodeCSRF},    // no token
		{alice, bc, "PATCH", "/api/tickets/1", `{"status":"resolved"}`, 403, CodeCSRF},    // someone else's token
		{alice, ac, "PATCH", "/api/tickets/1", `{"status":"resolved"}`, 200, ""},          // hers
		{sue, sc, "PATCH", "/api/tickets/1", `{"status":"open","owner":"1003"}`, 200, ""}, // supervisors change any
		{sue, sc, "POST", "/api/tickets/1/calls", `{"call_id":"c9"}`, 200, ""},
		{sue, sc, "POST", "/api/tickets/5/calls", `{"call_id":"c9"}`, 404, CodeNotFound},
		{sue, "", "GET", "/api/tickets?status=bogus", "", 400, CodeInvalid},
		{sue, "", "GET", "/api/tickets?customer_id=x", "", 400, CodeInvalid},
		{sue, "", "GET", "/api/tickets/x", "", 404, CodeNotFound},
	}
	for i, st := range steps {
		if code, errCode := s.call(st.who, st.method, st.path, st.csrf, st.body, nil); code != st.code || errCode != st.errCode {
			t.Errorf("step %d %s %s %s: %d %q, want %d %q", i, st.method, st.path, st.body, code, errCode, st.code, st.errCode)
		}
	}
	if code, _ := s.call(alice, "GET", "/api/tickets/1", "", "", &tk); code != 200 || tk.Status != crm.Open || tk.Reopened != 1 ||
		tk.Owner != "1003" || !slices.Equal(tk.Calls, []string{"c1", "c9"}) {
		t.Fatalf("ticket after the steps: %d %+v", code, tk)
	}
	var list struct{ Tickets []crm.Ticket }
	if code, _ := s.call(bob, "GET", "/api/tickets?customer_id=1&status=open&call_id=c9", "", "", &list); code != 200 || len(list.Tickets) != 1 {
		t.Fatalf("list: %d %+v", code, list)
	}
}

// TestAgentCannotTakeOverTickets: linking one's call to a ticket does not make it one's own.
// An agent links their call only to a ticket of the call's customer (the route and the
// wrap-up alike), and changes only the tickets they own.
func TestAgentCannotTakeOverTickets(t *testing.T) {
	users := testUsers("sue", "alice", "bob")
	m := newMemCRM()
	ctx := context.Background()
	m.CreateCustomer(ctx, crm.Customer{Name: "Anna"})
	m.CreateCustomer(ctx, crm.Customer{Name: "Ben"})
	m.callAgent["c1"], m.callCustomer["c1"] = "1001", 1 // alice's call from Anna
	m.callAgent["c2"], m.callCustomer["c2"] = "1002", 2 // bob's call from Ben
	m.callAgent["c3"], m.callCustomer["c3"] = "1002", 1 // bob's call from Anna
	annas, _ := m.CreateTicket(ctx, crm.NewTicket{CustomerID: 1, Subject: "Anna's refund", Owner: "1001", CallID: "c1"})
	hub := screenpop.New(screenpop.Options{Logger: slog.New(slog.DiscardHandler)})
	desk := &memDesk{handled: map[string]string{"c2": "1002", "c3": "1002"}}
	ts := httptest.NewServer(Handler(Options{Users: users, Live: func() Live { return Live{} }, CRM: m, Pops: hubPops(hub),
		Desk:   deskOf(&screenpop.Desk{Store: desk, Dispositions: []string{"resolved"}, Tickets: m}),
		Logger: slog.New(slog.DiscardHandler)}))
	t.Cleanup(ts.Close)
	s := &recSite{site: &site{t: t, ts: ts}, users: users}
	bob, bc := s.as("bob"), ""
	bc = s.csrf("bob")
	ticket := fmt.Sprintf("/api/tickets/%d", annas.ID)
	for _, st := range []struct {
		name, method, path, body string
		code                     int
		errCode                  string
	}{
		{"link his call from another customer", "POST", ticket + "/calls", `{"call_id":"c2"}`, 403, CodeForbidden},
		{"wrap up naming another customer's ticket", "POST", "/api/calls/c2/wrapup", fmt.Sprintf(`{"disposition":"resolved","ticket_id":%d}`, annas.ID), 403, CodeForbidden},
		{"wrap up naming no ticket that exists", "POST", "/api/calls/c2/wrapup", `{"disposition":"resolved","ticket_id":99}`, 422, CodeInvalid},
		{"link his call from the ticket's customer", "POST", ticket + "/calls", `{"call_id":"c3"}`, 200, ""},
		{"take the ticket over after the link", "PATCH", ticket, `{"owner":"1002"}`, 403, CodeForbidden},
		{"change it after the link", "PATCH", ticket, `{"status":"open"}`, 403, CodeForbidden},
		{"wrap up naming the customer's ticket", "POST", "/api/calls/c3/wrapup", fmt.Sprintf(`{"disposition":"resolved","ticket_id":%d}`, annas.ID), 204, ""},
	} {
		if code, errCode := s.call(bob, st.method, st.path, bc, st.body, nil); code != st.code || errCode != st.errCode {
			t.Errorf("%s: %d %q, want %d %q", st.name, code, errCode, st.code, st.errCode)
		}
	}
	if got, _ := m.Ticket(ctx, annas.ID); got.Owner != "1001" || got.Status != crm.New || slices.Contains(got.Calls, "c2") {
		t.Fatalf("Anna's ticket after bob's tries: %+v", got)
	}
	sue := s.as("sue")
	if code, errCode := s.call(sue, "PATCH", ticket, s.csrf("sue"), `{"owner":"1002"}`, nil); code != 200 {
		t.Fatalf("a supervisor reassigns the ticket: %d %q", code, errCode)
	}
	if code, errCode := s.call(bob, "PATCH", ticket, bc, `{"status":"open"}`, nil); code != 200 {
		t.Fatalf("bob, now its owner, changes it: %d %q", code, errCode)
	}
}

// TestTicketRecordingsInTheViewersScope: a ticket lists the recordings of its calls that the
// viewer may hear (an agent their own calls', a supervisor their queues', an admin all): the
// names of the others tell call ids and dates outside the viewer's scope.
func TestTicketRecordingsInTheViewersScope(t *testing.T) {
	s, m := newCRMSite(t)
	ctx := context.Background()
	m.CreateCustomer(ctx, crm.Customer{Name: "Anna"})
	tk, _ := m.CreateTicket(ctx, crm.NewTicket{CustomerID: 1, Subject: "Refund", Owner: "1001", CallID: "c1"})
	m.mu.Lock()
	m.ticket(tk.ID).Calls = []string{"c1", "c2"}
	m.ticket(tk.ID).Recordings = []recording.Recording{
		{Name: "call-c1", CallID: "c1", Queue: "billing", Agent: "1001"},
		{Name: "call-c2", CallID: "c2", Queue: "support", Agent: "1002"},
	}
	m.mu.Unlock()
	as := s.signedIn()
	for _, tt := range []struct {
		user string
		want string
	}{{"alice", "call-c1"}, {"bob", "call-c2"}, {"sue", "call-c1"}, {"root", "call-c1,call-c2"}} {
		c := as(tt.user)
		var got crm.Ticket
		if code, _ := s.call(c, "GET", fmt.Sprintf("/api/tickets/%d", tk.ID), "", "", &got); code != 200 {
			t.Fatalf("%s reads the ticket: %d", tt.user, code)
		}
		var names []string
		for _, r := range got.Recordings {
			names = append(names, r.Name)
		}
		if strings.Join(names, ",") != tt.want {
			t.Errorf("%s sees recordings %v, want %s", tt.user, names, tt.want)
		}
	}
	// The ticket an owner changes comes back filtered too.
	alice := as("alice")
	var got crm.Ticket
	if code, _ := s.call(alice, "PATCH", fmt.Sprintf("/api/tickets/%d", tk.ID), s.csrf("alice"), `{"priority":4}`, &got); code != 200 ||
		len(got.Recordings) != 1 || got.Recordings[0].Name != "call-c1" {
		t.Errorf("alice's patch answers recordings %+v (%d)", got.Recordings, code)
	}
}

// TestCRMRefusalsSpeak: the customer records' refusals say precisely what is wrong, in the
// reader's language, not the code's generic sentence.
func TestCRMRefusalsSpeak(t *testing.T) {
	s, m := newCRMSite(t)
	m.CreateCustomer(context.Background(), crm.Customer{Name: "Anna"})
	alice, bob := s.as("alice"), s.as("bob")
	ac, bc := s.csrf("alice"), s.csrf("bob")
	if code, _ := s.call(alice, "POST", "/api/tickets", ac, `{"customer_id":1,"subject":"Refund","call_id":"c1"}`, nil); code != 201 {
		t.Fatalf("alice opens a ticket: %d", code)
	}
	for _, c := range []struct {
		who                      *http.Client
		csrf, method, path, body string
		key                      string
	}{
		{bob, bc, "PATCH", "/api/tickets/1", `{"status":"open"}`, "desk.err.not_your_ticket"},
		{alice, ac, "POST", "/api/tickets", `{"customer_id":1,"subject":"x","call_id":"c2"}`, "desk.err.not_your_call"},
		{bob, bc, "POST", "/api/tickets/1/calls", `{"call_id":"c2"}`, "desk.err.ticket_other_customer"},
		{bob, "", "GET", "/api/tickets?status=bogus", "", "desk.err.ticket_status"},
		{bob, "", "GET", "/api/tickets?customer_id=x", "", "desk.err.customer_id"},
		{bob, "", "GET", "/api/customers?limit=0", "", "desk.err.limit"},
		{bob, "", "GET", "/api/tickets/9", "", "desk.err.ticket_not_found"},
		{bob, "", "GET", "/api/customers/9", "", "desk.err.customer_not_found"},
	} {
		for _, lang := range []string{"en", "ru"} {
			req, _ := http.NewRequest(c.method, s.ts.URL+c.path, strings.NewReader(c.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept-Language", lang)
			if c.csrf != "" {
				req.Header.Set("X-CSRF-Token", c.csrf)
			}
			resp, err := c.who.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var e apiError
			err = json.NewDecoder(resp.Body).Decode(&e)
			resp.Body.Close()
			if want := T(lang, c.key); err != nil || e.Error.Message != want || want == c.key {
				t.Errorf("%s %s (%s): %d %q, want %q", c.method, c.path, lang, resp.StatusCode, e.Error.Message, want)
			}
		}
	}
}
