package router

import (
	"github.com/prometheus/client_golang/prometheus"

	"switchboard/acd"
)

// metrics counts engine events and reports the live snapshot.
type metrics struct {
	r            *Router
	offered      *prometheus.CounterVec
	answered     *prometheus.CounterVec
	abandoned    *prometheus.CounterVec
	wait         *prometheus.HistogramVec
	offerLatency prometheus.Histogram
	setup        prometheus.Histogram
	waiting      *prometheus.Desc
	oldest       *prometheus.Desc
	agents       *prometheus.Desc
	sl           *prometheus.Desc
	slGoal       *prometheus.Desc
}

// nodeMetrics reports each Asterisk node of a router over several from the snapshot.
type nodeMetrics struct {
	r                    *Router
	ready, calls, agents *prometheus.Desc
}

func newMetrics(r *Router, reg prometheus.Registerer) *metrics {
	m := &metrics{
		r: r,
		offered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_calls_offered_total", Help: "Calls that entered a queue (transfers and overflows included).",
		}, []string{"queue"}),
		answered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_calls_answered_total", Help: "Calls answered by an agent.",
		}, []string{"queue"}),
		abandoned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_calls_abandoned_total", Help: "Callers who hung up before reaching an agent.",
		}, []string{"queue"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "switchboard_queue_wait_seconds", Help: "Time from the caller's original enqueue to the answer.",
			Buckets: []float64{1, 5, 10, 20, 30, 60, 120, 300, 600, 1200},
		}, []string{"queue"}),
		offerLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "switchboard_offer_latency_seconds",
			Help:    "From the caller's arrival (or the engine's decision, for later offers) to the agent originate being sent.",
			Buckets: []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1},
		}),
		setup: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "switchboard_call_setup_seconds",
			Help:    "From the caller's StasisStart to caller and agent both in the call's mixing bridge (queue wait included): what the caller lives through.",
			Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300},
		}),
		waiting: prometheus.NewDesc("switchboard_queue_calls_waiting", "Calls waiting in the queue.", []string{"queue"}, nil),
		oldest:  prometheus.NewDesc("switchboard_queue_oldest_wait_seconds", "Longest wait among the queue's waiting calls.", []string{"queue"}, nil),
		agents:  prometheus.NewDesc("switchboard_agents", "Agents by state.", []string{"state"}, nil),
		sl: prometheus.NewDesc("switchboard_queue_service_level",
			"Calls answered within the queue's service-level threshold ÷ calls answered, since local midnight (window=\"today\") "+
				"or over the engine's sliding statistics window (window=\"window\", 15m by default); absent before the first answer.",
			[]string{"queue", "window"}, nil),
		slGoal: prometheus.NewDesc("switchboard_queue_service_level_goal", "The queue's service-level goal, 0-1.", []string{"queue"}, nil),
	}
	nm := &nodeMetrics{r: r,
		ready: prometheus.NewDesc("switchboard_node_ready",
			"1 while the router sees the Asterisk node (event link up and reconciled); only with several nodes.", []string{"node"}, nil),
		calls: prometheus.NewDesc("switchboard_node_calls", "The router's calls whose caller is on the node; only with several nodes.", []string{"node"}, nil),
		agents: prometheus.NewDesc("switchboard_node_agents",
			"Logged-in agents whose phone is on the node; only with several nodes.", []string{"node"}, nil),
	}
	if reg != nil {
		reg.MustRegister(m.offered, m.answered, m.abandoned, m.wait, m.offerLatency, m.setup, m, nm)
	}
	return m
}

func (m *metrics) observe(ev acd.Event) {
	switch ev := ev.(type) {
	case acd.CallEnqueued:
		m.offered.WithLabelValues(ev.Queue).Inc()
	case acd.CallAnswered:
		m.answered.WithLabelValues(ev.Queue).Inc()
		m.wait.WithLabelValues(ev.Queue).Observe(ev.Waited.Seconds())
	case acd.CallAbandoned:
		m.abandoned.WithLabelValues(ev.Queue).Inc()
	}
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.waiting
	ch <- m.oldest
	ch <- m.agents
	ch <- m.sl
	ch <- m.slGoal
}

// Collect implements prometheus.Collector from the owner's latest snapshot.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	s := m.r.Snapshot()
	if s == nil {
		return
	}
	for _, q := range s.Queues {
		ch <- prometheus.MustNewConstMetric(m.waiting, prometheus.GaugeValue, float64(q.Waiting), q.Queue)
		ch <- prometheus.MustNewConstMetric(m.oldest, prometheus.GaugeValue, q.LongestWait.Seconds(), q.Queue)
		ch <- prometheus.MustNewConstMetric(m.slGoal, prometheus.GaugeValue, q.SLGoal, q.Queue)
		if q.Today.Answered > 0 {
			ch <- prometheus.MustNewConstMetric(m.sl, prometheus.GaugeValue, q.Today.ServiceLevel, q.Queue, "today")
		}
		if q.Window.Answered > 0 {
			ch <- prometheus.MustNewConstMetric(m.sl, prometheus.GaugeValue, q.Window.ServiceLevel, q.Queue, "window")
		}
	}
	for _, st := range acd.AgentStates() {
		ch <- prometheus.MustNewConstMetric(m.agents, prometheus.GaugeValue, float64(s.Agents[st]), st.String())
	}
}

// Describe implements prometheus.Collector.
func (m *nodeMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.ready
	ch <- m.calls
	ch <- m.agents
}

// Collect implements prometheus.Collector: nothing with one node.
func (m *nodeMetrics) Collect(ch chan<- prometheus.Metric) {
	s := m.r.Snapshot()
	if s == nil {
		return
	}
	for _, n := range s.Nodes {
		ready := 0.0
		if n.Ready {
			ready = 1
		}
		ch <- prometheus.MustNewConstMetric(m.ready, prometheus.GaugeValue, ready, n.Name)
		ch <- prometheus.MustNewConstMetric(m.calls, prometheus.GaugeValue, float64(n.Calls), n.Name)
		ch <- prometheus.MustNewConstMetric(m.agents, prometheus.GaugeValue, float64(n.Agents), n.Name)
	}
}
