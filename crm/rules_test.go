package crm

import (
	"errors"
	"testing"
	"time"
)

func TestCheckTransition(t *testing.T) {
	allowed := map[[2]Status]bool{}
	for _, p := range [][2]Status{{New, Open}, {New, Pending}, {New, Resolved}, {New, Closed}, {Open, Pending}, {Open, Resolved},
		{Open, Closed}, {Pending, Open}, {Pending, Resolved}, {Pending, Closed}, {Resolved, Open}, {Resolved, Closed}, {Closed, Open}} {
		allowed[p] = true
	}
	for _, from := range Statuses {
		for _, to := range Statuses {
			err := CheckTransition(from, to)
			if want := from == to || allowed[[2]Status{from, to}]; (err == nil) != want || (err != nil && !errors.Is(err, ErrTransition)) {
				t.Errorf("%s → %s: %v, allowed %v", from, to, err, want)
			}
		}
	}
	if err := CheckTransition(Open, "done"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown status: %v", err)
	}
}

func TestTicketPatchReopens(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	tk := Ticket{Status: Open}
	step := func(s Status, at time.Time) {
		t.Helper()
		var err error
		tk, err = TicketPatch{Status: &s}.Apply(tk, at)
		if err != nil {
			t.Fatal(err)
		}
	}
	step(Resolved, t0)
	step(Closed, t0.Add(time.Hour)) // closing a resolved ticket keeps its resolution time
	if tk.Reopened != 0 || !tk.ResolvedAt.Equal(t0) {
		t.Fatalf("%+v", tk)
	}
	step(Open, t0.Add(2*time.Hour))
	step(Resolved, t0.Add(3*time.Hour))
	step(Open, t0.Add(4*time.Hour))
	if tk.Reopened != 2 || !tk.ResolvedAt.IsZero() || !tk.UpdatedAt.Equal(t0.Add(4*time.Hour)) {
		t.Fatalf("%+v", tk)
	}
	bad := Status("pending")
	tk.Status = Closed
	if _, err := (TicketPatch{Status: &bad, Subject: new("ok")}).Apply(tk, t0); !errors.Is(err, ErrTransition) {
		t.Fatalf("closed → pending: %v", err)
	}
}

func TestSegmentPolicy(t *testing.T) {
	p := SegmentPolicy{VIP: {PriorityBoost: 3, Queue: "vip"}, B2B: {PriorityBoost: 1}}
	for _, tt := range []struct {
		s         Segment
		queue     string
		prio      int
		wantQueue string
		wantPrio  int
	}{
		{VIP, "support", 2, "vip", 5},
		{VIP, "support", 8, "vip", 9}, // capped
		{B2B, "billing", 0, "billing", 1},
		{Standard, "support", 4, "support", 4},
		{"", "support", 4, "support", 4},
	} {
		q, pr := p.Apply(tt.s, tt.queue, tt.prio)
		if q != tt.wantQueue || pr != tt.wantPrio {
			t.Errorf("%s %s/%d: %s/%d, want %s/%d", tt.s, tt.queue, tt.prio, q, pr, tt.wantQueue, tt.wantPrio)
		}
	}
	if s, ok := p.Best([]Candidate{{Customer: Customer{Segment: Standard}}, {Customer: Customer{Segment: VIP}}, {Customer: Customer{Segment: B2B}}}); !ok || s != VIP {
		t.Fatalf("best %s %v", s, ok)
	}
	if _, ok := p.Best(nil); ok {
		t.Fatal("best of nobody")
	}
	cands := []Candidate{{Customer: Customer{ID: 3, Name: "Bo", Segment: B2B, Accounts: []string{"A-1"}, Language: "de"}}}
	if q, pr := p.Route(cands, "support", 2); q != "support" || pr != 3 {
		t.Fatalf("route b2b: %s/%d", q, pr)
	}
	if q, pr := p.Route(nil, "support", 2); q != "support" || pr != 2 {
		t.Fatalf("route nobody: %s/%d", q, pr)
	}
	if ic := cands[0].IVR(); ic.ID != "3" || ic.Language != "de" || ic.Fields["account"] != "A-1" || ic.Fields["segment"] != "b2b" {
		t.Fatalf("ivr customer %+v", ic)
	}
	if q, pr := (SegmentPolicy{Standard: {PriorityBoost: -5}}).Apply(Standard, "q", 2); q != "q" || pr != 0 {
		t.Fatalf("negative boost: %s/%d", q, pr)
	}
}

func TestCustomerNormalize(t *testing.T) {
	c := Customer{Name: " Anna ", Phones: []string{"030 123456", "+4930123456", "0044 20 7946 0000"}, Accounts: []string{" A-1 ", "A-1"}, Language: " EN "}
	if err := c.Normalize("49"); err != nil {
		t.Fatal(err)
	}
	if c.Name != "Anna" || len(c.Phones) != 2 || c.Phones[1] != "+442079460000" || len(c.Accounts) != 1 || c.Language != "en" || c.Segment != Standard {
		t.Fatalf("%+v", c)
	}
	bad := Customer{Name: "X", Phones: []string{"030 123456"}}
	if err := bad.Normalize(""); !errors.Is(err, ErrInvalid) || bad.Phones[0] != "030 123456" {
		t.Fatalf("national number without a home country: %v %+v", err, bad)
	}
}
