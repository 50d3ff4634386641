package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Login throttling. Failed logins are counted per (account, address) and per address over
// failureWindow. An address that failed pairFailures times for one account is refused (429)
// for that account, and one that failed addressFailures times for any accounts is refused for
// all; from slowAfter failures on, each of its attempts waits first, longer with each failure.
// No count is kept per account alone: the right password from an address that did not fail
// is never refused nor slowed, so nobody can lock an account out by guessing at it. A
// successful login clears its (account, address) count.
const (
	pairFailures    = 5
	addressFailures = 20
	failureWindow   = 15 * time.Minute
)

// throttle is how attempts from an address that failed are slowed: none before slowAfter
// failures, then step doubling with each failure, at most maxDelay.
type throttle struct {
	slowAfter      int
	step, maxDelay time.Duration
}

var defaultThrottle = throttle{slowAfter: 3, step: 250 * time.Millisecond, maxDelay: 4 * time.Second}

func (t throttle) delay(failures int) time.Duration {
	if failures < t.slowAfter {
		return 0
	}
	d := t.step
	for i := t.slowAfter; i < failures && d < t.maxDelay; i++ {
		d *= 2
	}
	return min(d, t.maxDelay)
}

// limiter keeps the failures.
type limiter struct {
	mu    sync.Mutex
	fails map[string][]time.Time // "addr:<ip>" and "pair:<ip>\x00<account>" → failure times
	slow  throttle
}

func newLimiter(slow throttle) *limiter {
	if slow.step <= 0 {
		slow = defaultThrottle
	}
	return &limiter{fails: map[string][]time.Time{}, slow: slow}
}

func addrKey(ip string) string          { return "addr:" + ip }
func pairKey(ip, account string) string { return "pair:" + ip + "\x00" + account }

// recent returns key's failures within the window before now, dropping older ones.
func (l *limiter) recent(now time.Time, key string) []time.Time {
	kept := l.fails[key][:0]
	for _, t := range l.fails[key] {
		if now.Sub(t) < failureWindow {
			kept = append(kept, t)
		}
	}
	if len(kept) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = kept
	return kept
}

// check says whether an attempt for account from ip is refused (and for how long) and how long
// it waits first.
func (l *limiter) check(now time.Time, ip, account string) (refusedFor, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	addr, pair := l.recent(now, addrKey(ip)), l.recent(now, pairKey(ip, account))
	switch {
	case len(addr) >= addressFailures:
		return addr[len(addr)-addressFailures].Add(failureWindow).Sub(now), 0
	case len(pair) >= pairFailures:
		return pair[len(pair)-pairFailures].Add(failureWindow).Sub(now), 0
	}
	return 0, l.slow.delay(len(addr))
}

// fail counts a failed attempt.
func (l *limiter) fail(now time.Time, ip, account string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range []string{addrKey(ip), pairKey(ip, account)} {
		l.fails[k] = append(l.fails[k], now)
	}
	if len(l.fails) > 100_000 { // bound the memory a flood of addresses can take
		for k := range l.fails {
			l.recent(now, k)
		}
	}
}

// succeed clears the (account, address) failures after the right password.
func (l *limiter) succeed(ip, account string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, pairKey(ip, account))
}

// clientIP is the address a request came from: the connection's, or, when that is a trusted
// proxy (Options.TrustedProxies), the nearest address in X-Forwarded-For that is not one.
func (s *server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(ip) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a proxy wrote what it had; nothing left of it can be trusted
		}
		if !s.trusted(hop) {
			return hop.Unmap().String()
		}
	}
	return host
}

func (s *server) trusted(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range s.opt.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
