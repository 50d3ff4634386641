package crm

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// crmServer is an external CRM: it answers lookups by the number in the query, counts requests
// and can be made slow or failing.
type crmServer struct {
	*httptest.Server
	requests atomic.Int64
	mu       sync.Mutex
	delay    time.Duration
	status   int
	lastURL  string
	lastKey  string
}

func newCRMServer(t *testing.T) *crmServer {
	s := &crmServer{status: 200}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.mu.Lock()
		delay, status := s.delay, s.status
		s.lastURL, s.lastKey = r.URL.RequestURI(), r.Header.Get("Authorization")
		s.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		if status != 200 {
			w.WriteHeader(status)
			return
		}
		if r.URL.Query().Get("phone") == "+4930999" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"data":{"customer":{"id":77,"full_name":"Anna Schmidt (CRM)","tier":"VIP",
			"phones":["+49301234567"],"accounts":[{"id":"A-1"}]}}}`))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *crmServer) set(delay time.Duration, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay, s.status = delay, status
}

// clock is a manual clock for the breaker.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newConnector(t *testing.T, srv *crmServer, clk *clock) *Connector {
	t.Helper()
	tmpl, err := ParseTemplate(srv.URL+"/lookup?phone={number}&account={account}", "number", "account")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseMapping(map[string]string{"id": "data.customer.id", "name": "data.customer.full_name",
		"segment": "data.customer.tier", "phones": "data.customer.phones", "accounts": "data.customer.accounts.0.id"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewConnector(ConnectorOptions{URL: tmpl, Mapping: m, Timeout: 100 * time.Millisecond, Failures: 3,
		CoolDown: time.Minute, APIKey: "k3y", Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// memLocal is the local store for Directory tests (the PostgreSQL one is tested in
// internal/store).
type memLocal []Candidate

func (m memLocal) Identify(context.Context, string, string) ([]Candidate, error) {
	return append([]Candidate(nil), m...), nil
}

// downLocal is a local store that fails.
type downLocal struct{}

func (downLocal) Identify(context.Context, string, string) ([]Candidate, error) {
	return nil, errors.New("connection refused")
}

func TestConnectorLookup(t *testing.T) {
	srv := newCRMServer(t)
	c := newConnector(t, srv, &clock{t: time.Unix(0, 0)})
	ext, found, err := c.Lookup(context.Background(), "+49301234567", "A 1&x=y")
	if err != nil || !found {
		t.Fatalf("lookup: %v %v", found, err)
	}
	want := Customer{Name: "Anna Schmidt (CRM)", Segment: VIP, Phones: []string{"+49301234567"}, Accounts: []string{"A-1"}}
	if ext.ID != "77" || ext.Customer.Name != want.Name || ext.Customer.Segment != want.Segment ||
		strings.Join(ext.Customer.Phones, ",") != "+49301234567" || strings.Join(ext.Customer.Accounts, ",") != "A-1" {
		t.Fatalf("got %+v", ext)
	}
	srv.mu.Lock()
	gotURL, gotKey := srv.lastURL, srv.lastKey
	srv.mu.Unlock()
	// Values are escaped whole: the account cannot add a parameter; the key is in a header only.
	if gotURL != "/lookup?phone=%2B49301234567&account=A%201%26x%3Dy" || gotKey != "Bearer k3y" || strings.Contains(gotURL, "k3y") {
		t.Fatalf("request %q with key %q", gotURL, gotKey)
	}
	if _, found, err := c.Lookup(context.Background(), "+4930999", ""); found || err != nil {
		t.Fatalf("unknown caller: %v %v", found, err)
	}
	// A redirect is not followed: the key would go wherever it points.
	elsewhere := newCRMServer(t)
	redirect := httptest.NewServer(http.RedirectHandler(elsewhere.URL+"/lookup", http.StatusFound))
	defer redirect.Close()
	tmpl, _ := ParseTemplate(redirect.URL+"/?n={number}", "number", "account")
	c.opt.URL = tmpl
	if _, _, err := c.Lookup(context.Background(), "+49301234567", ""); !errors.Is(err, ErrUnavailable) || elsewhere.requests.Load() != 0 {
		t.Fatalf("redirect: %v, %d requests elsewhere", err, elsewhere.requests.Load())
	}
}

// TestDirectoryFallsBackWhenSlow: a CRM slower than the timeout costs the call the timeout and
// no more, and the local record is the answer; a fast one fills the local record.
func TestDirectoryFallsBackWhenSlow(t *testing.T) {
	srv := newCRMServer(t)
	c := newConnector(t, srv, &clock{t: time.Unix(0, 0)})
	local := memLocal{{Customer: Customer{ID: 5, Name: "Anna", Segment: Standard, Phones: []string{"+49301234567"}}, By: ByNumber}}
	d := &Directory{Local: local, Remote: c}

	got, err := d.Identify(context.Background(), "+49301234567", "")
	if err != nil || len(got) != 1 || got[0].ID != 5 || got[0].Name != "Anna Schmidt (CRM)" || got[0].Segment != VIP || !got[0].External {
		t.Fatalf("fast CRM: %+v %v", got, err)
	}

	srv.set(2*time.Second, 200)
	start := time.Now()
	got, err = d.Identify(context.Background(), "+49301234567", "")
	took := time.Since(start)
	if err != nil || len(got) != 1 || got[0].Name != "Anna" || got[0].External {
		t.Fatalf("slow CRM: %+v %v", got, err)
	}
	if took > time.Second {
		t.Fatalf("a slow CRM held the lookup %v (timeout 100ms)", took)
	}
	// The caller's own deadline is shorter still: it wins.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := c.Lookup(ctx, "+49301234567", ""); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("past the caller's deadline: %v", err)
	}
	// The local store down, the external CRM answers: its answer without the error.
	srv.set(0, 200)
	d.Local = downLocal{}
	if got, err := d.Identify(context.Background(), "+49301234567", ""); err != nil || len(got) != 1 || got[0].By != ByExternal {
		t.Fatalf("local store down: %+v %v", got, err)
	}
	// Both down: the local error.
	srv.set(0, 500)
	if _, err := d.Identify(context.Background(), "+49301234567", ""); err == nil {
		t.Fatal("both down, no error")
	}
	// An anonymous caller with no account: the external CRM is not asked.
	before := srv.requests.Load()
	d.Local = memLocal{}
	if got, err := d.Identify(context.Background(), "anonymous", ""); err != nil || len(got) != 0 || srv.requests.Load() != before {
		t.Fatalf("anonymous: %+v %v, %d requests", got, err, srv.requests.Load()-before)
	}
	// A national number goes out in E.164.
	srv.set(0, 200)
	d.HomeCountry = "49"
	d.Identify(context.Background(), "030 1234567", "")
	srv.mu.Lock()
	if !strings.HasPrefix(srv.lastURL, "/lookup?phone=%2B49301234567&") {
		t.Errorf("national number sent as %q", srv.lastURL)
	}
	srv.mu.Unlock()
	// Someone only the CRM knows comes first, as an external candidate.
	d.Local = memLocal{}
	got, _ = d.Identify(context.Background(), "+49301234567", "")
	if len(got) != 1 || got[0].ID != 0 || got[0].By != ByExternal || got[0].Name != "Anna Schmidt (CRM)" {
		t.Fatalf("external only: %+v", got)
	}
}

// TestBreaker: failures in a row open the breaker; while open no request is sent; after the
// cool-down one probe goes out (half-open); a failed probe opens it again, a good one closes it.
func TestBreaker(t *testing.T) {
	srv := newCRMServer(t)
	clk := &clock{t: time.Unix(0, 0)}
	c := newConnector(t, srv, clk)
	logs := &lockedBuffer{}
	c.opt.Logger = slog.New(slog.NewTextHandler(logs, nil))
	ctx := context.Background()
	srv.set(0, 500)
	for i := range 3 {
		if c.Breaker() != BreakerClosed {
			t.Fatalf("open after %d failures", i)
		}
		if _, _, err := c.Lookup(ctx, "+49301234567", ""); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if c.Breaker() != BreakerOpen || srv.requests.Load() != 3 {
		t.Fatalf("after 3 failures: %s, %d requests", c.Breaker(), srv.requests.Load())
	}
	srv.set(0, 200)
	for range 5 {
		if _, _, err := c.Lookup(ctx, "+49301234567", ""); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("open breaker let a lookup through: %v", err)
		}
	}
	if n := srv.requests.Load(); n != 3 {
		t.Fatalf("%d requests sent while open", n-3)
	}
	// Cool-down passed; the probe fails (timeout) and the breaker opens again.
	clk.advance(time.Minute)
	if c.Breaker() != BreakerHalfOpen {
		t.Fatalf("after the cool-down: %s", c.Breaker())
	}
	srv.set(time.Second, 200)
	if _, _, err := c.Lookup(ctx, "+49301234567", ""); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("slow probe: %v", err)
	}
	if c.Breaker() != BreakerOpen || srv.requests.Load() != 4 {
		t.Fatalf("after a failed probe: %s, %d requests", c.Breaker(), srv.requests.Load())
	}
	clk.advance(30 * time.Second)
	if _, _, err := c.Lookup(ctx, "+49301234567", ""); !errors.Is(err, ErrUnavailable) || srv.requests.Load() != 4 {
		t.Fatalf("the failed probe did not restart the cool-down: %v, %d requests", err, srv.requests.Load())
	}
	// Only one probe at a time: concurrent lookups while the probe is out fail fast.
	clk.advance(30 * time.Second)
	srv.set(500*time.Millisecond, 200)
	c.opt.Timeout = time.Second
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range 5 {
		wg.Go(func() {
			if _, found, err := c.Lookup(ctx, "+49301234567", ""); err == nil && found {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || srv.requests.Load() != 5 || c.Breaker() != BreakerClosed {
		t.Fatalf("half-open: %d lookups answered, %d requests, breaker %s", ok.Load(), srv.requests.Load(), c.Breaker())
	}
	// Closed again: a single failure does not open it, and a success resets the count.
	srv.set(0, 503)
	c.Lookup(ctx, "+49301234567", "")
	c.Lookup(ctx, "+49301234567", "")
	srv.set(0, 200)
	c.Lookup(ctx, "+49301234567", "")
	srv.set(0, 503)
	c.Lookup(ctx, "+49301234567", "")
	c.Lookup(ctx, "+49301234567", "")
	if c.Breaker() != BreakerClosed {
		t.Fatalf("opened without 3 failures in a row")
	}
	// The log says what happened, never the key, the URL or the caller's number.
	out := logs.String()
	if !strings.Contains(out, "external crm breaker open") || !strings.Contains(out, "status 500") {
		t.Errorf("log lacks the breaker or the failure:\n%s", out)
	}
	for _, secret := range []string{"k3y", "49301234567", "/lookup"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds %q:\n%s", secret, out)
		}
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
