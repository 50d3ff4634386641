package loadtest

import (
	"bufio"
	"os"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"switchboard/internal/router"
)

// latencies collects offer latency samples; the router calls add from its workers.
type latencies struct {
	mu      sync.Mutex
	samples []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.samples = append(l.samples, d)
	l.mu.Unlock()
}

// summary gives exact quantiles (nearest rank) of the samples taken so far.
func (l *latencies) summary() (int, Quantiles) {
	l.mu.Lock()
	s := slices.Clone(l.samples)
	l.mu.Unlock()
	if len(s) == 0 {
		return 0, Quantiles{}
	}
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.999999999) - 1 // nearest rank: ceil(p·n)-1
		return s[min(max(i, 0), len(s)-1)]
	}
	return len(s), Quantiles{P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), Max: s[len(s)-1]}
}

// monitor samples the router's snapshot (queue backlog) and the Go heap every 100 ms.
type monitor struct {
	done       chan struct{}
	stopped    chan struct{}
	once       sync.Once
	maxWaiting int
	maxOldest  time.Duration
	peakHeap   uint64
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func startMonitor(r *router.Router) *monitor {
	m := &monitor{done: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(m.stopped)
		sample := []metrics.Sample{{Name: heapMetric}}
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if s := r.Snapshot(); s != nil {
				waiting := 0
				for _, q := range s.Queues {
					waiting += q.Waiting
					m.maxOldest = max(m.maxOldest, q.LongestWait)
				}
				m.maxWaiting = max(m.maxWaiting, waiting)
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				m.peakHeap = max(m.peakHeap, sample[0].Value.Uint64())
			}
			select {
			case <-m.done:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

// stop ends the sampling; the fields are safe to read once it returns.
func (m *monitor) stop() {
	m.once.Do(func() { close(m.done) })
	<-m.stopped
}

// peakRSS is the process's peak resident set (VmHWM), 0 where /proc is not there.
func peakRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}
