package sim

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"time"

	"switchboard/acd"
)

// Result is what a run measured, shaped for `switchboard simulate --json`.
type Result struct {
	Queues map[string]QueueResult `json:"queues"`
	Agents AgentsResult           `json:"agents"`
	EWT    map[string]EWTResult   `json:"ewt"`
}

// QueueResult holds one queue's figures over the measured callers (those who arrived after
// the warmup and before the end).
type QueueResult struct {
	Offered         int     `json:"offered"`
	Answered        int     `json:"answered"`
	Abandoned       int     `json:"abandoned"`
	ServiceLevel    float64 `json:"service_level"` // answered within the threshold ÷ answered
	ASA             float64 `json:"asa_seconds"`
	AHT             float64 `json:"aht_seconds"`
	AbandonRate     float64 `json:"abandon_rate"`     // abandoned ÷ offered
	MaxWait         float64 `json:"max_wait_seconds"` // over answered and abandoned callers
	WaitProbability float64 `json:"wait_probability"` // share of callers who waited at all
}

// AgentsResult holds the agents' figures.
type AgentsResult struct {
	Count     int     `json:"count"`
	Occupancy float64 `json:"occupancy"` // busy ÷ staffed time over the measured span
}

// EWTResult scores one estimator over the callers who waited.
type EWTResult struct {
	RASE    float64 `json:"rase"` // mean squared error ÷ squared mean wait
	MAE     float64 `json:"mean_abs_error_seconds"`
	Bias    float64 `json:"bias_seconds"` // mean of predicted − actual
	Samples int     `json:"samples"`
}

// simulated time starts here; the daily profile is aligned to its midnight.
var epoch = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

type kind uint8

const (
	arrival kind = iota
	abandon
	complete
)

type event struct {
	at   time.Time
	kind kind
	q    int
	c    *simCall
	seq  uint64
}

type events []*event

func (h events) Len() int { return len(h) }
func (h events) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h events) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *events) Push(x any)   { *h = append(*h, x.(*event)) }
func (h *events) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type simCall struct {
	id       string
	q        int
	arrived  time.Time
	handle   time.Duration
	measured bool
	predict  []float64 // per estimator, at arrival
	done     bool
}

type queueAcc struct {
	offered, answered, answeredIn, abandoned, waited int
	waitSum, handleSum, maxWait                      float64
	ghosts                                           []*simCall // abandoned callers, in arrival order
}

type estAcc struct {
	n                     int
	sqErr, absErr, err, w float64
}

type runner struct {
	sc        Scenario
	rng       *rand.Rand
	clock     *acd.ManualClock
	e         *acd.Engine
	ev        events
	seq       uint64
	pending   []acd.Event
	calls     map[string]*simCall
	queues    []queueAcc
	names     []string
	index     map[string]int
	agentQs   map[string][]int
	ests      []string
	acc       []estAcc
	truth     []qlmTruth // per queue: the model's parameters, for the ql_m reference
	start     time.Time  // end of warmup
	end       time.Time
	busySince map[string]time.Time
	busy      float64 // agent-seconds inside [start, end]
	agents    int
}

// Run simulates a scenario. It returns an error for a scenario the engine rejects.
func Run(sc Scenario) (Result, error) {
	r, err := newRunner(sc)
	if err != nil {
		return Result{}, err
	}
	for i := range sc.Queues {
		r.scheduleArrival(i, epoch)
	}
	if err := r.loop(); err != nil {
		return Result{}, err
	}
	return r.result(r.threshold()), nil
}

// newRunner sets up the engine, the queues and the logged-in agents, with no arrivals yet.
func newRunner(sc Scenario) (*runner, error) {
	if sc.Duration <= 0 {
		return nil, errors.New("sim: duration must be positive")
	}
	r := &runner{
		sc:        sc,
		rng:       rand.New(rand.NewPCG(uint64(sc.Seed), 0x5eed)),
		clock:     &acd.ManualClock{T: epoch},
		calls:     map[string]*simCall{},
		index:     map[string]int{},
		agentQs:   map[string][]int{},
		ests:      append(acd.Estimators(), EstimatorQLM),
		busySince: map[string]time.Time{},
	}
	r.acc = make([]estAcc, len(r.ests))
	r.start = epoch.Add(sc.Warmup)
	r.end = r.start.Add(sc.Duration)
	e, err := acd.New(acd.Options{Clock: r.clock, OnEvent: func(ev acd.Event) { r.pending = append(r.pending, ev) }})
	if err != nil {
		return nil, err
	}
	r.e = e
	threshold := r.threshold()
	for i, q := range sc.Queues {
		if err := e.AddQueue(acd.QueueConfig{Name: q.Name, Priority: q.Priority, SLThreshold: threshold, Skills: q.Skills}); err != nil {
			return nil, fmt.Errorf("sim: %w", err)
		}
		r.index[q.Name] = i
		r.names = append(r.names, q.Name)
	}
	r.queues = make([]queueAcc, len(sc.Queues))
	r.truth = truths(sc)
	for g, grp := range sc.Agents {
		for j := 0; j < grp.Count; j++ {
			id := "g" + strconv.Itoa(g) + "-" + strconv.Itoa(j)
			cfg := acd.AgentConfig{ID: id, Skills: grp.Skills}
			for _, qn := range grp.Queues {
				qi, ok := r.index[qn]
				if !ok {
					return nil, fmt.Errorf("sim: agent group %d: unknown queue %s", g+1, qn)
				}
				cfg.Queues = append(cfg.Queues, acd.Membership{Queue: qn})
				r.agentQs[id] = append(r.agentQs[id], qi)
			}
			if err := e.AddAgent(cfg); err != nil {
				return nil, fmt.Errorf("sim: %w", err)
			}
			if err := e.Login(id); err != nil {
				return nil, fmt.Errorf("sim: %w", err)
			}
			r.agents++
		}
	}
	r.drain()
	return r, nil
}

