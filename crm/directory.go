package crm

import (
	"context"
	"log/slog"
	"slices"
	"strconv"

	"switchboard/ivr"
	"switchboard/ivr/callback"
)

// Local is what identification needs of the customer store (internal/store implements it).
type Local interface {
	// Identify returns the customers with this phone (normalised to E.164 first) and then those
	// with this account number, each once.
	Identify(ctx context.Context, number, account string) ([]Candidate, error)
}

// Directory identifies callers: the local store, and the external CRM when one is configured.
type Directory struct {
	Local  Local
	Remote *Connector // nil: local records only
	Pop    *Template  // the desktop's pop URL, placeholders {number}, {account}, {customer}; nil: none
	// HomeCountry normalises national caller numbers before the external CRM sees them.
	HomeCountry string
	Logger      *slog.Logger
}

// Identify returns the candidates for a caller: the number and/or account (either may be
// empty). With an external CRM, it is asked at the same time as the local store; its answer,
// when it comes within the connector's timeout, fills the local customer it shares a phone or
// account with (External set), or comes first as a customer of its own (ID 0, By external).
// When it does not answer, fails or its breaker is open, the local records are the answer:
// routing is never held up for longer than the timeout or ctx's deadline. The external CRM
// gets the number in E.164, or none when it does not normalise ("anonymous"). When the local
// store fails but the external CRM answers, its answer is returned without the error.
func (d *Directory) Identify(ctx context.Context, number, account string) ([]Candidate, error) {
	type remote struct {
		ext   External
		found bool
		err   error
	}
	var ch chan remote
	e164, nerr := callback.Normalize(number, d.HomeCountry)
	if nerr != nil {
		e164 = ""
	}
	if d.Remote != nil && (e164 != "" || account != "") {
		ch = make(chan remote, 1)
		go func() {
			ext, found, err := d.Remote.Lookup(ctx, e164, account)
			ch <- remote{ext, found, err}
		}()
	}
	local, err := d.Local.Identify(ctx, number, account)
	if ch == nil {
		return local, err
	}
	r := <-ch
	if r.err != nil || !r.found {
		return local, err
	}
	if err != nil {
		if d.Logger != nil {
			d.Logger.Warn("local customer records unavailable; using the external CRM's answer", "err", err)
		}
		local, err = nil, nil
	}
	ext := r.ext.Customer
	if n, nerr := NormalizePhones(ext.Phones, ""); nerr == nil {
		ext.Phones = n
	} else {
		ext.Phones = nil
	}
	for i, c := range local {
		if shares(c.Customer, ext) {
			c.Name, c.Segment, c.External = ext.Name, ext.Segment, true
			if ext.Language != "" {
				c.Language = ext.Language
			}
			local = slices.Delete(local, i, i+1)
			return append([]Candidate{c}, local...), err
		}
	}
	return append([]Candidate{{Customer: ext, By: ByExternal, External: true}}, local...), err
}

// shares reports whether the external record names one of c's phones or accounts.
func shares(c, ext Customer) bool {
	for _, p := range ext.Phones {
		if slices.Contains(c.Phones, p) {
			return true
		}
	}
	for _, a := range ext.Accounts {
		if slices.Contains(c.Accounts, a) {
			return true
		}
	}
	return false
}

// PopURL returns the desktop's link into the CRM for a caller, or "" without a pop template.
func (d *Directory) PopURL(number, account string, customerID int64) string {
	if d.Pop == nil {
		return ""
	}
	return d.Pop.Expand(func(name string) string {
		switch name {
		case "number":
			return number
		case "account":
			return account
		case "customer":
			if customerID > 0 {
				return strconv.FormatInt(customerID, 10)
			}
		}
		return ""
	})
}

// IVR returns what an IVR lookup node gets of a candidate: its id, its language, and the fields
// an info node may read (name, segment, the first account and phone).
func (c Candidate) IVR() ivr.Customer {
	out := ivr.Customer{Language: c.Language, Fields: map[string]string{"name": c.Name, "segment": string(c.Segment)}}
	if c.ID > 0 {
		out.ID = strconv.FormatInt(c.ID, 10)
	}
	if len(c.Accounts) > 0 {
		out.Fields["account"] = c.Accounts[0]
	}
	if len(c.Phones) > 0 {
		out.Fields["phone"] = c.Phones[0]
	}
	return out
}
