package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"switchboard/acd"
)

// throttleSite is newSite behind a trusted proxy on 127.0.0.1, so that X-Forwarded-For names
// the client's address.
func throttleSite(t *testing.T) *site {
	t.Helper()
	users := testUsers("sue", "root", "alice")
	live := Live{At: time.Now(), Queues: []acd.QueueStats{{Queue: "billing"}}}
	ts := httptest.NewServer(Handler(Options{Users: users, Live: func() Live { return live },
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Logger: slog.New(slog.DiscardHandler),
		loginThrottle: throttle{slowAfter: 3, step: time.Millisecond, maxDelay: 5 * time.Millisecond}}))
	t.Cleanup(ts.Close)
	return &site{t: t, ts: ts}
}

// from sends requests as if from addr, through the trusted proxy.
type from string

func (a from) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", string(a))
	return http.DefaultTransport.RoundTrip(r)
}

func (s *site) loginFrom(addr, user, pass string) int {
	s.t.Helper()
	c := s.client()
	c.Transport = from(addr)
	return s.login(c, user, pass).StatusCode
}

// TestLoginThrottleLocksNoAccountOut: wrong passwords from one address limit that address for
// that account (and, past a higher count, for every account), but never refuse the right
// password from an address that did not fail: an attacker cannot lock an account out.
func TestLoginThrottleLocksNoAccountOut(t *testing.T) {
	s := throttleSite(t)
	const attacker, admin = "203.0.113.9", "198.51.100.7"
	for i := range 5 {
		if code := s.loginFrom(attacker, "root", "guess"); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d, want 401", i+1, code)
		}
	}
	if code := s.loginFrom(attacker, "root", "root-pass"); code != http.StatusTooManyRequests {
		t.Fatalf("the right password from the guessing address after 5 failures: %d, want 429", code)
	}
	if code := s.loginFrom(admin, "root", "root-pass"); code != http.StatusSeeOther {
		t.Fatalf("the right password from another address: %d, want the login (303)", code)
	}
	if code := s.loginFrom(attacker, "sue", "sue-pass"); code != http.StatusSeeOther {
		t.Fatalf("another account from the guessing address, below the address's limit: %d, want 303", code)
	}
	// Spraying many accounts from one address: past the address's limit every account waits.
	for i := range addressFailures - 5 {
		if code := s.loginFrom(attacker, "nobody"+string(rune('a'+i)), "guess"); code != http.StatusUnauthorized {
			t.Fatalf("spray %d: %d", i, code)
		}
	}
	if code := s.loginFrom(attacker, "alice", "alice-pass"); code != http.StatusTooManyRequests {
		t.Fatalf("after %d failures from the address: %d, want 429", addressFailures, code)
	}
	if code := s.loginFrom("192.0.2.1", "alice", "alice-pass"); code != http.StatusSeeOther {
		t.Fatalf("alice from her own address: %d, want 303", code)
	}
}

// TestThrottleCounts: the limiter's decisions on a manual clock: failures age out of the
// window, the pair and the address limits, the slowdown, and a success clearing its pair.
func TestThrottleCounts(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	l := newLimiter(throttle{slowAfter: 2, step: time.Second, maxDelay: 5 * time.Second})
	type want struct {
		refused bool
		wait    time.Duration
	}
	check := func(at time.Time, ip, account string, w want) {
		t.Helper()
		refused, wait := l.check(at, ip, account)
		if (refused > 0) != w.refused || wait != w.wait {
			t.Fatalf("%s for %s at +%v: refused for %v, wait %v; want refused %v, wait %v", ip, account, at.Sub(t0), refused, wait, w.refused, w.wait)
		}
	}
	for i, w := range []want{{false, 0}, {false, 0}, {false, time.Second}, {false, 2 * time.Second}, {false, 4 * time.Second}} {
		check(t0.Add(time.Duration(i)*time.Second), "a", "root", w)
		l.fail(t0.Add(time.Duration(i)*time.Second), "a", "root")
	}
	check(t0.Add(10*time.Second), "a", "root", want{true, 0})                           // five failures for the pair
	check(t0.Add(10*time.Second), "b", "root", want{false, 0})                          // another address: untouched
	check(t0.Add(10*time.Second), "a", "sue", want{false, 5 * time.Second})             // the address is slowed, capped
	check(t0.Add(failureWindow+time.Second), "a", "root", want{false, 2 * time.Second}) // the first failure aged out
	l.succeed("a", "root")
	check(t0.Add(failureWindow+time.Second), "a", "root", want{false, 2 * time.Second}) // the address still counts
	for i := range addressFailures {
		l.fail(t0.Add(time.Hour), "c", fmt.Sprint("user", i))
	}
	check(t0.Add(time.Hour), "c", "new", want{true, 0})
}
