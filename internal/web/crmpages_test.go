package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/crm"
	"switchboard/internal/store"
	"switchboard/recording"
)

// crmRuntimeKeys are the catalogue keys the customer and ticket pages build at run time.
func crmRuntimeKeys() []string {
	var out []string
	for _, st := range crm.Statuses {
		out = append(out, "crm.status."+string(st), "js.crm.status."+string(st))
	}
	for _, sg := range crm.Segments {
		out = append(out, "crm.segment."+string(sg))
	}
	for _, o := range []string{"answered", "abandoned", "transferred", "callback", "missed", "completed"} {
		out = append(out, "crm.outcome."+o)
	}
	return append(out, "js.crm.forbidden", "js.crm.conflict", "js.crm.invalid")
}

// crmStoreSite is the store site with the CRM and recordings of the store, a customer Anna
// with a call of alice's (1001, billing, recorded) and of bob's (1002, support, recorded),
// a ticket owned by alice and one by bob, and the center in Moscow.
func crmStoreSite(t *testing.T) (*storeSite, *crm.Customer, [2]*crm.Ticket) {
	t.Helper()
	var c *store.CRM
	s := newStoreSiteWith(t, func(o *Options, st *store.Store) {
		c = st.CRM(store.CRMOptions{HomeCountry: "49"})
		o.CRM, o.Recordings, o.Profiles, o.Desktop = c, st, st, newMemDesktop()
		o.TimeZone, _ = time.LoadLocation("Europe/Moscow")
	})
	ctx := context.Background()
	anna, err := c.CreateCustomer(ctx, crm.Customer{Name: "Anna Petrova", Phones: []string{"+4930111222"}, Accounts: []string{"A-77"}, Segment: crm.VIP})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateCustomer(ctx, crm.Customer{Name: "Boris"}); err != nil {
		t.Fatal(err)
	}
	// 21:30 UTC is 00:30 the next day in Moscow.
	at := time.Date(2026, 3, 9, 21, 30, 0, 0, time.UTC)
	for _, x := range []struct{ call, agent, queue string }{{"ast1-c1", "1001", "billing"}, {"ast1-c2", "1002", "support"}} {
		if err := c.RecordInteraction(ctx, crm.Interaction{CallID: x.call, Agent: x.agent, CustomerID: anna.ID, Queue: x.queue, At: at,
			Outcome: "answered", Wait: 12, Talk: 185}); err != nil {
			t.Fatal(err)
		}
		if err := s.st.IndexRecording(ctx, recording.Recording{Name: "call-" + x.call, CallID: x.call, Queue: x.queue, Agent: x.agent,
			Started: at, Duration: 185 * time.Second, Format: "wav", SHA256: "ab", Path: "/nowhere"}); err != nil {
			t.Fatal(err)
		}
	}
	var tk [2]*crm.Ticket
	for i, owner := range []string{"1001", "1002"} {
		if tk[i], err = c.CreateTicket(ctx, crm.NewTicket{CustomerID: anna.ID, Subject: "Case of " + owner, Owner: owner}); err != nil {
			t.Fatal(err)
		}
	}
	return s, anna, tk
}

func TestCustomerPages(t *testing.T) {
	s, anna, tk := crmStoreSite(t)
	alice, sue := s.signIn("alice"), s.signIn("sue")
	// Search by name, phone and account; a bad phone is said in words.
	for _, q := range []string{"q=petro", "phone=%2B4930111222", "account=A-77"} {
		code, page := s.get(alice.c, "/customers?"+q)
		if code != 200 || !strings.Contains(page, fmt.Sprintf(`<a href="/customers/%d">Anna Petrova</a>`, anna.ID)) || strings.Contains(page, "Boris") {
			t.Fatalf("search %s: %d\n%s", q, code, page)
		}
	}
	if code, page := s.get(alice.c, "/customers?phone=abc"); code != 200 || !strings.Contains(page, "That is not a phone number.") {
		t.Fatalf("bad phone: %d\n%s", code, page)
	}
	// The customer: contacts, tickets, calls, and only the recordings the reader may hear.
	path := fmt.Sprintf("/customers/%d", anna.ID)
	code, page := s.get(alice.c, path)
	for _, want := range []string{"Anna Petrova", "&#43;4930111222", "A-77", "VIP", "Case of 1001", "Case of 1002", `data-call="ast1-c1"`, `data-call="ast1-c2"`,
		`data-recording="call-ast1-c1"`, "3 min 5 s", "2026-03-10 00:30", `<meta name="viewport"`,
		`<td class="owner">Alice <span class="id">(1001)</span></td>`, `<td>Alice <span class="id">(1001)</span></td>`} {
		if !strings.Contains(page, want) {
			t.Errorf("alice's customer page lacks %q", want)
		}
	}
	if code != 200 || strings.Contains(page, `data-recording="call-ast1-c2"`) {
		t.Fatalf("alice hears bob's recording: %d\n%s", code, page)
	}
	// Alice changes her ticket only: the form is on hers alone, and the API agrees.
	if !strings.Contains(page, fmt.Sprintf(`<form class="change" data-ticket="%d">`, tk[0].ID)) || strings.Contains(page, fmt.Sprintf(`<form class="change" data-ticket="%d">`, tk[1].ID)) {
		t.Fatalf("alice's change forms:\n%s", page)
	}
	if code, _ := s.do(alice.c, "PATCH", fmt.Sprintf("/api/tickets/%d", tk[1].ID), alice.csrf, map[string]any{"status": "open"}); code != 403 {
		t.Fatalf("alice changes bob's ticket: %d", code)
	}
	_, page = s.get(sue.c, path)
	if !strings.Contains(page, `data-recording="call-ast1-c1"`) || strings.Contains(page, `data-recording="call-ast1-c2"`) ||
		!strings.Contains(page, fmt.Sprintf(`<form class="change" data-ticket="%d">`, tk[1].ID)) {
		t.Fatalf("sue (billing) sees:\n%s", page)
	}
	for _, p := range []string{"/customers/999", "/customers/x"} {
		if code, page := s.get(sue.c, p); code != 404 || !strings.Contains(page, "There is no such customer.") {
			t.Errorf("%s: %d\n%s", p, code, page)
		}
	}
}

