package acd

import (
	"math"
	"sort"
	"time"
)

// Estimator names. The baselines are the ones the literature compares against; see
// docs/ewt.md for the measurements.
const (
	EstimatorQL          = "ql"          // position × handle time ÷ agents
	EstimatorQLAbandon   = "ql_abandon"  // ql, with callers ahead abandoning at the observed rate
	EstimatorLES         = "les"         // the wait of the last caller to enter service
	EstimatorHOL         = "hol"         // the wait so far of the caller at the head of the line
	EstimatorAppQueue    = "app_queue"   // Asterisk's moving average (3·old + last)/4, minus time waited
	EstimatorSwitchboard = "switchboard" // ours: see estimateSwitchboard
)

const (
	ahtMemory     = 2000  // calls: the handle-time average forgets with this horizon
	abandonMemory = 10000 // departures: the abandonment-rate sums forget with this horizon
	speedMemory   = 10000 // served calls: the queue-speed sums forget with this horizon
	speedMinimum  = 50    // served calls before the measured speed is trusted
)

// history is what a queue has learnt from its calls.
type history struct {
	aht   float64 // mean handle time, seconds (0 before the first call)
	ahtN  int
	les   float64 // wait of the last caller to enter service
	appq  float64 // app_queue's holdtime
	seen  bool    // a caller entered service
	aband float64 // decayed count of abandonments
	waitT float64 // decayed time spent waiting by callers who left the queue, seconds
	// The queue's speed: callers taken from the queue by agents per staffed member-second,
	// counted only while callers were waiting.
	last     time.Time
	exposure float64 // decayed staffed member-seconds while callers waited
	taken    float64 // decayed count of waiting callers taken by agents
	takenN   int
}

func (h *history) answered(waited, inQueue float64) {
	h.les = waited
	if !h.seen {
		h.appq = waited
	} else {
		h.appq = (3*h.appq + waited) / 4
	}
	h.seen = true
	h.departed(inQueue, 0)
}

func (h *history) abandoned(inQueue float64) { h.departed(inQueue, 1) }

func (h *history) departed(inQueue, abandoned float64) {
	const keep = 1 - 1.0/abandonMemory
	h.aband = h.aband*keep + abandoned
	h.waitT = h.waitT*keep + inQueue
}

func (h *history) handled(secs float64) {
	h.ahtN++
	n := h.ahtN
	if n > ahtMemory {
		n = ahtMemory
	}
	h.aht += (secs - h.aht) / float64(n)
}

func (h *history) theta() float64 {
	if h.waitT <= 0 {
		return 0
	}
	return h.aband / h.waitT
}

// accrue integrates the staffed members over time, once for each caller waiting.
func (h *history) accrue(now time.Time, waiting, staffed int) {
	if waiting > 0 && staffed > 0 && now.After(h.last) {
		h.exposure += float64(staffed*waiting) * now.Sub(h.last).Seconds()
	}
	h.last = now
}

// served counts a waiting caller taken by an agent: each of the waiting callers, the one
// taken included, moved up one place.
func (h *history) served(waiting int) {
	const keep = 1 - 1.0/speedMemory
	h.taken = h.taken*keep + float64(waiting)
	h.exposure *= keep
	h.takenN++
}

// estInput is what an estimator sees: a queue, a position in it and the time waited.
type estInput struct {
	e      *Engine
	q      *queue
	pos    int     // 1-based
	waited float64 // seconds
	now    time.Time
}

type estimatorFunc func(in estInput) float64

var estimators = map[string]estimatorFunc{
	EstimatorQL:          estimateQL,
	EstimatorQLAbandon:   estimateQLAbandon,
	EstimatorLES:         estimateLES,
	EstimatorHOL:         estimateHOL,
	EstimatorAppQueue:    estimateAppQueue,
	EstimatorSwitchboard: estimateSwitchboard,
}

