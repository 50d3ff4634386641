package main

import (
	"regexp"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// describedRegistry is the daemon's metrics registry. It remembers the names of the metrics
// its collectors describe, so that the deploy files (Grafana dashboard, alerting rules) can be
// checked against the metrics the daemon really exports, whether or not they have values yet.
type describedRegistry struct {
	*prometheus.Registry
	mu    sync.Mutex
	names map[string]bool
}

func newDescribedRegistry() *describedRegistry {
	return &describedRegistry{Registry: prometheus.NewRegistry(), names: map[string]bool{}}
}

var descName = regexp.MustCompile(`fqName: "([^"]+)"`)

// Register implements prometheus.Registerer.
func (r *describedRegistry) Register(c prometheus.Collector) error {
	if err := r.Registry.Register(c); err != nil {
		return err
	}
	ch := make(chan *prometheus.Desc)
	go func() { c.Describe(ch); close(ch) }()
	r.mu.Lock()
	defer r.mu.Unlock()
	for d := range ch {
		if m := descName.FindStringSubmatch(d.String()); m != nil {
			r.names[m[1]] = true
		}
	}
	return nil
}

// MustRegister implements prometheus.Registerer.
func (r *describedRegistry) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// Names returns the metric names described so far.
func (r *describedRegistry) Names() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]bool, len(r.names))
	for n := range r.names {
		out[n] = true
	}
	return out
}
