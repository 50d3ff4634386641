package acd

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// busyCenter builds an engine with nQueues queues and nAgents agents, each agent in
// perAgent random queues, every agent on a call, and nWaiting calls waiting.
func busyCenter(b *testing.B, nAgents, nQueues, perAgent, nWaiting int) (*Engine, []string, map[string]string, *rand.Rand) {
	clock := &ManualClock{T: t0}
	e, err := New(Options{Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < nQueues; i++ {
		if err := e.AddQueue(QueueConfig{Name: "q" + strconv.Itoa(i), WrapUp: time.Minute, Skills: map[string]int{"en": 1}}); err != nil {
			b.Fatal(err)
		}
	}
	agents := make([]string, nAgents)
	onCall := map[string]string{}
	n := 0
	for i := range agents {
		id := "a" + strconv.Itoa(i)
		agents[i] = id
		cfg := AgentConfig{ID: id, Skills: map[string]int{"en": 1 + r.IntN(10)}}
		for _, qi := range r.Perm(nQueues)[:perAgent] {
			cfg.Queues = append(cfg.Queues, Membership{Queue: "q" + strconv.Itoa(qi)})
		}
		if err := e.AddAgent(cfg); err != nil {
			b.Fatal(err)
		}
		if err := e.Login(id); err != nil {
			b.Fatal(err)
		}
		// Put the agent on a call from one of its queues.
		n++
		cid := "busy" + strconv.Itoa(n)
		if err := e.Enqueue(CallRequest{ID: cid, Queue: cfg.Queues[0].Queue}); err != nil {
			b.Fatal(err)
		}
		if err := e.Answer(cid); err != nil {
			b.Fatal(err)
		}
		onCall[id] = cid
	}
	for i := 0; i < nWaiting; i++ {
		n++
		if err := e.Enqueue(CallRequest{ID: "w" + strconv.Itoa(n), Queue: "q" + strconv.Itoa(i%nQueues), Priority: r.IntN(3)}); err != nil {
			b.Fatal(err)
		}
	}
	return e, agents, onCall, r
}

// BenchmarkRoute measures one routing cycle in a busy center: an agent's call ends, the agent
// asks for the next call (the agent-side decision across its queues), answers it, and a
// new call arrives (the call-side decision, finding nobody free). Every queue keeps its length.
func BenchmarkRoute(b *testing.B) {
	const agents, queues, waiting = 10000, 1000, 10000
	b.Run(fmt.Sprintf("agents=%d/queues=%d/waiting=%d", agents, queues, waiting), func(b *testing.B) {
		e, ids, onCall, r := busyCenter(b, agents, queues, 5, waiting)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			a := ids[i%len(ids)]
			if err := e.Hangup(onCall[a]); err != nil {
				b.Fatal(err)
			}
			if err := e.Ready(a); err != nil {
				b.Fatal(err)
			}
			c := e.agents[a].call
			if c == nil {
				b.Fatal("no call offered")
			}
			if err := e.Answer(c.id); err != nil {
				b.Fatal(err)
			}
			onCall[a] = c.id
			// The replacement arrives in the queue the call left, so each queue keeps its length.
			if err := e.Enqueue(CallRequest{ID: "n" + strconv.Itoa(i), Queue: c.q.cfg.Name, Priority: r.IntN(3)}); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if got := len(e.calls); got != agents+waiting {
			b.Fatalf("calls held: %d", got)
		}
	})
}

// BenchmarkAgentStateChange pauses and readies agents that serve 5 queues each; the cost
// must not grow with the number of queues in the center.
func BenchmarkAgentStateChange(b *testing.B) {
	for _, queues := range []int{10, 1000} {
		b.Run(fmt.Sprintf("queues=%d", queues), func(b *testing.B) {
			clock := &ManualClock{T: t0}
			e, _ := New(Options{Clock: clock})
			r := rand.New(rand.NewPCG(3, 4))
			for i := 0; i < queues; i++ {
				if err := e.AddQueue(QueueConfig{Name: "q" + strconv.Itoa(i)}); err != nil {
					b.Fatal(err)
				}
			}
			const agents = 2000
			ids := make([]string, agents)
			for i := range ids {
				ids[i] = "a" + strconv.Itoa(i)
				cfg := AgentConfig{ID: ids[i]}
				for _, qi := range r.Perm(queues)[:5] {
					cfg.Queues = append(cfg.Queues, Membership{Queue: "q" + strconv.Itoa(qi)})
				}
				if err := e.AddAgent(cfg); err != nil {
					b.Fatal(err)
				}
				if err := e.Login(ids[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				a := ids[i%agents]
				if i/agents%2 == 0 {
					_ = e.Pause(a, "break")
				} else {
					_ = e.Ready(a)
				}
			}
		})
	}
}

// BenchmarkWaitingCallMemory reports the heap held per waiting call, data included.
func BenchmarkWaitingCallMemory(b *testing.B) {
	const n = 100000
	for i := 0; i < b.N; i++ {
		clock := &ManualClock{T: t0}
		e, _ := New(Options{Clock: clock})
		for q := 0; q < 100; q++ {
			_ = e.AddQueue(QueueConfig{Name: "q" + strconv.Itoa(q), Skills: map[string]int{"en": 2}})
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for c := 0; c < n; c++ {
			err := e.Enqueue(CallRequest{
				ID: "1795405336." + strconv.Itoa(c), Queue: "q" + strconv.Itoa(c%100), Priority: c % 3,
				Skills: map[string]int{"billing": 3},
				Data:   map[string]string{"customer": "C" + strconv.Itoa(c), "lang": "en"},
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/call")
		runtime.KeepAlive(e)
	}
}