// Estimators lists the estimator names, sorted.
func Estimators() []string {
	names := make([]string, 0, len(estimators))
	for n := range estimators {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (in estInput) aht() float64 {
	if in.q.hist.ahtN > 0 {
		return in.q.hist.aht
	}
	return in.e.opt.DefaultHandle.Seconds()
}

func (in estInput) staffed() float64 {
	if s := in.q.staffed(); s > 0 {
		return float64(s)
	}
	return 1
}

func estimateQL(in estInput) float64 {
	return float64(in.pos) * in.aht() / in.staffed()
}

func estimateQLAbandon(in estInput) float64 {
	return sumRates(in.staffed()/in.aht(), in.q.hist.theta(), in.pos)
}

// sumRates is Σ_{k=0}^{n-1} 1/(r + kθ): the expected time to move up n places when the
// agents free at rate r and each caller ahead abandons at rate θ.
func sumRates(r, theta float64, n int) float64 {
	if theta <= 0 || theta < 1e-9*r {
		return float64(n) / r
	}
	if n <= 64 {
		s := 0.0
		for k := 0; k < n; k++ {
			s += 1 / (r + float64(k)*theta)
		}
		return s
	}
	x := r / theta
	return (digamma(x+float64(n)) - digamma(x)) / theta
}

// digamma is ψ(x) for x > 0, by recurrence to x ≥ 6 and the asymptotic series.
func digamma(x float64) float64 {
	r := 0.0
	for x < 6 {
		r -= 1 / x
		x++
	}
	f := 1 / (x * x)
	return r + math.Log(x) - 0.5/x - f*(1.0/12-f*(1.0/120-f*(1.0/252-f*(1.0/240-f/132))))
}

func estimateLES(in estInput) float64 { return math.Max(0, in.q.hist.les-in.waited) }

func estimateHOL(in estInput) float64 {
	if len(in.q.waiting) == 0 {
		return 0
	}
	head := in.now.Sub(in.q.waiting[0].enqueuedAt).Seconds()
	return math.Max(0, head-in.waited)
}

func estimateAppQueue(in estInput) float64 { return math.Max(0, in.q.hist.appq-in.waited) }

// estimateSwitchboard is the queue-length estimate with abandonment, but with the rate at
// which the queue moves measured rather than assumed: callers taken per staffed member-second
// while callers waited, times the members staffed now. Agents shared with other queues,
// priorities between queues, skill mismatches and non-exponential handle times all show in
// that rate, where ql counts every staffed member as a whole agent of this queue. Until the
// queue has history it falls back to staffed ÷ handle time.
func estimateSwitchboard(in estInput) float64 {
	h := &in.q.hist
	rate := in.staffed() / in.aht()
	if h.takenN >= speedMinimum && h.exposure > 0 {
		rate = in.staffed() * h.taken / h.exposure
	}
	return sumRates(rate, h.theta(), in.pos)
}

func (e *Engine) estimate(q *queue, pos int, waited time.Duration, now time.Time) time.Duration {
	return secs(e.est(estInput{e: e, q: q, pos: pos, waited: waited.Seconds(), now: now}))
}

// Estimate returns a waiting call's expected remaining wait by the named estimator.
func (e *Engine) Estimate(callID, estimator string) (time.Duration, error) {
	f, ok := estimators[estimator]
	if !ok {
		return 0, errorf(EInvalid, "unknown estimator %q", estimator)
	}
	c, err := e.lookup(callID)
	if err != nil {
		return 0, err
	}
	if c.state != waiting {
		return 0, nil
	}
	now := e.clock.Now()
	pos := c.q.index(c) + 1
	return secs(f(estInput{e: e, q: c.q, pos: pos, waited: now.Sub(c.enqueuedAt).Seconds(), now: now})), nil
}

// EstimateJoin returns the expected wait of a caller about to join a queue with a priority:
// zero when an agent would take the call at once.
func (e *Engine) EstimateJoin(queue string, priority int, estimator string) (time.Duration, error) {
	f, ok := estimators[estimator]
	if !ok {
		return 0, errorf(EInvalid, "unknown estimator %q", estimator)
	}
	q, ok := e.queues[queue]
	if !ok {
		return 0, errorf(ENotFound, "queue %s not found", queue)
	}
	for _, t := range q.tiers {
		for m := t.head; m != nil; m = m.next {
			if meets(m.a.skills, q.req, q.steps, q.stepAt(0)) {
				return 0, nil
			}
		}
	}
	now := e.clock.Now()
	return secs(f(estInput{e: e, q: q, pos: q.positionFor(priority), now: now})), nil
}
