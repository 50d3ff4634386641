package sim

import "time"

// Scenario describes one simulation run: traffic per queue and the agent groups that serve it.
// It is plain data; internal/config loads it from YAML with line-numbered errors.
type Scenario struct {
	Duration              time.Duration // simulated time measured, after Warmup
	Warmup                time.Duration
	Seed                  int64
	ServiceLevelThreshold time.Duration // default for queues without their own
	Queues                []QueueSpec
	Agents                []AgentGroup
}

// QueueSpec is one queue's traffic.
type QueueSpec struct {
	Name       string
	Arrivals   Arrivals
	HandleTime Dist
	Patience   *Dist // nil: callers never abandon
	Priority   int
	Skills     map[string]int // skill -> minimum level required of the agent
}

// Arrivals is a Poisson process: a constant rate, or a piecewise-constant profile that repeats daily.
type Arrivals struct {
	RatePerHour float64
	Profile     []RateStep // sorted by At; when set, RatePerHour is unused
}

// RateStep sets the arrival rate from At (offset into the day) until the next step.
type RateStep struct {
	At          time.Duration
	RatePerHour float64
}

// DistKind names a duration distribution.
type DistKind string

const (
	Exponential   DistKind = "exponential"
	Lognormal     DistKind = "lognormal"
	Deterministic DistKind = "deterministic"
)

// Dist is a distribution of durations. Stddev is used by Lognormal only.
type Dist struct {
	Kind   DistKind
	Mean   time.Duration
	Stddev time.Duration
}

// AgentGroup is Count identical agents.
type AgentGroup struct {
	Count  int
	Skills map[string]int
	Queues []string
}
