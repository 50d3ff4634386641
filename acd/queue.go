package acd

import (
	"sort"
	"time"
)

// Strategy chooses among the available agents of a queue.
type Strategy string

const (
	LongestIdle   Strategy = "longest-idle"
	BestSkill     Strategy = "best-skill" // best skill match, then longest idle
	FewestCalls   Strategy = "fewest-calls"
	RoundRobin    Strategy = "round-robin"
	defaultSLGoal          = 0.8
	defaultSLTime          = 20 * time.Second
)

// Overflow is where a call goes after waiting MaxWait: another queue, or a callback.
type Overflow struct {
	Queue    string
	Callback bool
}

// QueueConfig describes a queue.
type QueueConfig struct {
	Name              string
	Priority          int           // base priority added to each call's own when agents choose across queues
	SLThreshold       time.Duration // service-level threshold (default 20s)
	SLGoal            float64       // service-level goal, 0..1 (default 0.8)
	Skills            map[string]int
	MaxWait           time.Duration // 0: no limit
	Overflow          Overflow
	CallbackThreshold time.Duration // offer a callback when the expected wait passes this; 0: never
	WrapUp            time.Duration
	// RequireDisposition keeps an agent in wrap-up, past WrapUp if need be, until the call
	// has its disposition (Engine.Disposed); Ready is refused before.
	RequireDisposition bool
	Strategy           Strategy
	Expansion          []ExpansionStep
	RingTimeout        time.Duration // 0: the engine's default
}

// queue is a queue's runtime state.
type queue struct {
	cfg     QueueConfig
	req     []skillLevel
	steps   []expansion
	waiting []*call // ordered by before()
	tiers   []*tier // available members by penalty, ascending
	members int
	rrSeq   int // member order counter for round-robin
	rrLast  int
	byState [numAgentStates]int
	stats   queueStats
	hist    history
}

// tier holds a queue's available members of one penalty, in the order they became
// available (so the head is the longest idle).
type tier struct {
	penalty    int
	head, tail *member
}

// member is an agent's membership of a queue.
type member struct {
	a          *agent
	q          *queue
	penalty    int
	rr         int
	t          *tier
	prev, next *member
	linked     bool
}

func (q *queue) tierFor(penalty int) *tier {
	i := sort.Search(len(q.tiers), func(i int) bool { return q.tiers[i].penalty >= penalty })
	if i < len(q.tiers) && q.tiers[i].penalty == penalty {
		return q.tiers[i]
	}
	t := &tier{penalty: penalty}
	q.tiers = append(q.tiers, nil)
	copy(q.tiers[i+1:], q.tiers[i:])
	q.tiers[i] = t
	return t
}

// link appends m to its tier's available list, keeping idle order.
func (m *member) link() {
	if m.linked {
		return
	}
	t := m.t
	// Walk back over members that became idle later (only when memberships change while idle).
	after := t.tail
	for after != nil && after.a.idleSince.After(m.a.idleSince) {
		after = after.prev
	}
	m.prev = after
	if after == nil {
		m.next = t.head
		t.head = m
	} else {
		m.next = after.next
		after.next = m
	}
	if m.next == nil {
		t.tail = m
	} else {
		m.next.prev = m
	}
	m.linked = true
}

func (m *member) unlink() {
	if !m.linked {
		return
	}
	t := m.t
	if m.prev == nil {
		t.head = m.next
	} else {
		m.prev.next = m.next
	}
	if m.next == nil {
		t.tail = m.prev
	} else {
		m.next.prev = m.prev
	}
	m.prev, m.next, m.linked = nil, nil, false
}

// touch brings the queue's time integrals up to now; call it before a change to the
// waiting list or to the members' states.
func (q *queue) touch(now time.Time) {
	q.stats.accrue(now, q)
	q.hist.accrue(now, len(q.waiting), q.staffed())
}

// staffed counts the members available or working a call.
func (q *queue) staffed() int {
	return q.byState[Available] + q.byState[Reserved] + q.byState[OnCall] + q.byState[WrapUp]
}

// insert puts c at its place in the waiting list.
func (q *queue) insert(c *call, now time.Time) {
	q.touch(now)
	i := sort.Search(len(q.waiting), func(i int) bool { return c.before(q.waiting[i]) })
	q.waiting = append(q.waiting, nil)
	copy(q.waiting[i+1:], q.waiting[i:])
	q.waiting[i] = c
}

// index returns c's index in the waiting list, or -1.
func (q *queue) index(c *call) int {
	i := sort.Search(len(q.waiting), func(i int) bool { return !q.waiting[i].before(c) })
	if i < len(q.waiting) && q.waiting[i] == c {
		return i
	}
	return -1
}

func (q *queue) remove(c *call, now time.Time) bool {
	q.touch(now)
	i := q.index(c)
	if i < 0 {
		return false
	}
	copy(q.waiting[i:], q.waiting[i+1:])
	q.waiting[len(q.waiting)-1] = nil
	q.waiting = q.waiting[:len(q.waiting)-1]
	return true
}

// positionFor is the 1-based position a new call of priority prio would take.
func (q *queue) positionFor(prio int) int {
	return sort.Search(len(q.waiting), func(i int) bool { return int(q.waiting[i].prio) < prio }) + 1
}

// stepAt is the expansion step reached after waiting d in the queue.
func (q *queue) stepAt(d time.Duration) int {
	n := 0
	for n < len(q.steps) && d >= q.steps[n].after {
		n++
	}
	return n
}

// slThreshold returns the queue's service-level threshold.
func (q *queue) slThreshold() time.Duration {
	if q.cfg.SLThreshold > 0 {
		return q.cfg.SLThreshold
	}
	return defaultSLTime
}
