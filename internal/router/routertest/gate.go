package routertest

import (
	"errors"
	"sort"
	"strings"
	"time"

	"switchboard/internal/router"
)

// Request is one thing the router asked of the outside: an ARI request, or a call of one of
// its hooks (a lookup, a classification, the callback store...). Every request waits at the
// harness's gate until it is taken: by Settle (the default), or by the test for requests a
// Hold matched.
type Request struct {
	Gen  int       // which router asked: 1, then one more after each restart
	Seq  int       // the order in which requests were taken, from 1; 0 while waiting
	At   time.Time // on the harness clock, when it was taken
	Op   string    // e.g. "POST /channels/c1/answer" or "lookup caller +4930111"
	Hook bool      // a hook of the router, not ARI
	Err  error     // the error it was answered with

	h     *Harness
	g     *gen
	do    func() (any, error)
	reply chan reply
	held  bool
	order int // arrival order, to break ties
}

type reply struct {
	v   any
	err error
}

// errDead answers what a router killed by Restart still asks.
var errDead = errors.New("routertest: this router was stopped")

func (r *Request) String() string { return r.Op }

// Release takes a held request: it has its effect and the router gets its answer; then the
// harness settles.
func (r *Request) Release() {
	r.h.t.Helper()
	r.h.grant(r, nil)
	r.h.Settle()
}

// ReleaseThen takes a held request like Release, but runs f once the request has had its
// effect and before the router has its answer: what f makes Asterisk say reaches the router
// first, as when an event overtakes a request's answer.
func (r *Request) ReleaseThen(f func()) {
	r.h.t.Helper()
	r.h.grantThen(r, nil, f)
	r.h.Settle()
}

// Fail answers a held request with err, without effect; then the harness settles.
func (r *Request) Fail(err error) {
	r.h.t.Helper()
	r.h.grant(r, err)
	r.h.Settle()
}

type rule struct {
	pattern string
	err     error // nil: hold
}

// Hold makes the requests matching pattern (a glob: * stands for anything) wait for the
// test from now on (Waiting, then Release or Fail); the returned func ends the rule.
func (h *Harness) Hold(pattern string) (stop func()) { return h.addRule(&rule{pattern: pattern}) }

// Fail makes the requests matching pattern fail with err, without effect, from now on; the
// returned func ends the rule. Wrap router.ErrNotFound for a 404.
func (h *Harness) Fail(pattern string, err error) (stop func()) {
	return h.addRule(&rule{pattern: pattern, err: err})
}

func (h *Harness) addRule(r *rule) func() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rules = append(h.rules, r)
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for i, x := range h.rules {
			if x == r {
				h.rules = append(h.rules[:i], h.rules[i+1:]...)
				return
			}
		}
	}
}

// matchRule returns the last rule matching op; call with h.mu held.
func (h *Harness) matchRule(op string, hold bool) *rule {
	for i := len(h.rules) - 1; i >= 0; i-- {
		if r := h.rules[i]; (r.err == nil) == hold && Match(r.pattern, op) {
			return r
		}
	}
	return nil
}

// Waiting returns the held request matching pattern (the first, in the order Settle would
// take them); the test fails if there is none.
func (h *Harness) Waiting(pattern string) *Request {
	h.t.Helper()
	h.mu.Lock()
	var ops []string
	for _, p := range h.sortedPending() {
		if p.held && Match(pattern, p.Op) {
			h.mu.Unlock()
			return p
		}
		ops = append(ops, p.Op)
	}
	h.mu.Unlock()
	h.t.Fatalf("no request waiting matches %q; waiting: %q", pattern, ops)
	return nil
}

// Pending returns the requests waiting at the gate (held ones), in the order Settle would
// take them.
func (h *Harness) Pending() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ops []string
	for _, p := range h.sortedPending() {
		ops = append(ops, p.Op)
	}
	return ops
}

// sortedPending orders the waiting requests: by operation, then arrival. Requests wait
// only while every goroutine of the router is parked, so this order does not depend on the
// scheduler. Call with h.mu held.
func (h *Harness) sortedPending() []*Request {
	out := append([]*Request(nil), h.pending...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Op != out[j].Op {
			return out[i].Op < out[j].Op
		}
		return out[i].order < out[j].order
	})
	return out
}

// ask is how the router's side reaches the outside: the request waits at the gate, its
// goroutine parked, until it is taken.
func (g *gen) ask(op string, hook bool, do func() (any, error)) (any, error) {
	h := g.h
	h.mu.Lock()
	if g.dead {
		h.mu.Unlock()
		return nil, errDead
	}
	h.arrivals++
	p := &Request{Gen: g.n, Op: op, Hook: hook, h: h, g: g, do: do, reply: make(chan reply, 1), order: h.arrivals}
	p.held = h.matchRule(op, true) != nil
	h.pending = append(h.pending, p)
	if !hook {
		h.checkGone(p)
	}
	h.mu.Unlock()
	select {
	case h.arrived <- struct{}{}:
	default:
	}
	g.act.Park()
	rp := <-p.reply
	return rp.v, rp.err
}

// grant takes a waiting request: it has its effect (unless err or a Fail rule says
// otherwise), the router handles what Asterisk says about it, and the asking goroutine
// goes on. On the test's goroutine.
func (h *Harness) grant(p *Request, err error) {
	h.t.Helper()
	h.grantThen(p, err, nil)
}

func (h *Harness) grantThen(p *Request, err error, then func()) {
	h.t.Helper()
	h.mu.Lock()
	i := -1
	for k, x := range h.pending {
		if x == p {
			i = k
		}
	}
	if i < 0 {
		h.mu.Unlock()
		h.t.Fatalf("request %q is not waiting", p.Op)
	}
	h.pending = append(h.pending[:i], h.pending[i+1:]...)
	h.seq++
	p.Seq, p.At = h.seq, h.clock.Now()
	h.taken = append(h.taken, p)
	if err == nil {
		if r := h.matchRule(p.Op, false); r != nil {
			err = r.err
		}
	}
	h.mu.Unlock()
	var v any
	if err == nil {
		v, err = p.do()
	}
	p.Err = err
	// What Asterisk says about the request (events) reaches the router before its answer.
	h.waitIdle()
	if then != nil {
		then()
	}
	p.g.act.Resume()
	p.reply <- reply{v, err}
}

// release answers every waiting request of a stopped router.
func (h *Harness) releaseDead(g *gen) {
	h.mu.Lock()
	var out []*Request
	keep := h.pending[:0]
	for _, p := range h.pending {
		if p.g == g {
			out = append(out, p)
		} else {
			keep = append(keep, p)
		}
	}
	h.pending = keep
	h.mu.Unlock()
	for _, p := range out {
		p.g.act.Resume()
		p.reply <- reply{nil, errDead}
	}
}

// Match reports whether s matches pattern, where * stands for any run of characters
// (slashes included) and everything else stands for itself.
func Match(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return s == pattern
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last) && len(s) >= len(last)
}

var _ router.Telephony = (*telephony)(nil)
