package crm

import (
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"switchboard/ivr/callback"
)

// Segment is a customer's commercial segment; SegmentPolicy maps it onto routing.
type Segment string

const (
	Standard Segment = "standard"
	VIP      Segment = "vip"
	B2B      Segment = "b2b"
)

// Segments lists the known segments.
var Segments = []Segment{Standard, VIP, B2B}

// Valid reports whether s is a known segment.
func (s Segment) Valid() bool { return slices.Contains(Segments, s) }

// Limits on what a customer record holds.
const (
	MaxName     = 200
	MaxNotes    = 10_000
	MaxPhones   = 20
	MaxAccounts = 20
	MaxAccount  = 64
	MaxLanguage = 16
)

// Customer is a customer record. Phones are E.164 ("+4930123456"); a phone or an account may
// belong to several customers (a family line, a company's contacts), which is why
// identification returns candidates.
type Customer struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Segment   Segment   `json:"segment"`
	Language  string    `json:"language"`
	Phones    []string  `json:"phones"`
	Accounts  []string  `json:"accounts"`
	Notes     string    `json:"notes,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Normalize checks c and brings it to its stored form: names trimmed, phones normalised to
// E.164 (national numbers with homeCountry, e.g. "49"), duplicates dropped, the segment
// defaulting to standard. It changes nothing when it returns an error.
func (c *Customer) Normalize(homeCountry string) error {
	out := *c
	out.Name = strings.TrimSpace(out.Name)
	switch {
	case out.Name == "":
		return invalid("name", "required")
	case utf8.RuneCountInString(out.Name) > MaxName:
		return invalid("name", "longer than %d characters", MaxName)
	case !utf8.ValidString(out.Name) || !utf8.ValidString(out.Notes):
		return invalid("name", "not UTF-8")
	case utf8.RuneCountInString(out.Notes) > MaxNotes:
		return invalid("notes", "longer than %d characters", MaxNotes)
	}
	if out.Segment == "" {
		out.Segment = Standard
	}
	if !out.Segment.Valid() {
		return invalid("segment", "unknown segment %q (known: standard, vip, b2b)", out.Segment)
	}
	out.Language = strings.ToLower(strings.TrimSpace(out.Language))
	if len(out.Language) > MaxLanguage || strings.ContainsFunc(out.Language, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r == '-' || r >= '0' && r <= '9')
	}) {
		return invalid("language", "want a language tag like \"en\" or \"pt-br\"")
	}
	phones, err := NormalizePhones(out.Phones, homeCountry)
	if err != nil {
		return err
	}
	out.Phones = phones
	accounts, err := NormalizeAccounts(out.Accounts)
	if err != nil {
		return err
	}
	out.Accounts = accounts
	*c = out
	return nil
}

// NormalizePhones returns numbers in E.164, without duplicates, in their first order.
func NormalizePhones(numbers []string, homeCountry string) ([]string, error) {
	if len(numbers) > MaxPhones {
		return nil, invalid("phones", "more than %d", MaxPhones)
	}
	out := make([]string, 0, len(numbers))
	for _, n := range numbers {
		e, err := callback.Normalize(n, homeCountry)
		if err != nil {
			return nil, invalid("phones", "%q: %s", callback.Mask(n), reason(err))
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// NormalizeAccounts trims account numbers and drops duplicates.
func NormalizeAccounts(accounts []string) ([]string, error) {
	if len(accounts) > MaxAccounts {
		return nil, invalid("accounts", "more than %d", MaxAccounts)
	}
	out := make([]string, 0, len(accounts))
	for _, a := range accounts {
		a = strings.TrimSpace(a)
		if a == "" || len(a) > MaxAccount || !utf8.ValidString(a) || strings.ContainsFunc(a, func(r rune) bool { return r < ' ' }) {
			return nil, invalid("accounts", "an account number is 1 to %d printable characters", MaxAccount)
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// reason is the number error without callback's prefix.
func reason(err error) string {
	for _, e := range []error{callback.ErrEmpty, callback.ErrCharacter, callback.ErrTooShort, callback.ErrTooLong, callback.ErrCountryCode} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return err.Error()
}

// CustomerPatch changes some fields of a customer; nil fields stay as they are. Phones and
// Accounts, when set, replace the lists.
type CustomerPatch struct {
	Name     *string   `json:"name"`
	Segment  *Segment  `json:"segment"`
	Language *string   `json:"language"`
	Notes    *string   `json:"notes"`
	Phones   *[]string `json:"phones"`
	Accounts *[]string `json:"accounts"`
}

// Apply returns c with the patch applied and normalised (see Customer.Normalize).
func (p CustomerPatch) Apply(c Customer, homeCountry string) (Customer, error) {
	if p.Name != nil {
		c.Name = *p.Name
	}
	if p.Segment != nil {
		c.Segment = *p.Segment
		if c.Segment == "" {
			return c, invalid("segment", "must not be empty")
		}
	}
	if p.Language != nil {
		c.Language = *p.Language
	}
	if p.Notes != nil {
		c.Notes = *p.Notes
	}
	if p.Phones != nil {
		c.Phones = *p.Phones
	}
	if p.Accounts != nil {
		c.Accounts = *p.Accounts
	}
	err := c.Normalize(homeCountry)
	return c, err
}

// CustomerQuery searches customers; every set field must match. Q matches a part of the name
// (case-insensitive), Phone a number (normalised first), Account an account number exactly.
type CustomerQuery struct {
	Q       string
	Phone   string
	Account string
	Limit   int // 1..500, default 50
}

// MatchKind says how a candidate was found.
type MatchKind string

const (
	ByNumber   MatchKind = "number"   // the caller's number is one of the customer's phones
	ByAccount  MatchKind = "account"  // the account number given is one of the customer's
	ByExternal MatchKind = "external" // only the external CRM knows this customer (ID 0)
)

// Candidate is a customer identification found, and how.
type Candidate struct {
	Customer
	By MatchKind `json:"matched_by"`
	// External is true when the external CRM's answer filled the record.
	External bool `json:"external,omitempty"`
}
