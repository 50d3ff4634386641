package crm

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// DemoRecord is a made-up customer with tickets, for the demo.
type DemoRecord struct {
	Customer Customer
	Tickets  []DemoTicket
}

// DemoTicket is a demo ticket: its status and how long ago it was opened.
type DemoTicket struct {
	Subject  string
	Priority int
	Status   Status
	Age      time.Duration
}

var (
	demoFirst    = []string{"Anna", "Boris", "Chloé", "Dmitri", "Eva", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Katya", "Luis", "Mila", "Nils", "Olga", "Pavel"}
	demoLast     = []string{"Schmidt", "Ivanova", "Martin", "Petrov", "Rossi", "Novak", "Berg", "Sato", "Garcia", "Kowalski", "Larsen", "Meyer"}
	demoCompany  = []string{"Nordwind GmbH", "Volga Logistics", "Acme Retail", "Baltic Foods", "Kestrel AG"}
	demoSubjects = []string{"Invoice shows a double charge", "Cannot log in to the portal", "Router keeps disconnecting",
		"Change of address", "Refund not received", "Upgrade to the business plan", "SIM card not activated",
		"Roaming charges disputed", "Porting my number", "Slow connection in the evening"}
	demoStatuses = []Status{New, Open, Open, Pending, Resolved, Resolved, Closed}
)

// DemoPhone is the phone number of the i-th demo customer; the demo's callers use these so
// that screen pops find someone.
func DemoPhone(i int) string { return fmt.Sprintf("+79990%06d", 100+i) }

// DemoAccount is the account number of the i-th demo customer: digits only, so that the demo's
// callers can key it in the IVR.
func DemoAccount(i int) string { return fmt.Sprintf("%06d", 100000+i) }

// Demo returns n demo customers (the same for the same seed): one in eight a VIP, one in ten a
// company (b2b), each with up to three tickets in various states.
func Demo(seed uint64, n int) []DemoRecord {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	out := make([]DemoRecord, 0, n)
	for i := range n {
		c := Customer{Segment: Standard, Language: []string{"en", "en", "ru", "de"}[r.IntN(4)],
			Phones: []string{DemoPhone(i)}, Accounts: []string{DemoAccount(i)}}
		switch {
		case i%10 == 9:
			c.Name, c.Segment = demoCompany[r.IntN(len(demoCompany))], B2B
			c.Accounts = append(c.Accounts, fmt.Sprintf("%06d", 900000+i))
		default:
			c.Name = demoFirst[r.IntN(len(demoFirst))] + " " + demoLast[r.IntN(len(demoLast))]
			if i%8 == 0 {
				c.Segment, c.Notes = VIP, "Key account: offer a call back rather than a long wait."
			}
		}
		rec := DemoRecord{Customer: c}
		for range r.IntN(4) {
			rec.Tickets = append(rec.Tickets, DemoTicket{Subject: demoSubjects[r.IntN(len(demoSubjects))],
				Priority: r.IntN(6), Status: demoStatuses[r.IntN(len(demoStatuses))],
				Age: time.Duration(1+r.IntN(30*24)) * time.Hour})
		}
		out = append(out, rec)
	}
	return out
}
