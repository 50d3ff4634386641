package store

import (
	"context"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/ivr/callback"
)

// CallbackCollector exports the active callbacks, read from the database at
// scrape time: switchboard_callbacks{queue,state} for pending, scheduled and
// dialing (in progress), and switchboard_callbacks_up, 0 when the read
// failed or timed out (the counts are then left out rather than reported as
// zero). sum by (state) gives the totals. Labels carry no numbers or ids.
type CallbackCollector struct {
	s       *Store
	timeout time.Duration
	count   *prometheus.Desc
	up      *prometheus.Desc
}

// NewCallbackCollector returns a collector reading s with timeout per scrape
// (default 2s). Register it with the daemon's registerer.
func NewCallbackCollector(s *Store, timeout time.Duration) *CallbackCollector {
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	return &CallbackCollector{
		s:       s,
		timeout: timeout,
		count: prometheus.NewDesc("switchboard_callbacks",
			"Active callbacks by queue and state (pending, scheduled, dialing).", []string{"queue", "state"}, nil),
		up: prometheus.NewDesc("switchboard_callbacks_up",
			"1 when the last scrape read the callback counts from the database, 0 when it failed.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *CallbackCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.count
	ch <- c.up
}

// Collect implements prometheus.Collector.
func (c *CallbackCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	counts, err := c.s.CallbackCounts(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	queues := make([]string, 0, len(counts))
	for q := range counts {
		queues = append(queues, q)
	}
	slices.Sort(queues)
	for _, q := range queues {
		for _, st := range callback.ActiveStates {
			ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(counts[q][st]), q, string(st))
		}
	}
}
