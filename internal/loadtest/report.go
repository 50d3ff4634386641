package loadtest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Quantiles of the offer latency.
type Quantiles struct {
	P50 time.Duration
	P90 time.Duration
	P99 time.Duration
	Max time.Duration
}

// MarshalJSON writes the quantiles in milliseconds.
func (q Quantiles) MarshalJSON() ([]byte, error) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return json.Marshal(struct {
		P50 float64 `json:"p50_ms"`
		P90 float64 `json:"p90_ms"`
		P99 float64 `json:"p99_ms"`
		Max float64 `json:"max_ms"`
	}{ms(q.P50), ms(q.P90), ms(q.P99), ms(q.Max)})
}

// LostCall is a placed call that did not complete, and why.
type LostCall struct {
	Channel string `json:"channel"`
	Call    string `json:"call"`
	Why     string `json:"why"`
}

// Report is the outcome of a run.
type Report struct {
	// The load.
	Rate        float64       `json:"rate"`
	Duration    time.Duration `json:"duration_ns"`
	Agents      int           `json:"agents"`
	Talk        time.Duration `json:"talk_ns"`
	AnswerAfter time.Duration `json:"answer_after_ns"`
	PhoneHangup time.Duration `json:"phone_hangup_ns,omitempty"`
	Queues      int           `json:"queues"`
	// Capacity is the most calls per second the agents can take: Agents / (Talk + AnswerAfter),
	// with PhoneHangup for Talk when shorter.
	Capacity float64 `json:"capacity_per_s"`

	// Calls.
	Placed      int        `json:"placed"`
	Completed   int        `json:"completed"`
	Lost        int        `json:"lost"`
	LostCalls   []LostCall `json:"lost_calls,omitempty"` // the first 10
	ArrivalRate float64    `json:"arrival_rate_per_s"`   // achieved: placed calls over the placing time

	// ARI.
	EventsDropped float64 `json:"events_dropped"`
	Reconnects    float64 `json:"reconnects"`
	// The emulated Asterisk's HTTP side (ariemu.Cost): its session limit (negative: none),
	// the most sessions open at once, connections refused for the limit, REST requests
	// served (HTTP and websocket) and their number per placed call.
	SessionLimit       int     `json:"session_limit"`
	PeakSessions       int64   `json:"peak_sessions"`
	RefusedConnections int64   `json:"refused_connections"`
	ARIRequests        int64   `json:"ari_requests"`
	RequestsPerCall    float64 `json:"ari_requests_per_call"`

	// Router.
	LatencySamples int       `json:"offers"` // offers whose latency was measured (every offer)
	OfferLatency   Quantiles `json:"offer_latency"`
	// CallerToAgent is measured on the emulator's clock over the wire: from the caller's
	// channel entering Stasis to the answering agent's channel being originated. It includes
	// the time spent waiting for a free agent, so it equals OfferLatency plus the ARI hops
	// only for calls offered on arrival.
	CallerToAgent Quantiles     `json:"caller_to_agent"`
	MaxWaiting    int           `json:"max_waiting"`        // most callers waiting at once (1 s snapshots)
	MaxOldestWait time.Duration `json:"max_oldest_wait_ns"` // longest wait seen in a snapshot

	// Screen pop, when Options.Pops is set.
	Pops *PopFigures `json:"pops,omitempty"`

	// Store, when the caller passed StoreRate.
	StoreWriteRate *float64 `json:"store_write_rate_per_s,omitempty"`

	// Process (router and emulator together).
	PeakRSSBytes  uint64        `json:"peak_rss_bytes"`
	PeakHeapBytes uint64        `json:"peak_heap_bytes"`
	Wall          time.Duration `json:"wall_ns"`
}

// OK reports whether nothing was lost or dropped.
func (r Report) OK() bool { return r.Lost == 0 && r.EventsDropped == 0 }

// String is the report for people.
func (r Report) String() string {
	var b strings.Builder
	ms := func(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d.Microseconds())/1000) }
	fmt.Fprintf(&b, "load:            %.0f calls/s for %v, %d agents in %d queue(s), %v talk, answer after %v\n",
		r.Rate, r.Duration, r.Agents, r.Queues, r.Talk, r.AnswerAfter)
	if r.PhoneHangup > 0 {
		fmt.Fprintf(&b, "phones:          hang up %v after answering, bridged or not\n", r.PhoneHangup)
	}
	fmt.Fprintf(&b, "capacity:        %.1f calls/s (agents / (talk + answer delay))\n", r.Capacity)
	fmt.Fprintf(&b, "calls placed:    %d (achieved arrival rate %.1f/s)\n", r.Placed, r.ArrivalRate)
	fmt.Fprintf(&b, "calls completed: %d\n", r.Completed)
	fmt.Fprintf(&b, "calls lost:      %d\n", r.Lost)
	for _, l := range r.LostCalls {
		fmt.Fprintf(&b, "  %s: %s\n", l.Call, l.Why)
	}
	fmt.Fprintf(&b, "events dropped:  %.0f (websocket reconnects %.0f)\n", r.EventsDropped, r.Reconnects)
	limit := fmt.Sprint(r.SessionLimit)
	if r.SessionLimit < 0 {
		limit = "none"
	}
	fmt.Fprintf(&b, "ARI sessions:    peak %d of %s allowed, %d connections refused (EOF on a real Asterisk)\n",
		r.PeakSessions, limit, r.RefusedConnections)
	fmt.Fprintf(&b, "ARI requests:    %d, %.1f per call\n", r.ARIRequests, r.RequestsPerCall)
	fmt.Fprintf(&b, "offer latency:   p50 %s  p90 %s  p99 %s  max %s  (%d offers)\n",
		ms(r.OfferLatency.P50), ms(r.OfferLatency.P90), ms(r.OfferLatency.P99), ms(r.OfferLatency.Max), r.LatencySamples)
	fmt.Fprintf(&b, "caller → agent:  p50 %s  p90 %s  p99 %s  max %s  (Stasis → agent originated, over ARI, queue wait included)\n",
		ms(r.CallerToAgent.P50), ms(r.CallerToAgent.P90), ms(r.CallerToAgent.P99), ms(r.CallerToAgent.Max))
	if p := r.Pops; p != nil {
		fmt.Fprintf(&b, "offer → pop:     p50 %s  p90 %s  p99 %s  max %s  (%d of %d offers delivered to %d SSE desktops; the hub's part: p99 ≤ %s)\n",
			ms(p.Latency.P50), ms(p.Latency.P90), ms(p.Latency.P99), ms(p.Latency.Max), p.Delivered, p.Offers, p.Clients, ms(p.HubP99))
	}
	fmt.Fprintf(&b, "queue backlog:   max %d waiting, oldest wait %v\n", r.MaxWaiting, r.MaxOldestWait.Round(time.Millisecond))
	if r.StoreWriteRate != nil {
		fmt.Fprintf(&b, "store writes:    %.0f/s\n", *r.StoreWriteRate)
	} else {
		fmt.Fprintf(&b, "store writes:    n/a (no store attached)\n")
	}
	fmt.Fprintf(&b, "peak memory:     RSS %.1f MiB, Go heap %.1f MiB (router and emulator in one process)\n",
		float64(r.PeakRSSBytes)/(1<<20), float64(r.PeakHeapBytes)/(1<<20))
	fmt.Fprintf(&b, "wall time:       %v\n", r.Wall.Round(time.Millisecond))
	return b.String()
}