func TestTicketsPage(t *testing.T) {
	s, anna, tk := crmStoreSite(t)
	alice := s.signIn("alice")
	if _, err := s.st.CRM(store.CRMOptions{}).UpdateTicket(context.Background(), tk[1].ID, crm.TicketPatch{Status: ptrTo(crm.Resolved)}); err != nil {
		t.Fatal(err)
	}
	code, page := s.get(alice.c, "/tickets?status=resolved")
	if code != 200 || !strings.Contains(page, "Case of 1002") || strings.Contains(page, "Case of 1001") {
		t.Fatalf("resolved: %d\n%s", code, page)
	}
	_, page = s.get(alice.c, "/tickets?mine=1")
	if !strings.Contains(page, "Case of 1001") || strings.Contains(page, "Case of 1002") ||
		!strings.Contains(page, `<td class="owner">Alice <span class="id">(1001)</span></td>`) {
		t.Fatalf("mine:\n%s", page)
	}
	_, page = s.get(alice.c, fmt.Sprintf("/tickets?customer_id=%d", anna.ID))
	// Only the workflow's next steps are offered: a new ticket may not go back to... new is itself.
	if !strings.Contains(page, "Tickets of") || !strings.Contains(page, `<option value="pending">pending</option>`) {
		t.Fatalf("by customer:\n%s", page)
	}
	for q, want := range map[string]string{"status=lost": "Unknown status.", "customer_id=x": "The customer number must contain digits only."} {
		if code, page := s.get(alice.c, "/tickets?"+q); code != 400 || !strings.Contains(page, want) {
			t.Errorf("%s: %d\n%s", q, code, page)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestProfile: a user's language beats the browser's and the cookie; their zone the center's;
// a bad zone is refused with a sentence.
func TestProfile(t *testing.T) {
	s, anna, _ := crmStoreSite(t)
	alice := s.signIn("alice")
	path := fmt.Sprintf("/customers/%d", anna.ID)
	_, page := s.get(alice.c, path)
	if !strings.Contains(page, "2026-03-10 00:30") { // the center's zone, Moscow
		t.Fatalf("center's zone:\n%s", page)
	}
	form := func(v url.Values) (int, string) {
		v.Set("csrf", alice.csrf)
		req, _ := http.NewRequest("POST", s.ts.URL+"/profile", strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		c := *alice.c
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := new(strings.Builder)
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	if code, page := form(url.Values{"language": {"en"}, "time_zone": {"Mars/Olympus"}}); code != 422 || !strings.Contains(page, `&#34;Mars/Olympus&#34; is not a time zone`) {
		t.Fatalf("bad zone: %d\n%s", code, page)
	}
	if code, _ := form(url.Values{"language": {"ru"}, "time_zone": {"Asia/Vladivostok"}}); code != 303 {
		t.Fatalf("save: %d", code)
	}
	req, _ := http.NewRequest("GET", s.ts.URL+path, nil)
	req.Header.Set("Accept-Language", "en")
	resp, err := alice.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b := new(strings.Builder)
	buf := make([]byte, 1<<16)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	resp.Body.Close()
	page = b.String()
	// Vladivostok is UTC+10: 21:30 UTC is 07:30 on the 10th; Russian writes dd.mm.yyyy, мин, с.
	for _, want := range []string{`<html lang="ru">`, "10.03.2026 07:30", "3 мин 5 с", "Клиент"} {
		if !strings.Contains(page, want) {
			t.Errorf("after the profile: no %q", want)
		}
	}
	if _, page := s.get(alice.c, "/profile"); !strings.Contains(page, `value="Asia/Vladivostok"`) || !strings.Contains(page, `<option value="ru" lang="ru" selected>`) {
		t.Fatalf("profile page:\n%s", page)
	}
	// The language switch changes the profile's language too.
	s.get(alice.c, "/profile?lang=en")
	if _, page := s.get(alice.c, "/profile"); !strings.Contains(page, `<html lang="en">`) {
		t.Fatalf("switch to English ignored:\n%s", page)
	}
}

func TestFormats(t *testing.T) {
	at := time.Date(2026, 3, 9, 21, 30, 5, 0, time.UTC)
	msk, _ := time.LoadLocation("Europe/Moscow")
	for _, c := range []struct{ got, want string }{
		{fmtWhen("ru", msk, at), "10.03.2026 00:30:05"},
		{fmtWhen("en", msk, at), "2026-03-10 00:30:05"},
		{fmtMinute("en", nil, at), "2026-03-09 21:30"},
		{fmtWhen("ru", nil, time.Time{}), "–"},
		{fmtSeconds("ru", 59.6), "60 с"},
		{fmtSeconds("en", 185), "3 min 5 s"},
		{fmtSeconds("ru", 185), "3 мин 5 с"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestFavicon: every page names the icon, and it is served.
func TestFavicon(t *testing.T) {
	s, _, _ := crmStoreSite(t)
	resp, err := http.Get(s.ts.URL + "/assets/favicon.svg")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("favicon: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
