package store

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	up           prometheus.Gauge
	writeErrors  prometheus.Counter
	written      prometheus.Counter
	batchSeconds prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, j *Journal) (*metrics, error) {
	m := &metrics{
		up: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "switchboard_store_up",
			Help: "1 when the journal's last database write succeeded, 0 while it is retrying.",
		}),
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_store_write_errors_total",
			Help: "Journal batch writes that failed (each is retried).",
		}),
		written: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_store_events_written_total",
			Help: "Engine events and call infos the journal committed.",
		}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "switchboard_store_batch_duration_seconds",
			Help:    "Time to build and commit one journal batch.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 8),
		}),
	}
	m.up.Set(1)
	if reg == nil {
		return m, nil
	}
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "switchboard_store_pending_events",
		Help: "Events recorded by the journal and not yet written.",
	}, func() float64 { return float64(j.Pending()) })
	for _, c := range []prometheus.Collector{m.up, m.writeErrors, m.written, m.batchSeconds, pending} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("journal: register metrics: %w", err)
		}
	}
	return m, nil
}
