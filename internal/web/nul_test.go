package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"switchboard/crm"
	"switchboard/internal/screenpop"
	"switchboard/internal/store"
)

// TestNULBytesAreClientErrors: a NUL byte in a path, a query parameter, a form field or a
// JSON string is the client's mistake (PostgreSQL text cannot hold it): 400, never a 503 and
// an ERROR in the log.
func TestNULBytesAreClientErrors(t *testing.T) {
	s := newStoreSiteWith(t, func(o *Options, st *store.Store) {
		c := st.CRM(store.CRMOptions{HomeCountry: "49"})
		o.CRM, o.Recordings, o.Callbacks = c, st, st
		o.Desk = deskOf(&screenpop.Desk{Store: st, Dispositions: []string{"resolved"}, Tickets: c})
	})
	ctx := context.Background()
	cu, err := s.st.CRM(store.CRMOptions{}).CreateCustomer(ctx, crm.Customer{Name: "Ada", Phones: []string{"+4930123456"}})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := s.st.CRM(store.CRMOptions{}).CreateTicket(ctx, crm.NewTicket{CustomerID: cu.ID, Subject: "line down"})
	if err != nil {
		t.Fatal(err)
	}
	root, alice := s.signIn("root"), s.signIn("alice")
	for _, tt := range []struct {
		who          *browser
		method, path string
		body         any
	}{
		{root, "GET", "/api/customers?q=a%00b", nil},
		{root, "GET", "/api/tickets?call_id=c%00", nil},
		{root, "GET", "/api/recordings?number=%00", nil},
		{root, "GET", "/api/callbacks?queue=billing%00", nil},
		{root, "GET", "/api/customers?q%00=a", nil},
		{root, "POST", "/api/customers", map[string]any{"name": "a\x00b"}},
		{root, "PATCH", "/api/customers/1", map[string]any{"notes": "x\x00"}},
		{root, "POST", "/api/tickets", map[string]any{"customer_id": cu.ID, "subject": "x\x00y"}},
		{root, "PATCH", "/api/tickets/1", map[string]any{"subject": "\x00"}},
		{alice, "POST", "/api/calls/c1/wrapup", map[string]any{"disposition": "resolved", "notes": "card \x00"}},
		{alice, "POST", "/api/calls/c%001/wrapup", map[string]any{"disposition": "resolved"}},
		{alice, "POST", "/api/calls/c%001/callback", map[string]any{}},
	} {
		if code, body := s.do(tt.who.c, tt.method, tt.path, tt.who.csrf, tt.body); code != http.StatusBadRequest || errCode(body) != CodeInvalid {
			t.Errorf("%s %s %v: %d %s, want 400 invalid", tt.method, tt.path, tt.body, code, body)
		}
	}
	// The login form too.
	c := s.client()
	code, page := s.get(c, "/login")
	m := csrfField.FindStringSubmatch(page)
	if code != 200 || m == nil {
		t.Fatalf("login page: %d", code)
	}
	resp, err := c.PostForm(s.ts.URL+"/login", url.Values{"csrf": {m[1]}, "username": {"ro\x00ot"}, "password": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("login with a NUL in the username: %d, want 400", resp.StatusCode)
	}
	if got, _ := s.st.CRM(store.CRMOptions{}).Ticket(ctx, tk.ID); got.Subject != "line down" {
		t.Errorf("ticket after the refused patch: %+v", got)
	}
	if strings.Contains(s.logs.String(), "level=ERROR") {
		t.Errorf("NUL bytes logged errors:\n%s", s.logs.String())
	}
}
