package sim

import "math"

// Erlang C: exact results for an M/M/s queue (Poisson arrivals, exponential handle times,
// s identical agents, infinite patience, first come first served). The simulator's results and
// the wait estimators are checked against these before anything is compared with them.
//
// Units: arrival rates are calls per second, handle times and thresholds are seconds, and the
// offered load a = λ·h is in Erlangs.

// maxAgents bounds the search in AgentsFor.
const maxAgents = 1 << 20

// erlangB returns the Erlang B blocking probability for s servers and offered load a, using the
// recursion B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)), which stays within [0, 1] at every
// step and so cannot overflow for any s.
func erlangB(s int, a float64) float64 {
	b := 1.0
	for k := 1; k <= s; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return b
}

// erlangCFromB converts Erlang B to Erlang C for s servers and load a < s.
func erlangCFromB(s int, a, b float64) float64 {
	return float64(s) * b / (float64(s) - a*(1-b))
}

// ErlangC returns the probability that a caller has to wait in an M/M/s queue with the given
// number of servers and offered load in Erlangs. It returns 1 when offeredLoad ≥ servers (the
// queue is unstable, or there is nobody to answer) and 0 when there is no load.
func ErlangC(servers int, offeredLoad float64) float64 {
	a := offeredLoad
	if a >= float64(servers) {
		return 1
	}
	if a <= 0 {
		return 0
	}
	return erlangCFromB(servers, a, erlangB(servers, a))
}

// ErlangASA returns the mean wait (average speed of answer) in seconds over all callers,
// C / (sμ − λ), for arrivalRate calls per second and meanHandle seconds per call. It returns
// +Inf when the queue is unstable (λ·h ≥ s) and 0 when there are no calls.
func ErlangASA(servers int, arrivalRate, meanHandle float64) float64 {
	if arrivalRate <= 0 || meanHandle <= 0 {
		return 0
	}
	a := arrivalRate * meanHandle
	if a >= float64(servers) {
		return math.Inf(1)
	}
	return ErlangC(servers, a) / (float64(servers)/meanHandle - arrivalRate)
}

// ErlangServiceLevel returns the fraction of callers answered within threshold seconds,
// P(W ≤ t) = 1 − C·e^{−(sμ−λ)t}. It returns 0 when the queue is unstable or threshold is
// negative, and 1 when there are no calls.
func ErlangServiceLevel(servers int, arrivalRate, meanHandle, threshold float64) float64 {
	if threshold < 0 {
		return 0
	}
	if arrivalRate <= 0 || meanHandle <= 0 {
		return 1
	}
	a := arrivalRate * meanHandle
	if a >= float64(servers) {
		return 0
	}
	c := ErlangC(servers, a)
	return 1 - c*math.Exp(-(float64(servers)/meanHandle-arrivalRate)*threshold)
}

// AgentsFor returns the smallest number of agents whose service level (see ErlangServiceLevel)
// is at least goal, a fraction such as 0.8 for "80% within threshold seconds". The answer always
// keeps the queue stable (more agents than Erlangs of load), so a goal ≤ 0 gives the smallest
// stable staffing. It returns 0 when there are no calls, and −1 when the goal cannot be met:
// goal ≥ 1 with calls arriving, a NaN argument, or more than 2^20 agents needed.
func AgentsFor(arrivalRate, meanHandle, threshold, goal float64) int {
	if math.IsNaN(arrivalRate) || math.IsNaN(meanHandle) || math.IsNaN(threshold) || math.IsNaN(goal) {
		return -1
	}
	if arrivalRate <= 0 || meanHandle <= 0 {
		return 0
	}
	if goal >= 1 || threshold < 0 {
		return -1
	}
	a := arrivalRate * meanHandle
	if a >= maxAgents {
		return -1
	}
	// Walk the Erlang B recursion up to the first stable s, then one server at a time: the
	// whole search costs O(s) instead of O(s²).
	s := int(math.Floor(a)) + 1
	b := erlangB(s, a)
	for ; s <= maxAgents; s++ {
		if s > int(math.Floor(a))+1 {
			b = a * b / (float64(s) + a*b)
		}
		c := erlangCFromB(s, a, b)
		sl := 1 - c*math.Exp(-(float64(s)/meanHandle-arrivalRate)*threshold)
		if sl >= goal {
			return s
		}
	}
	return -1
}
