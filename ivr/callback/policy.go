package callback

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Check errors: Policy.Check wraps one of these (or a number error).
var (
	ErrFormat        = errors.New("number is not in E.164 form")
	ErrDenied        = errors.New("number is in a denied range (premium or blocked)")
	ErrInternational = errors.New("international numbers are not called back")
)

// Reason is why a callback exists.
type Reason string

// Reasons.
const (
	Offered    Reason = "offered"     // the caller accepted the offer while waiting
	Missed     Reason = "missed"      // the caller hung up in the queue
	AfterHours Reason = "after_hours" // the caller left a request while closed
	// AgentScheduled: an agent promised the caller a call back, from the call.
	AgentScheduled Reason = "agent_scheduled"
)

// Valid reports whether r is one of the reasons above.
func (r Reason) Valid() bool {
	return r == Offered || r == Missed || r == AfterHours || r == AgentScheduled
}

// Outcome is the result of one dialing attempt.
type Outcome string

// Outcomes.
const (
	Connected Outcome = "connected" // the customer answered and reached an agent
	NoAnswer  Outcome = "no_answer"
	Busy      Outcome = "busy"
	Failed    Outcome = "failed"  // network or router failure, the attempt did not happen as planned
	Expired   Outcome = "expired" // the callback ran out of time before it connected
)

// Valid reports whether o is one of the outcomes above.
func (o Outcome) Valid() bool {
	switch o {
	case Connected, NoAnswer, Busy, Failed, Expired:
		return true
	}
	return false
}

// Final reports whether no attempt follows o whatever the policy: the
// customer was reached, or the callback expired.
func (o Outcome) Final() bool { return o == Connected || o == Expired }

// Window is a set of times an attempt may start in. *config.Hours satisfies
// it; a nil Window is always open.
type Window interface {
	Open(t time.Time) bool
}

// Policy is one queue's callback policy. The zero value allows
// international numbers, denies nothing, and tries DefaultMaxAttempts
// times without delay and without expiry.
type Policy struct {
	// DenyPrefixes are E.164 prefixes never called, formatting allowed:
	// "+1900", "+44 9".
	DenyPrefixes []string
	// AllowInternational allows numbers outside HomeCountry.
	AllowInternational bool
	// HomeCountry is the country calling code of national numbers ("49").
	// Required when AllowInternational is false.
	HomeCountry string
	// MaxAttempts is the most dialing attempts per callback; 0 means
	// DefaultMaxAttempts.
	MaxAttempts int
	// RetryDelay is the wait after an attempt that did not connect.
	RetryDelay time.Duration
	// Backoff, when set, replaces RetryDelay: the wait after attempt n is
	// Backoff[n-1], its last entry for the attempts beyond.
	Backoff []time.Duration
	// Expiry is how long a callback lives after it was requested; 0: no limit.
	Expiry time.Duration
	// MissedAfter: a caller who hangs up after waiting this long gets a
	// callback; 0 disables missed-call callbacks.
	MissedAfter time.Duration
	// OfferAfter: the callback is offered once the estimated wait passes
	// it; 0 disables the offer.
	OfferAfter time.Duration
	// SearchHorizon bounds how far ahead NextAttempt looks for an open
	// minute; 0 means DefaultSearchHorizon.
	SearchHorizon time.Duration
}

// Defaults.
const (
	DefaultMaxAttempts   = 3
	DefaultSearchHorizon = 14 * 24 * time.Hour
)

// Validate reports the first problem in p.
func (p Policy) Validate() error {
	if p.HomeCountry != "" && !validCountry(strings.TrimPrefix(p.HomeCountry, "+")) {
		return fmt.Errorf("callback: policy: home country %q is not a country calling code", p.HomeCountry)
	}
	if !p.AllowInternational && p.HomeCountry == "" {
		return errors.New("callback: policy: home country is required when international numbers are not allowed")
	}
	for _, d := range p.DenyPrefixes {
		if _, ok := cleanPrefix(d); !ok {
			return fmt.Errorf("callback: policy: deny prefix %q: want \"+\" and digits", d)
		}
	}
	if p.MaxAttempts < 0 || p.RetryDelay < 0 || p.Expiry < 0 || p.MissedAfter < 0 || p.OfferAfter < 0 || p.SearchHorizon < 0 {
		return errors.New("callback: policy: attempts and durations must not be negative")
	}
	for _, b := range p.Backoff {
		if b < 0 {
			return errors.New("callback: policy: backoff delays must not be negative")
		}
	}
	return nil
}

