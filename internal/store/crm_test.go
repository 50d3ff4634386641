package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"switchboard/crm"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
	"switchboard/recording"
)

// crmRig is the CRM store on a clock the test moves.
type crmRig struct {
	t   *testing.T
	s   *store.Store
	c   *store.CRM
	now time.Time
}

func newCRM(t *testing.T) *crmRig {
	r := &crmRig{t: t, s: store.New(pgtest.Pool(t)), now: t0}
	r.c = r.s.CRM(store.CRMOptions{HomeCountry: "49", Now: func() time.Time { return r.now }})
	return r
}

func (r *crmRig) customer(name string, phones, accounts []string, seg crm.Segment) *crm.Customer {
	r.t.Helper()
	c, err := r.c.CreateCustomer(context.Background(), crm.Customer{Name: name, Phones: phones, Accounts: accounts, Segment: seg})
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

func (r *crmRig) count(table string) int {
	r.t.Helper()
	var n int
	if err := r.s.Pool().QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		r.t.Fatal(err)
	}
	return n
}

func ids(cs []crm.Candidate) []int64 {
	var out []int64
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func TestCRMCustomers(t *testing.T) {
	ctx := context.Background()
	r := newCRM(t)
	anna := r.customer("  Anna Schmidt ", []string{"030 1234567", "+49 30 1234567", "+44 20 7946 0000"}, []string{"A-1"}, crm.VIP)
	if anna.Name != "Anna Schmidt" || !slices.Equal(anna.Phones, []string{"+49301234567", "+442079460000"}) ||
		anna.Segment != crm.VIP || !anna.CreatedAt.Equal(t0) {
		t.Fatalf("created %+v", anna)
	}
	boris := r.customer("Boris 100%_Petrov", []string{"+49301234567"}, []string{"B-7"}, "")
	family := r.customer("Chloé Martin", []string{"+33 1 23 45 67 89"}, []string{"A-1"}, crm.B2B)
	if boris.Segment != crm.Standard {
		t.Fatalf("default segment %q", boris.Segment)
	}

	// Bad input writes nothing.
	before := [3]int{r.count("customers"), r.count("customer_phones"), r.count("customer_accounts")}
	for _, bad := range []crm.Customer{
		{Name: ""},
		{Name: "X", Phones: []string{"+49301234567", "12ab"}},
		{Name: "X", Segment: "gold"},
		{Name: "X", Accounts: []string{"ok", " "}},
		{Name: "X", Language: "en; DROP"},
	} {
		if _, err := r.c.CreateCustomer(ctx, bad); !errors.Is(err, crm.ErrInvalid) {
			t.Errorf("create %+v: %v, want invalid", bad, err)
		}
	}
	if _, err := r.c.UpdateCustomer(ctx, anna.ID, crm.CustomerPatch{Name: ptr("Anna S."), Phones: &[]string{"nope"}}); !errors.Is(err, crm.ErrInvalid) {
		t.Fatalf("bad patch: %v", err)
	}
	if after := [3]int{r.count("customers"), r.count("customer_phones"), r.count("customer_accounts")}; after != before {
		t.Fatalf("rows %v after refused writes, were %v", after, before)
	}
	if got, _ := r.c.Customer(ctx, anna.ID); got.Name != "Anna Schmidt" {
		t.Fatalf("refused patch changed the name: %q", got.Name)
	}
	if _, err := r.c.UpdateCustomer(ctx, 9999, crm.CustomerPatch{Name: ptr("x")}); !store.IsNotFound(err) {
		t.Fatalf("patch unknown: %v", err)
	}

	r.now = t0.Add(time.Hour)
	got, err := r.c.UpdateCustomer(ctx, boris.ID, crm.CustomerPatch{Notes: ptr("prefers email"), Accounts: &[]string{"B-7", "B-8"}})
	if err != nil || got.Notes != "prefers email" || !slices.Equal(got.Accounts, []string{"B-7", "B-8"}) ||
		!slices.Equal(got.Phones, []string{"+49301234567"}) || !got.UpdatedAt.Equal(r.now) {
		t.Fatalf("patched %+v, %v", got, err)
	}

	for _, tt := range []struct {
		q    crm.CustomerQuery
		want []int64
	}{
		{crm.CustomerQuery{Q: "schmidt"}, []int64{anna.ID}},
		{crm.CustomerQuery{Q: "100%_"}, []int64{boris.ID}},
		{crm.CustomerQuery{Q: "n%t"}, nil}, // a wildcard would find "Anna Schmidt"
		{crm.CustomerQuery{Phone: "030/1234567"}, []int64{anna.ID, boris.ID}},
		{crm.CustomerQuery{Account: "A-1"}, []int64{anna.ID, family.ID}},
		{crm.CustomerQuery{Account: "A-1", Q: "martin"}, []int64{family.ID}},
		{crm.CustomerQuery{}, []int64{anna.ID, boris.ID, family.ID}},
	} {
		cs, err := r.c.SearchCustomers(ctx, tt.q)
		var gotIDs []int64
		for _, c := range cs {
			gotIDs = append(gotIDs, c.ID)
		}
		if err != nil || !slices.Equal(gotIDs, tt.want) {
			t.Errorf("search %+v: %v %v, want %v", tt.q, gotIDs, err, tt.want)
		}
	}
	if _, err := r.c.SearchCustomers(ctx, crm.CustomerQuery{Phone: "call me"}); !errors.Is(err, crm.ErrInvalid) {
		t.Fatalf("bad phone search: %v", err)
	}

	// Identification: by number first (both who share the line), then by account.
	for _, tt := range []struct {
		number, account string
		want            []int64
		by              []crm.MatchKind
	}{
		{"+49301234567", "", []int64{anna.ID, boris.ID}, []crm.MatchKind{crm.ByNumber, crm.ByNumber}},
		{"0301234567", "A-1", []int64{anna.ID, boris.ID, family.ID}, []crm.MatchKind{crm.ByNumber, crm.ByNumber, crm.ByAccount}},
		{"anonymous", "B-8", []int64{boris.ID}, []crm.MatchKind{crm.ByAccount}},
		{"+15550000000", "", nil, nil},
	} {
		cs, err := r.c.Identify(ctx, tt.number, tt.account)
		var by []crm.MatchKind
		for _, c := range cs {
			by = append(by, c.By)
		}
		if err != nil || !slices.Equal(ids(cs), tt.want) || !slices.Equal(by, tt.by) {
			t.Errorf("identify %q %q: %v %v %v, want %v %v", tt.number, tt.account, ids(cs), by, err, tt.want, tt.by)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestCRMTickets(t *testing.T) {
	ctx := context.Background()
	r := newCRM(t)
	cu := r.customer("Anna", []string{"+49301234567"}, nil, "")
	if _, err := r.c.CreateTicket(ctx, crm.NewTicket{CustomerID: 999, Subject: "x"}); !store.IsNotFound(err) {
		t.Fatalf("ticket for nobody: %v", err)
	}
	for _, bad := range []crm.NewTicket{{CustomerID: cu.ID}, {CustomerID: cu.ID, Subject: "x", Priority: 10}, {CustomerID: cu.ID, Subject: "x", CallID: "a b"}} {
		if _, err := r.c.CreateTicket(ctx, bad); !errors.Is(err, crm.ErrInvalid) {
			t.Errorf("create %+v: %v", bad, err)
		}
	}
	if n := r.count("tickets") + r.count("ticket_calls"); n != 0 {
		t.Fatalf("%d rows after refused tickets", n)
	}
	tk, err := r.c.CreateTicket(ctx, crm.NewTicket{CustomerID: cu.ID, Subject: " Double charge ", Priority: 3, CallID: "ast1-1"})
	if err != nil || tk.Status != crm.New || tk.Subject != "Double charge" || !slices.Equal(tk.Calls, []string{"ast1-1"}) {
		t.Fatalf("created %+v %v", tk, err)
	}
	// The call's recording shows on the ticket.
	if err := r.s.IndexRecording(ctx, recording.Recording{Name: "call-ast1-1", CallID: "ast1-1", Started: t0, Duration: 62 * time.Second,
		Size: 10, Format: "wav", SHA256: "00", Path: "/x"}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		to       crm.Status
		err      error
		reopened int
		resolved bool
	}{
		{crm.Open, nil, 0, false},
		{crm.New, crm.ErrTransition, 0, false},
		{crm.Resolved, nil, 0, true},
		{crm.Pending, crm.ErrTransition, 0, true},
		{crm.Open, nil, 1, false},
		{crm.Closed, nil, 1, true},
		{crm.Open, nil, 2, false},
		{"done", crm.ErrInvalid, 2, false},
	}
	for i, st := range steps {
		r.now = t0.Add(time.Duration(i+1) * time.Hour)
		got, err := r.c.UpdateTicket(ctx, tk.ID, crm.TicketPatch{Status: ptr(st.to)})
		if !errors.Is(err, st.err) || (st.err == nil && err != nil) {
			t.Fatalf("step %d → %s: %v, want %v", i, st.to, err, st.err)
		}
		got, _ = r.c.Ticket(ctx, tk.ID)
		if got.Reopened != st.reopened || got.ResolvedAt.IsZero() == st.resolved {
			t.Fatalf("step %d → %s: %+v", i, st.to, got)
		}
		if st.resolved && st.err == nil && !got.ResolvedAt.Equal(r.now) {
			t.Fatalf("step %d: resolved at %v, want %v", i, got.ResolvedAt, r.now)
		}
	}
	got, err := r.c.UpdateTicket(ctx, tk.ID, crm.TicketPatch{Priority: ptr(7), Owner: ptr("1001"), Subject: ptr("Refund")})
	if err != nil || got.Priority != 7 || got.Owner != "1001" || got.Subject != "Refund" || got.Status != crm.Open ||
		len(got.Recordings) != 1 || got.Recordings[0].Name != "call-ast1-1" || got.Recordings[0].Duration != 62*time.Second {
		t.Fatalf("patched %+v %v", got, err)
	}
	if _, err := r.c.UpdateTicket(ctx, tk.ID, crm.TicketPatch{Priority: ptr(3), Subject: ptr("")}); !errors.Is(err, crm.ErrInvalid) {
		t.Fatalf("empty subject: %v", err)
	}
	if got, _ := r.c.Ticket(ctx, tk.ID); got.Priority != 7 {
		t.Fatalf("refused patch half-applied: %+v", got)
	}

	// Calls linked and handled.
	other, _ := r.c.CreateTicket(ctx, crm.NewTicket{CustomerID: cu.ID, Subject: "Other"})
	if err := r.c.LinkCall(ctx, other.ID, "ast1-2"); err != nil {
		t.Fatal(err)
	}
	if err := r.c.LinkCall(ctx, 12345, "ast1-2"); !store.IsNotFound(err) {
		t.Fatalf("link to unknown ticket: %v", err)
	}
	if err := r.c.RecordInteraction(ctx, crm.Interaction{CallID: "ast1-2", Agent: "1002", CustomerID: cu.ID, Queue: "q", At: t0, Outcome: "answered"}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := r.c.CallHandledBy(ctx, "ast1-2", "1002"); !ok {
		t.Fatal("1002's call not theirs")
	}
	if ok, _ := r.c.CallHandledBy(ctx, "ast1-2", "1001"); ok {
		t.Fatal("1002's call is 1001's")
	}

	open, err := r.c.OpenTickets(ctx, cu.ID)
	if err != nil || len(open) != 2 || open[0].ID != tk.ID {
		t.Fatalf("open tickets %+v %v", open, err)
	}
	r.c.UpdateTicket(ctx, other.ID, crm.TicketPatch{Status: ptr(crm.Closed)})
	if open, _ := r.c.OpenTickets(ctx, cu.ID); len(open) != 1 {
		t.Fatalf("closed ticket still open: %+v", open)
	}
	list, err := r.c.Tickets(ctx, crm.TicketQuery{CallID: "ast1-2"})
	if err != nil || len(list) != 1 || list[0].ID != other.ID {
		t.Fatalf("tickets by call %+v %v", list, err)
	}
	if list, _ := r.c.Tickets(ctx, crm.TicketQuery{CustomerID: cu.ID, Status: crm.Closed}); len(list) != 1 {
		t.Fatalf("closed tickets %+v", list)
	}
}

func TestCRMInteractions(t *testing.T) {
	ctx := context.Background()
	r := newCRM(t)
	cu := r.customer("Anna", nil, nil, "")
	// The hang-up writes the leg, the wrap-up adds the disposition, the survey the score.
	for _, i := range []crm.Interaction{
		{CallID: "c1", Agent: "1001", CustomerID: cu.ID, Queue: "q1", At: t0, Outcome: "answered", Wait: 12, Talk: 60},
		{CallID: "c1", Agent: "1001", At: t0.Add(time.Minute), Disposition: "resolved"},
		{CallID: "c1", Agent: "1001", At: t0.Add(2 * time.Minute), CSAT: 4},
		{CallID: "c1", Agent: "1002", CustomerID: cu.ID, Queue: "q2", At: t0.Add(time.Minute), Outcome: "transferred", Talk: 30},
		{CallID: "c0", Agent: "", CustomerID: cu.ID, Queue: "q1", At: t0.Add(-time.Hour), Outcome: "abandoned", Wait: 90},
	} {
		if err := r.c.RecordInteraction(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []crm.Interaction{{Agent: "1", At: t0}, {CallID: "c", At: t0, CSAT: 6}, {CallID: "c"}, {CallID: "c", At: t0, Wait: -1}} {
		if err := r.c.RecordInteraction(ctx, bad); !errors.Is(err, crm.ErrInvalid) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if err := r.c.RecordInteraction(ctx, crm.Interaction{CallID: "c9", At: t0, CustomerID: 4242}); !store.IsNotFound(err) {
		t.Fatalf("unknown customer: %v", err)
	}
	got, err := r.c.LastInteractions(ctx, cu.ID, 2)
	if err != nil || len(got) != 2 {
		t.Fatalf("%+v %v", got, err)
	}
	want := crm.Interaction{CallID: "c1", Agent: "1002", CustomerID: cu.ID, Queue: "q2", At: t0.Add(time.Minute), Outcome: "transferred", Talk: 30}
	if !got[0].At.Equal(want.At) || got[0].Agent != want.Agent || got[0].Outcome != want.Outcome {
		t.Fatalf("newest %+v", got[0])
	}
	c1 := got[1]
	if c1.Agent != "1001" || !c1.At.Equal(t0) || c1.Queue != "q1" || c1.Outcome != "answered" || c1.Wait != 12 || c1.Talk != 60 ||
		c1.Disposition != "resolved" || c1.CSAT != 4 {
		t.Fatalf("completed leg %+v", c1)
	}
	if all, _ := r.c.LastInteractions(ctx, cu.ID, 10); len(all) != 3 || all[2].CallID != "c0" {
		t.Fatalf("all %+v", all)
	}
}

// TestCRMTicketKPIs checks the KPIs against a fixture computed by hand (reopen window 7 days):
//
//	A  one call, resolved after 2h                          FCR
//	B  two calls before resolution, resolved after 48h      -
//	C  resolved after 4h, reopened, resolved again at 26h   reopened
//	D  resolved after 1h, called again on it 3 days later   reopened (called within 7 days)
//	E  billing; one call and a callback we placed; 6h       FCR
//	H  resolved after 3h, called again 10 days later        FCR (outside the window)
//	F  resolved before the range; G still open              not counted
//
// All: 6 resolved, FCR 3/6, reopened 2/6, mean (2+48+26+1+6+3)/6 h, median (3+6)/2 h.
// Billing only: E.
func TestCRMTicketKPIs(t *testing.T) {
	ctx := context.Background()
	r := newCRM(t)
	cu := r.customer("Anna", nil, nil, "")
	ticket := func(name string, created time.Time, calls map[string]time.Duration, queue string) int64 {
		r.now = created
		tk, err := r.c.CreateTicket(ctx, crm.NewTicket{CustomerID: cu.ID, Subject: name})
		if err != nil {
			t.Fatal(err)
		}
		for id, after := range calls {
			if err := r.c.LinkCallAt(ctx, tk.ID, name+id, true, created.Add(after)); err != nil {
				t.Fatal(err)
			}
			if err := r.c.RecordInteraction(ctx, crm.Interaction{CallID: name + id, Agent: "1001", Queue: queue, At: created.Add(after)}); err != nil {
				t.Fatal(err)
			}
		}
		return tk.ID
	}
	status := func(id int64, s crm.Status, at time.Time) {
		r.now = at
		if _, err := r.c.UpdateTicket(ctx, id, crm.TicketPatch{Status: &s}); err != nil {
			t.Fatal(err)
		}
	}
	day := 24 * time.Hour
	a := ticket("A", t0, map[string]time.Duration{"1": 0}, "support")
	status(a, crm.Resolved, t0.Add(2*time.Hour))
	b := ticket("B", t0, map[string]time.Duration{"1": 0, "2": day}, "support")
	status(b, crm.Open, t0.Add(time.Hour))
	status(b, crm.Closed, t0.Add(48*time.Hour))
	c := ticket("C", t0, map[string]time.Duration{"1": 0}, "support")
	status(c, crm.Resolved, t0.Add(4*time.Hour))
	status(c, crm.Open, t0.Add(day))
	status(c, crm.Resolved, t0.Add(26*time.Hour))
	d := ticket("D", t0, map[string]time.Duration{"1": 0}, "support")
	status(d, crm.Resolved, t0.Add(time.Hour))
	if err := r.c.LinkCallAt(ctx, d, "D2", true, t0.Add(time.Hour+3*day)); err != nil {
		t.Fatal(err)
	}
	e := ticket("E", t0, map[string]time.Duration{"1": 0}, "billing")
	if err := r.c.LinkCallAt(ctx, e, "E-callback", false, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	status(e, crm.Resolved, t0.Add(6*time.Hour))
	h := ticket("H", t0, map[string]time.Duration{"1": 0}, "support")
	status(h, crm.Resolved, t0.Add(3*time.Hour))
	if err := r.c.LinkCallAt(ctx, h, "H2", true, t0.Add(3*time.Hour+10*day)); err != nil {
		t.Fatal(err)
	}
	f := ticket("F", t0.Add(-10*day), map[string]time.Duration{"1": 0}, "billing")
	status(f, crm.Resolved, t0.Add(-9*day))
	ticket("G", t0, map[string]time.Duration{"1": 0}, "billing")

	q := crm.KPIQuery{From: t0, To: t0.Add(30 * day), ReopenDays: 7}
	got, err := r.c.TicketKPIs(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	want := crm.KPIs{Resolved: 6, FirstContact: 3, Reopened: 2, FCR: 0.5, ReopenRate: 2.0 / 6,
		MeanResolution: 86 * time.Hour / 6, MedianResolution: 4*time.Hour + 30*time.Minute}
	if got != want {
		t.Fatalf("all queues:\n got %+v\nwant %+v", got, want)
	}
	q.Queues = []string{"billing"}
	got, err = r.c.TicketKPIs(ctx, q)
	want = crm.KPIs{Resolved: 1, FirstContact: 1, FCR: 1, MeanResolution: 6 * time.Hour, MedianResolution: 6 * time.Hour}
	if err != nil || got != want {
		t.Fatalf("billing:\n got %+v %v\nwant %+v", got, err, want)
	}
	// An empty scope (a supervisor with no queues) sees no ticket, not every ticket.
	q.Queues = []string{}
	if got, err := r.c.TicketKPIs(ctx, q); err != nil || got != (crm.KPIs{}) {
		t.Fatalf("empty scope: %+v %v", got, err)
	}
	// A window of 2 days no longer counts D's call 3 days later.
	q.Queues, q.ReopenDays = nil, 2
	if got, _ := r.c.TicketKPIs(ctx, q); got.FirstContact != 4 || got.Reopened != 1 {
		t.Fatalf("2-day window: %+v", got)
	}
	if _, err := r.c.TicketKPIs(ctx, crm.KPIQuery{From: t0, To: t0}); !errors.Is(err, crm.ErrInvalid) {
		t.Fatalf("empty range: %v", err)
	}
}

func TestCRMSeedDemo(t *testing.T) {
	ctx := context.Background()
	r := newCRM(t)
	recs := crm.Demo(1, 40)
	numbers, err := r.c.SeedCRMDemo(ctx, recs, t0)
	if err != nil || len(numbers) != 40 {
		t.Fatalf("%d numbers, %v", len(numbers), err)
	}
	again, err := r.c.SeedCRMDemo(ctx, crm.Demo(2, 40), t0)
	if err != nil || !slices.Equal(again, numbers) || r.count("customers") != 40 {
		t.Fatalf("second seed: %d numbers, %d customers, %v", len(again), r.count("customers"), err)
	}
	cs, err := r.c.Identify(ctx, crm.DemoPhone(0), "")
	if err != nil || len(cs) != 1 || cs[0].Segment != crm.VIP {
		t.Fatalf("demo customer 0: %+v %v", cs, err)
	}
	vips, _ := r.c.SearchCustomers(ctx, crm.CustomerQuery{Limit: 500})
	n := 0
	for _, c := range vips {
		if c.Segment == crm.VIP {
			n++
		}
	}
	if n < 3 || r.count("tickets") == 0 {
		t.Fatalf("%d VIPs, %d tickets", n, r.count("tickets"))
	}
}

// TestCRMConcurrentReopen: agents reopening the same resolved ticket at once count one
// reopening; the row lock serialises the read-check-write.
func TestCRMConcurrentReopen(t *testing.T) {
	ctx := context.Background()
	r := newCRM(t)
	cu := r.customer("Anna", nil, nil, "")
	tk, err := r.c.CreateTicket(ctx, crm.NewTicket{CustomerID: cu.ID, Subject: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.UpdateTicket(ctx, tk.ID, crm.TicketPatch{Status: ptr(crm.Resolved)}); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := r.c.UpdateTicket(ctx, tk.ID, crm.TicketPatch{Status: ptr(crm.Open)})
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := r.c.Ticket(ctx, tk.ID); got.Reopened != 1 || got.Status != crm.Open {
		t.Fatalf("after 8 concurrent reopens: %+v", got)
	}
}

// TestTicketOfCallCustomer: a ticket is of a call's customer when the call is tagged with the
// customer, has an interaction with them, comes from one of their numbers or entered one of
// their account numbers; a ticket of anyone else, or a call unknown, is not.
func TestTicketOfCallCustomer(t *testing.T) {
	ctx := context.Background()
	r := newCRM(t)
	anna := r.customer("Anna", []string{"+49301234567"}, []string{"A-1"}, crm.Standard)
	ben := r.customer("Ben", []string{"+49307654321"}, []string{"B-1"}, crm.Standard)
	annas, _ := r.c.CreateTicket(ctx, crm.NewTicket{CustomerID: anna.ID, Subject: "Anna's"})
	bens, _ := r.c.CreateTicket(ctx, crm.NewTicket{CustomerID: ben.ID, Subject: "Ben's"})
	calls := []struct{ id, number, data string }{
		{"by-number", "030 1234567", `{}`},                                 // national form of Anna's number
		{"by-account", "+15550000000", `{"account":" A-1 "}`},              // entered in the IVR
		{"tagged", "anonymous", fmt.Sprintf(`{"customer":"%d"}`, anna.ID)}, // the IVR lookup's answer
		{"interaction", "anonymous", `{}`},                                 // an interaction names her
		{"stranger", "+15550000001", `{"account":"nope"}`},                 // nobody's
	}
	for _, c := range calls {
		if _, err := r.s.Pool().Exec(ctx, `INSERT INTO calls (id, node, caller_number, data) VALUES ($1, 'ast1', $2, $3)`, c.id, c.number, c.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.c.RecordInteraction(ctx, crm.Interaction{CallID: "interaction", Agent: "1001", CustomerID: anna.ID, Queue: "q", At: t0}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		call   string
		ticket int64
		want   bool
	}{
		{"by-number", annas.ID, true}, {"by-number", bens.ID, false},
		{"by-account", annas.ID, true}, {"by-account", bens.ID, false},
		{"tagged", annas.ID, true}, {"tagged", bens.ID, false},
		{"interaction", annas.ID, true}, {"interaction", bens.ID, false},
		{"stranger", annas.ID, false}, {"no-such-call", annas.ID, false}, {"by-number", 9999, false},
	} {
		got, err := r.c.TicketOfCallCustomer(ctx, tt.ticket, tt.call)
		if err != nil || got != tt.want {
			t.Errorf("ticket %d of call %s's customer: %v %v, want %v", tt.ticket, tt.call, got, err, tt.want)
		}
	}
}

// TestCRMTicketKPIsOutboundIsNoContact: the agent's own call to the customer, linked to the
// ticket from the desk like any call, is not the customer calling: a ticket with one inbound
// call and the agent's follow-up call (before and after the resolution) is resolved at first
// contact and not reopened.
func TestCRMTicketKPIsOutboundIsNoContact(t *testing.T) {
	ctx := context.Background()
	r := newCRM(t)
	cu := r.customer("Anna", nil, nil, "")
	tk, err := r.c.CreateTicket(ctx, crm.NewTicket{CustomerID: cu.ID, Subject: "A"})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		id, data string
		at       time.Duration
	}{{"in1", `{}`, 0}, {"out1", `{"direction": "outbound"}`, time.Hour}, {"out2", `{"direction": "outbound"}`, 3 * time.Hour}} {
		if _, err := r.s.Pool().Exec(ctx, `INSERT INTO calls (id, node, enqueued_at, data) VALUES ($1, 'ast1', $2, $3)`,
			c.id, t0.Add(c.at), c.data); err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			s := crm.Resolved
			r.now = t0.Add(2 * time.Hour)
			if _, err := r.c.UpdateTicket(ctx, tk.ID, crm.TicketPatch{Status: &s}); err != nil {
				t.Fatal(err)
			}
		}
		r.now = t0.Add(c.at)
		if err := r.c.LinkCall(ctx, tk.ID, c.id); err != nil {
			t.Fatal(err)
		}
	}
	got, err := r.c.TicketKPIs(ctx, crm.KPIQuery{From: t0, To: t0.Add(24 * time.Hour), ReopenDays: 7})
	if err != nil {
		t.Fatal(err)
	}
	if got.Resolved != 1 || got.FirstContact != 1 || got.Reopened != 0 {
		t.Fatalf("kpis: %+v", got)
	}
}
