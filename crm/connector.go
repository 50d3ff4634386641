package crm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Defaults of the external connector.
const (
	DefaultTimeout  = 300 * time.Millisecond
	DefaultFailures = 5
	DefaultCoolDown = 30 * time.Second
	maxAnswer       = 1 << 20 // bytes of an external answer read at most
)

// ConnectorOptions configure a Connector.
type ConnectorOptions struct {
	URL     *Template // placeholders {number} and {account}
	Mapping Mapping
	Timeout time.Duration // per lookup; default DefaultTimeout
	// Failures in a row open the breaker (default DefaultFailures); after CoolDown (default
	// DefaultCoolDown) one probe goes through.
	Failures int
	CoolDown time.Duration
	// APIKey, when set, goes in APIKeyHeader (default "Authorization", as "Bearer <key>");
	// never in the URL, never in a log line.
	APIKey       string
	APIKeyHeader string
	Client       *http.Client // default: a client of its own that follows no redirect

	Logger *slog.Logger     // nil: discard
	Now    func() time.Time // default time.Now; tests move the breaker's clock
}

// Connector looks customers up in an external CRM over HTTP, behind a timeout and a circuit
// breaker, so that a slow or broken CRM costs a call at most Timeout and, once the breaker is
// open, nothing at all.
type Connector struct {
	opt ConnectorOptions
	br  breaker
}

// NewConnector checks opt and returns a connector.
func NewConnector(opt ConnectorOptions) (*Connector, error) {
	if opt.URL == nil {
		return nil, invalid("url", "required")
	}
	if len(opt.Mapping) == 0 {
		return nil, invalid("mapping", "required")
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Failures <= 0 {
		opt.Failures = DefaultFailures
	}
	if opt.CoolDown <= 0 {
		opt.CoolDown = DefaultCoolDown
	}
	if opt.APIKeyHeader == "" {
		opt.APIKeyHeader = "Authorization"
	}
	if opt.Client == nil {
		// A redirect is an error: following it would hand the API key (in a header of any
		// name) to wherever it points.
		opt.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	c := &Connector{opt: opt}
	c.br.failures, c.br.coolDown = opt.Failures, opt.CoolDown
	return c, nil
}

// Lookup asks the external CRM for the customer with this number and/or account. found is false
// when the CRM answered that it does not know them (404, or an answer without a name). An error
// wraps ErrUnavailable: the CRM did not answer within the timeout or ctx's deadline, answered
// with an error, or the breaker is open (then no request is sent).
func (c *Connector) Lookup(ctx context.Context, number, account string) (ext External, found bool, err error) {
	now := c.opt.Now()
	probe, ok := c.br.allow(now)
	if !ok {
		return ext, false, fmt.Errorf("breaker open: %w", ErrUnavailable)
	}
	ext, found, err = c.fetch(ctx, number, account)
	if c.br.done(c.opt.Now(), probe, err == nil) {
		c.opt.Logger.Warn("external crm breaker open", "host", c.opt.URL.Host(), "cool_down", c.opt.CoolDown)
	}
	if err != nil {
		c.opt.Logger.Warn("external crm lookup failed", "host", c.opt.URL.Host(), "err", err)
		return ext, false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return ext, found, nil
}

// errStatus is an answer with an unexpected status code.
type errStatus int

func (e errStatus) Error() string { return fmt.Sprintf("status %d", int(e)) }

func (c *Connector) fetch(ctx context.Context, number, account string) (External, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	defer cancel()
	u := c.opt.URL.Expand(func(name string) string {
		if name == "number" {
			return number
		}
		return account
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return External{}, false, errors.New("bad request")
	}
	req.Header.Set("Accept", "application/json")
	if c.opt.APIKey != "" {
		v := c.opt.APIKey
		if c.opt.APIKeyHeader == "Authorization" {
			v = "Bearer " + v
		}
		req.Header.Set(c.opt.APIKeyHeader, v)
	}
	resp, err := c.opt.Client.Do(req)
	if err != nil {
		// The error text holds the URL, and the URL the caller's number: say only what failed.
		if ctx.Err() != nil {
			return External{}, false, fmt.Errorf("no answer within %s", c.opt.Timeout)
		}
		return External{}, false, errors.New("request failed")
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
		return External{}, false, nil
	case resp.StatusCode != http.StatusOK:
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
		return External{}, false, errStatus(resp.StatusCode)
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		if ctx.Err() != nil {
			return External{}, false, fmt.Errorf("no answer within %s", c.opt.Timeout)
		}
		return External{}, false, errors.New("answer is not JSON")
	}
	ext, ok := c.opt.Mapping.Extract(doc)
	return ext, ok, nil
}

// BreakerState is the circuit breaker's state.
type BreakerState string

const (
	BreakerClosed   BreakerState = "closed"    // requests go through
	BreakerOpen     BreakerState = "open"      // no request is sent until the cool-down passes
	BreakerHalfOpen BreakerState = "half-open" // one probe is in flight
)

// Breaker returns the breaker's state at now.
func (c *Connector) Breaker() BreakerState { return c.br.state(c.opt.Now()) }

// breaker opens after failures consecutive failures; after coolDown one probe is let through
// (half-open): its success closes the breaker, its failure opens it for another coolDown.
type breaker struct {
	mu       sync.Mutex
	failures int
	coolDown time.Duration
	fails    int
	openedAt time.Time // zero: closed
	probing  bool
}

// allow says whether a request may go out at now, and whether it is the half-open probe.
func (b *breaker) allow(now time.Time) (probe, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.openedAt.IsZero():
		return false, true
	case b.probing || now.Sub(b.openedAt) < b.coolDown:
		return false, false
	}
	b.probing = true
	return true, true
}

// done records a request's result; it reports whether this result opened the breaker.
func (b *breaker) done(now time.Time, probe, ok bool) (opened bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if probe {
		b.probing = false
	}
	if ok {
		if probe || b.openedAt.IsZero() {
			b.fails, b.openedAt = 0, time.Time{}
		}
		return false
	}
	b.fails++
	if probe {
		b.openedAt = now
		return true
	}
	if b.openedAt.IsZero() && b.fails >= b.failures {
		b.openedAt = now
		return true
	}
	return false
}

func (b *breaker) state(now time.Time) BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.openedAt.IsZero():
		return BreakerClosed
	case b.probing:
		return BreakerHalfOpen
	case now.Sub(b.openedAt) >= b.coolDown:
		return BreakerHalfOpen // the next request is the probe
	}
	return BreakerOpen
}
