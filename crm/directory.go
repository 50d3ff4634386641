package crm

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
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
	Logger *slog.Logger
}

// Identify returns the candidates for a caller: the number and/or account (either may be
// empty). With an external CRM, it is asked at the same time as the local store; its answer,
// when it comes within the connector's timeout, fills the local customer it shares a phone or
// account with (External set), or comes first as a customer of its own (ID 0, By external).
// When it does not answer, fails or its breaker is open, the local records are the answer:
// routing is never held up for longer than the timeout or ctx's deadline.
func (d *Directory) Identify(ctx context.Context, number, account string) ([]Candidate, error) {
	type remote struct {
		ext   External
		found bool
		err   error
	}
	var ch chan remote
	if d.Remote != nil && (number != "" || account != "") {
		ch = make(chan remote, 1)
		go func() {
			ext, found, err := d.Remote.Lookup(ctx, number, account)
			ch <- remote{ext, found, err}
		}()
	}
	local, err := d.Local.Identify(ctx, number, account)
	if ch == nil {
		return local, err
	}
	r := <-ch
	if r.err != nil || !r.found {
		if r.err != nil && !errors.Is(r.err, ErrUnavailable) && d.Logger != nil {
			d.Logger.Warn("external crm", "err", r.err)
		}
		return local, err
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