func (r *runner) push(ev *event) {
	r.seq++
	ev.seq = r.seq
	heap.Push(&r.ev, ev)
}

func (r *runner) scheduleArrival(q int, from time.Time) {
	t := nextArrival(r.rng, r.sc.Queues[q].Arrivals, from)
	if t.IsZero() || !t.Before(r.end) {
		return
	}
	r.push(&event{at: t, kind: arrival, q: q})
}

func (r *runner) loop() error {
	for {
		next := time.Time{}
		if len(r.ev) > 0 {
			next = r.ev[0].at
		}
		if d, ok := r.e.NextDeadline(); ok && (next.IsZero() || d.Before(next)) {
			r.clock.Set(d)
			r.e.Tick()
			r.drain()
			continue
		}
		if next.IsZero() {
			return nil
		}
		ev := heap.Pop(&r.ev).(*event)
		r.clock.Set(ev.at)
		var err error
		switch ev.kind {
		case arrival:
			err = r.arrive(ev.q)
			r.scheduleArrival(ev.q, ev.at)
		case abandon:
			if !ev.c.done {
				if v, ok := r.e.Call(ev.c.id); ok && v.State == "waiting" {
					err = r.e.Hangup(ev.c.id)
				}
			}
		case complete:
			err = r.e.Hangup(ev.c.id)
		}
		if err != nil {
			return fmt.Errorf("sim: %w", err)
		}
		r.drain()
	}
}

func (r *runner) arrive(qi int) error {
	spec := r.sc.Queues[qi]
	now := r.clock.Now()
	c := &simCall{id: "c" + strconv.FormatUint(r.seq, 10), q: qi, arrived: now, measured: !now.Before(r.start) && now.Before(r.end)}
	c.handle = sample(r.rng, spec.HandleTime)
	if c.measured {
		c.predict = make([]float64, len(r.ests))
		for i, name := range r.ests {
			if name == EstimatorQLM {
				continue
			}
			d, err := r.e.EstimateJoin(spec.Name, 0, name)
			if err != nil {
				return err
			}
			c.predict[i] = d.Seconds()
		}
		if err := r.predictQLM(qi, c.predict); err != nil {
			return err
		}
		r.queues[qi].offered++
	}
	r.calls[c.id] = c
	if err := r.e.Enqueue(acd.CallRequest{ID: c.id, Queue: spec.Name}); err != nil {
		return err
	}
	if spec.Patience != nil {
		r.push(&event{at: now.Add(sample(r.rng, *spec.Patience)), kind: abandon, c: c})
	}
	return nil
}

// drain handles the engine's events: agents answer offers at once, waits are scored.
func (r *runner) drain() {
	for len(r.pending) > 0 {
		ev := r.pending[0]
		r.pending = r.pending[1:]
		now := r.clock.Now()
		switch ev := ev.(type) {
		case acd.CallOffered:
			if err := r.e.Answer(ev.Call); err != nil {
				panic(fmt.Sprintf("sim: answer %s: %v", ev.Call, err)) // the engine broke its own contract
			}
		case acd.CallAnswered:
			c := r.calls[ev.Call]
			qi := c.q
			r.resolveGhosts(qi, c.arrived, now)
			w := now.Sub(c.arrived).Seconds()
			if c.measured {
				a := &r.queues[qi]
				a.answered++
				a.waitSum += w
				a.handleSum += c.handle.Seconds()
				a.maxWait = math.Max(a.maxWait, w)
				if now.Sub(c.arrived) <= r.threshold() {
					a.answeredIn++
				}
				if w > 0 {
					a.waited++
					r.score(c, w)
				}
			}
			r.push(&event{at: now.Add(c.handle), kind: complete, c: c})
		case acd.CallAbandoned:
			c := r.calls[ev.Call]
			c.done = true
			delete(r.calls, ev.Call)
			if c.measured {
				a := &r.queues[c.q]
				a.abandoned++
				a.waited++
				a.maxWait = math.Max(a.maxWait, now.Sub(c.arrived).Seconds())
				r.addGhost(c)
			}
		case acd.CallEnded:
			c := r.calls[ev.Call]
			c.done = true
			delete(r.calls, ev.Call)
		case acd.AgentStateChanged:
			r.agentState(ev, now)
		}
	}
}

