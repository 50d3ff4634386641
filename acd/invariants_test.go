package acd

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// checker follows the event stream and checks the engine's invariants after every step.
type checker struct {
	t       testing.TB
	e       *Engine
	clock   *ManualClock
	live    map[string]bool   // calls the events say are in the engine
	offered map[string]string // call → agent with an open offer
	holding map[string]string // agent → call it was offered
	err     error
}

func newChecker(t testing.TB) *checker {
	k := &checker{t: t, clock: &ManualClock{T: t0}, live: map[string]bool{}, offered: map[string]string{}, holding: map[string]string{}}
	e, err := New(Options{Clock: k.clock, OnEvent: k.observe, RingTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	k.e = e
	return k
}

func (k *checker) fail(format string, args ...any) {
	if k.err == nil {
		k.err = fmt.Errorf(format, args...)
	}
}

func (k *checker) release(call string) {
	if a, ok := k.offered[call]; ok {
		delete(k.holding, a)
		delete(k.offered, call)
	}
}

func (k *checker) observe(ev Event) {
	switch ev := ev.(type) {
	case CallEnqueued:
		k.live[ev.Call] = true
	case CallOffered:
		if k.e.held {
			k.fail("call %s offered to %s while offers are held", ev.Call, ev.Agent)
		}
		if a, ok := k.offered[ev.Call]; ok {
			k.fail("call %s offered to %s while still offered to %s", ev.Call, ev.Agent, a)
		}
		if c, ok := k.holding[ev.Agent]; ok {
			k.fail("agent %s offered %s while holding %s", ev.Agent, ev.Call, c)
		}
		k.offered[ev.Call], k.holding[ev.Agent] = ev.Agent, ev.Call
		// FIFO: no call ahead in the same queue that this agent could take.
		c := k.e.calls[ev.Call]
		a := k.e.agents[ev.Agent]
		for _, d := range c.q.waiting {
			if d.before(c) && meets(a.skills, d.req, c.q.steps, int(d.step)) {
				k.fail("call %s offered to %s ahead of %s", ev.Call, ev.Agent, d.id)
			}
		}
	case CallRequeued:
		k.release(ev.Call)
	case CallAbandoned:
		k.release(ev.Call)
		delete(k.live, ev.Call)
	case CallRemoved:
		k.release(ev.Call)
		delete(k.live, ev.Call)
	case CallEnded:
		k.release(ev.Call)
		delete(k.live, ev.Call)
	case CallTransferred:
		k.release(ev.Call)
	case CallOverflowed:
		if ev.Callback {
			delete(k.live, ev.Call)
		}
	}
}

// check compares the engine's structures with each other and with the event stream.
func (k *checker) check() {
	e := k.e
	if k.err != nil {
		k.t.Fatal(k.err)
	}
	if len(e.calls) != len(k.live) {
		k.t.Fatalf("engine holds %d calls, events say %d", len(e.calls), len(k.live))
	}
	for id, c := range e.calls {
		if !k.live[id] {
			k.t.Fatalf("call %s held but ended by the events", id)
		}
		switch c.state {
		case waiting:
			if c.q.index(c) < 0 {
				k.t.Fatalf("waiting call %s not in its queue", id)
			}
			if c.agent != nil {
				k.t.Fatalf("waiting call %s has agent", id)
			}
		case offered, connected:
			want := Reserved
			if c.state == connected {
				want = OnCall
			}
			if c.agent == nil || c.agent.call != c || c.agent.state != want {
				k.t.Fatalf("call %s %s: agent link broken", id, c.state)
			}
		}
	}
	waitingSeen := map[*call]bool{}
	for name, q := range e.queues {
		for i, c := range q.waiting {
			if waitingSeen[c] || c.state != waiting || c.q != q || e.calls[c.id] != c {
				k.t.Fatalf("queue %s: bad waiting entry %s", name, c.id)
			}
			waitingSeen[c] = true
			if i > 0 && !q.waiting[i-1].before(c) {
				k.t.Fatalf("queue %s: out of order at %d", name, i)
			}
		}
		var counts [numAgentStates]int
		members := 0
		for _, a := range e.agents {
			for _, m := range a.members {
				if m.q == q {
					counts[a.state]++
					members++
				}
			}
		}
		if counts != q.byState || members != q.members {
			k.t.Fatalf("queue %s: state counts %v, members say %v", name, q.byState, counts)
		}
		for _, t := range q.tiers {
			var prev *member
			for m := t.head; m != nil; m = m.next {
				if m.a.state != Available || m.q != q || m.prev != prev {
					k.t.Fatalf("queue %s: bad available list", name)
				}
				if prev != nil && prev.a.idleSince.After(m.a.idleSince) {
					k.t.Fatalf("queue %s: available list out of idle order", name)
				}
				prev = m
			}
			if t.tail != prev {
				k.t.Fatalf("queue %s: tail broken", name)
			}
		}
	}
	for id, a := range e.agents {
		if (a.state == Reserved || a.state == OnCall) != (a.call != nil) {
			k.t.Fatalf("agent %s %s with call %v", id, a.state, a.call != nil)
		}
		for _, m := range a.members {
			if m.linked != (a.state == Available) {
				k.t.Fatalf("agent %s %s: linked %v in %s", id, a.state, m.linked, m.q.cfg.Name)
			}
			if a.state != Available || e.held {
				continue
			}
			for _, c := range m.q.waiting {
				if !c.parked && meets(a.skills, c.req, m.q.steps, int(c.step)) {
					k.t.Fatalf("agent %s available while %s waits in %s", id, c.id, m.q.cfg.Name)
				}
			}
		}
	}
}

// ops drives the engine from a byte stream: the property test feeds random bytes, the
// fuzzer its corpus. Every operation is legal or illegal at random; illegal ones must fail
// without changing anything.
type ops struct {
	k    *checker
	data []byte
	n    int
}

func (o *ops) next() int {
	if len(o.data) == 0 {
		return 0
	}
	b := o.data[0]
	o.data = o.data[1:]
	return int(b)
}

func (o *ops) setup() {
	e := o.k.e
	skills := []string{"en", "ru", "billing"}
	for i, name := range []string{"line1", "line2", "vip"} {
		cfg := QueueConfig{Name: name, Priority: i * 3, WrapUp: time.Duration(i*5) * time.Second,
			Strategy: []Strategy{LongestIdle, BestSkill, RoundRobin}[i], MaxWait: 5 * time.Minute,
			Skills:    map[string]int{skills[i%2]: 3},
			Expansion: []ExpansionStep{{After: 30 * time.Second, LevelDrop: 1}, {After: 90 * time.Second, Drop: []string{"billing"}}}}
		if i == 0 {
			cfg.Overflow = Overflow{Queue: "line2"}
		} else {
			cfg.Overflow = Overflow{Callback: true}
		}
		if err := e.AddQueue(cfg); err != nil {
			o.k.t.Fatal(err)
		}
	}
	for i := 0; i < 6; i++ {
		cfg := AgentConfig{ID: fmt.Sprintf("a%d", i), Skills: map[string]int{"en": 1 + i%9, "ru": 1 + (i*3)%9}}
		for j, q := range []string{"line1", "line2", "vip"} {
			if (i+j)%2 == 0 || i == j {
				cfg.Queues = append(cfg.Queues, Membership{Queue: q, Penalty: (i + j) % 3})
			}
		}
		if err := e.AddAgent(cfg); err != nil {
			o.k.t.Fatal(err)
		}
	}
}

func (o *ops) pickCall() string {
	ids := o.k.e.CallIDs()
	if len(ids) == 0 {
		return "none"
	}
	return ids[o.next()%len(ids)]
}

func (o *ops) run() {
	e := o.k.e
	queues := []string{"line1", "line2", "vip"}
	for len(o.data) > 0 {
		agent := fmt.Sprintf("a%d", o.next()%7) // a6 does not exist
		switch o.next() % 16 {
		case 0, 1:
			o.n++
			skills := map[string]int(nil)
			if x := o.next(); x%3 == 0 {
				skills = map[string]int{"billing": 1 + x%10}
			}
			_ = e.Enqueue(CallRequest{ID: fmt.Sprintf("c%d", o.n), Queue: queues[o.next()%3], Priority: o.next() % 11, Skills: skills})
		case 2:
			_ = e.Answer(o.pickCall())
		case 3:
			_ = e.OfferFailed(o.pickCall(), OfferFailure(o.next()%5))
		case 4:
			_ = e.Hangup(o.pickCall())
		case 5:
			_ = e.Transfer(o.pickCall(), queues[o.next()%3])
		case 6:
			p := o.next() % 11
			_ = e.UpdateCall(o.pickCall(), CallUpdate{Priority: &p})
		case 7:
			_ = e.Remove(o.pickCall(), "test")
		case 8:
			_ = e.Login(agent)
		case 9:
			_ = e.Logout(agent)
		case 10:
			_ = e.Pause(agent, "break")
		case 11:
			_ = e.Ready(agent)
		case 12:
			o.k.clock.Advance(time.Duration(o.next()) * time.Second / 2)
			e.Tick()
		case 13:
			if v, ok := e.Agent(agent); ok {
				cfg := AgentConfig{ID: v.ID, Skills: map[string]int{"en": 1 + o.next()%10, "billing": 1 + o.next()%10}}
				for _, q := range queues {
					if o.next()%2 == 0 {
						cfg.Queues = append(cfg.Queues, Membership{Queue: q, Penalty: o.next() % 3})
					}
				}
				_ = e.UpdateAgent(cfg)
			}
		case 14:
			e.Hold()
		case 15:
			e.Resume()
		}
		o.k.check()
	}
}

func TestInvariantsRandom(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		r := rand.New(rand.NewPCG(seed, 42))
		data := make([]byte, 600)
		for i := range data {
			data[i] = byte(r.UintN(256))
		}
		k := newChecker(t)
		o := &ops{k: k, data: data}
		o.setup()
		o.run()
	}
}

func FuzzEngine(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 1, 8, 12, 1, 0, 2, 12, 50, 4})
	f.Add([]byte("\x00\x08\x00\x00\x01\x02\x00\x02\x01\x05\x00\x01\x02\x04\x0c\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k := newChecker(t)
		o := &ops{k: k, data: data}
		o.setup()
		o.run()
	})
}