// cleanPrefix turns "+44 9" into "+449" and "+49 (0)900" into "+49900"; ok is false for anything but "+"
// (optional) and digits with formatting.
func cleanPrefix(s string) (string, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "(0)", "")
	var b strings.Builder
	b.WriteByte('+')
	s = strings.TrimPrefix(s, "+")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return "", false
		}
	}
	return b.String(), b.Len() > 1
}

// Check tells whether e164 (a Normalize result) may be called back: denied
// prefixes first (ErrDenied), then the home country (ErrInternational).
func (p Policy) Check(e164 string) error {
	if !IsE164(e164) {
		return fmt.Errorf("callback: check: %w", ErrFormat)
	}
	for _, d := range p.DenyPrefixes {
		if pre, ok := cleanPrefix(d); ok && strings.HasPrefix(e164, pre) {
			return fmt.Errorf("callback: check: prefix %s: %w", pre, ErrDenied)
		}
	}
	if !p.AllowInternational {
		home := "+" + strings.TrimPrefix(p.HomeCountry, "+")
		if p.HomeCountry == "" || !strings.HasPrefix(e164, home) {
			return fmt.Errorf("callback: check: %w", ErrInternational)
		}
	}
	return nil
}

// Number normalises what the caller's phone sent or the caller typed, in
// the home country, and checks it.
func (p Policy) Number(raw string) (string, error) {
	e, err := Normalize(raw, p.HomeCountry)
	if err != nil {
		return "", err
	}
	if err := p.Check(e); err != nil {
		return "", err
	}
	return e, nil
}

// Attempts returns the maximum number of attempts.
func (p Policy) Attempts() int {
	if p.MaxAttempts <= 0 {
		return DefaultMaxAttempts
	}
	return p.MaxAttempts
}

// Delay returns the wait after attempt n (1 for the first) did not connect.
func (p Policy) Delay(n int) time.Duration {
	if len(p.Backoff) == 0 {
		return p.RetryDelay
	}
	i := min(max(n, 1), len(p.Backoff)) - 1
	return p.Backoff[i]
}

// ExpiresAt returns when a callback requested at requested expires; zero
// for never.
func (p Policy) ExpiresAt(requested time.Time) time.Time {
	if p.Expiry <= 0 {
		return time.Time{}
	}
	return requested.Add(p.Expiry)
}

// IsMissed reports whether a caller who hung up after waiting waited gets a
// callback.
func (p Policy) IsMissed(waited time.Duration) bool {
	return p.MissedAfter > 0 && waited >= p.MissedAfter
}

// ShouldOffer reports whether a caller with estimated wait ewt is offered a
// callback.
func (p Policy) ShouldOffer(ewt time.Duration) bool {
	return p.OfferAfter > 0 && ewt >= p.OfferAfter
}

// NextAttempt returns when the next attempt of cb may start, at now or
// later: after the retry delay when an attempt was made, inside window (nil:
// always open) and the caller's window, before the callback expires. It
// reports false when there is none: the last outcome was final, the maximum
// is reached, or no open minute comes before the callback's end or within
// SearchHorizon. Times found by stepping are on whole minutes.
func (p Policy) NextAttempt(cb Callback, now time.Time, window Window) (time.Time, bool) {
	if cb.Outcome.Final() || cb.Attempts >= p.Attempts() {
		return time.Time{}, false
	}
	t := now
	if cb.Attempts > 0 {
		t = t.Add(p.Delay(cb.Attempts))
	}
	if !cb.WindowStart.IsZero() && t.Before(cb.WindowStart) {
		t = cb.WindowStart
	}
	horizon := p.SearchHorizon
	if horizon <= 0 {
		horizon = DefaultSearchHorizon
	}
	end := t.Add(horizon)
	if !cb.ExpiresAt.IsZero() && cb.ExpiresAt.Before(end) {
		end = cb.ExpiresAt
	}
	if !cb.WindowEnd.IsZero() && cb.WindowEnd.Before(end) {
		end = cb.WindowEnd
	}
	for t.Before(end) {
		if window == nil || window.Open(t) {
			return t, true
		}
		t = t.Truncate(time.Minute).Add(time.Minute)
	}
	return time.Time{}, false
}