func (r *runner) threshold() time.Duration {
	if r.sc.ServiceLevelThreshold > 0 {
		return r.sc.ServiceLevelThreshold
	}
	return 20 * time.Second
}

func (r *runner) agentState(ev acd.AgentStateChanged, now time.Time) {
	wasBusy := ev.From == acd.Reserved || ev.From == acd.OnCall || ev.From == acd.WrapUp
	isBusy := ev.To == acd.Reserved || ev.To == acd.OnCall || ev.To == acd.WrapUp
	switch {
	case isBusy && !wasBusy:
		r.busySince[ev.Agent] = now
	case wasBusy && !isBusy:
		r.busy += overlap(r.busySince[ev.Agent], now, r.start, r.end)
		delete(r.busySince, ev.Agent)
	}
	if ev.To == acd.Available {
		// The agent found nothing to take: every ghost in its queues would have been served by now.
		// (The engine emits Available before it looks; a later Reserved in the same step means
		// it found a call, and the answer resolves the ghosts ahead of that call instead.)
		if v, _ := r.e.Agent(ev.Agent); v.State == acd.Available {
			for _, qi := range r.agentQs[ev.Agent] {
				r.resolveGhosts(qi, time.Time{}, now)
			}
		}
	}
}

// addGhost files an abandoned caller among its queue's ghosts, which stay in arrival order:
// callers abandon in another order than they arrived, and resolveGhosts relies on the order.
func (r *runner) addGhost(c *simCall) {
	g := r.queues[c.q].ghosts
	i := sort.Search(len(g), func(i int) bool { return c.arrived.Before(g[i].arrived) })
	r.queues[c.q].ghosts = slices.Insert(g, i, c)
}

// resolveGhosts scores every abandoned caller who arrived before `before` (all of them when
// before is zero) in queue qi: had they stayed, they would have been served now.
func (r *runner) resolveGhosts(qi int, before, now time.Time) {
	g := r.queues[qi].ghosts
	n := 0
	for n < len(g) && (before.IsZero() || g[n].arrived.Before(before)) {
		r.score(g[n], now.Sub(g[n].arrived).Seconds())
		n++
	}
	r.queues[qi].ghosts = g[n:]
}

func (r *runner) score(c *simCall, actual float64) {
	if c.predict == nil {
		return
	}
	for i, p := range c.predict {
		a := &r.acc[i]
		d := p - actual
		a.n++
		a.sqErr += d * d
		a.absErr += math.Abs(d)
		a.err += d
		a.w += actual
	}
	c.predict = nil
}

func overlap(from, to, start, end time.Time) float64 {
	if from.Before(start) {
		from = start
	}
	if to.After(end) {
		to = end
	}
	if !to.After(from) {
		return 0
	}
	return to.Sub(from).Seconds()
}

func (r *runner) result(threshold time.Duration) Result {
	res := Result{Queues: map[string]QueueResult{}, EWT: map[string]EWTResult{}}
	for i, a := range r.queues {
		qr := QueueResult{Offered: a.offered, Answered: a.answered, Abandoned: a.abandoned, MaxWait: a.maxWait}
		if a.answered > 0 {
			qr.ServiceLevel = float64(a.answeredIn) / float64(a.answered)
			qr.ASA = a.waitSum / float64(a.answered)
			qr.AHT = a.handleSum / float64(a.answered)
		}
		if a.offered > 0 {
			qr.AbandonRate = float64(a.abandoned) / float64(a.offered)
			qr.WaitProbability = float64(a.waited) / float64(a.offered)
		}
		res.Queues[r.names[i]] = qr
	}
	res.Agents.Count = r.agents
	if r.agents > 0 {
		res.Agents.Occupancy = r.busy / (float64(r.agents) * r.sc.Duration.Seconds())
	}
	for i, name := range r.ests {
		a := r.acc[i]
		er := EWTResult{Samples: a.n}
		if a.n > 0 && a.w > 0 {
			mean := a.w / float64(a.n)
			er.RASE = a.sqErr / float64(a.n) / (mean * mean)
			er.MAE = a.absErr / float64(a.n)
			er.Bias = a.err / float64(a.n)
		}
		res.EWT[name] = er
	}
	return res
}
