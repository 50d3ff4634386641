// Package loadtest drives the router with synthetic traffic over real ARI: it starts the ARI
// emulator in-process on a loopback port, connects the router to it through internal/asterisk
// (REST requests and the event websocket, exactly as in production), logs in a pool of agents
// whose phones answer after a fixed delay, places callers at a steady rate, waits until every
// call has ended and reports what happened: calls completed and lost, ARI events dropped, the
// router's offer latency (enqueue → originate sent), queue backlog, memory and wall time.
// The emulator costs what a real Asterisk does (ariemu.Cost: 100 HTTP sessions, a service
// time per request), so a router that opens a connection per request in flight meets the
// refused connections (EOF) it would meet on Asterisk; the report gives the peak sessions,
// the refused connections and the ARI requests per call.
//
// Everything runs in one process, emulator included, so the memory and CPU figures are those
// of router and emulator together: an upper bound for the router alone.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/asterisk"
	"switchboard/internal/router"
)

// Options describe a load.
type Options struct {
	Rate        float64       // new calls per second (default 200)
	Duration    time.Duration // how long callers arrive (default 60s); Rate×Duration calls are placed
	Agents      int           // agents, all logged in (default 1000); endpoints PJSIP/1000, PJSIP/1001, …
	Talk        time.Duration // talk time: the caller hangs up this long after being bridged (default 5s)
	AnswerAfter time.Duration // agent phones answer this long after the originate (default 200ms)
	Queues      int           // queues the agents are spread over, one DID each (default 1)
	// PhoneHangup, when set, has every agent phone hang up this long after answering,
	// bridged or not, as sbload's phones do on a real Asterisk: a router slower than that to
	// bridge the agent meets a phone that is gone (0: phones stay until the caller leaves).
	PhoneHangup time.Duration
	// Drain bounds the wait for the last calls to end after the last arrival
	// (default Duration + 2 minutes).
	Drain  time.Duration
	Logger *slog.Logger // default: discard
	// Observer, when set, sees every engine event in order (e.g. the store's journal).
	Observer func(acd.Event)
	// Pops connects one screen-pop desktop per agent (SSE over HTTP) and measures offer → pop
	// delivered (pops.go).
	Pops bool
	// StoreRate, when set, is read at the end and reported as the store's write rate
	// (rows or events per second, as the caller defines it).
	StoreRate func() float64
	// Cost is what ARI costs the emulated Asterisk (ariemu.Cost; the zero value is a real
	// Asterisk's: 100 HTTP sessions, 0.118 ms a request), so that the run meets the limits
	// a real one would.
	Cost ariemu.Cost
}

func (o *Options) defaults() {
	if o.Rate <= 0 {
		o.Rate = 200
	}
	if o.Duration <= 0 {
		o.Duration = 60 * time.Second
	}
	if o.Agents <= 0 {
		o.Agents = 1000
	}
	if o.Talk <= 0 {
		o.Talk = 5 * time.Second
	}
	if o.AnswerAfter <= 0 {
		o.AnswerAfter = 200 * time.Millisecond
	}
	if o.Queues <= 0 {
		o.Queues = 1
	}
	if o.Drain <= 0 {
		o.Drain = o.Duration + 2*time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

const (
	node = "lt"
	app  = "switchboard"
	user = "loadtest"
	pass = "loadtest"
)

func queueName(i int) string { return "q" + strconv.Itoa(i+1) }
func did(i int) string       { return strconv.Itoa(5551000 + i) }

// config builds the router configuration: agents spread round-robin over the queues, one DID
// per queue, no wrap-up and no announcements.
func config(o Options) router.Config {
	cfg := router.Config{Node: node, App: app, LoginAgents: true, DIDs: map[string]router.Route{}}
	for i := 0; i < o.Queues; i++ {
		cfg.Queues = append(cfg.Queues, acd.QueueConfig{Name: queueName(i)})
		cfg.DIDs[did(i)] = router.Route{Queue: queueName(i)}
	}
	for i := 0; i < o.Agents; i++ {
		n := 1000 + i
		cfg.Agents = append(cfg.Agents, acd.AgentConfig{
			ID: "a" + strconv.Itoa(n), Endpoint: "PJSIP/" + strconv.Itoa(n),
			Queues: []acd.Membership{{Queue: queueName(i % o.Queues)}},
		})
	}
	return cfg
}

// Run places the load and reports. It returns an error only when the rig cannot be set up or
// ctx ends; lost calls and dropped events are in the report.
func Run(ctx context.Context, o Options) (Report, error) {
	o.defaults()
	rep := Report{Rate: o.Rate, Duration: o.Duration, Agents: o.Agents, Talk: o.Talk, AnswerAfter: o.AnswerAfter, PhoneHangup: o.PhoneHangup, Queues: o.Queues}
	busy := o.Talk
	if o.PhoneHangup > 0 && o.PhoneHangup < busy {
		busy = o.PhoneHangup
	}
	rep.Capacity = float64(o.Agents) / (busy + o.AnswerAfter).Seconds()
	total := int(o.Rate*o.Duration.Seconds() + 0.5)

	emu, err := ariemu.New(ariemu.Options{
		Username: user, Password: pass, Speed: 1, Logger: o.Logger, Cost: o.Cost,
		DefaultPhone: &ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: o.AnswerAfter, HangupAfter: o.PhoneHangup},
	})
	if err != nil {
		return rep, fmt.Errorf("loadtest: emulator: %w", err)
	}
	defer emu.Close()
	addr, err := emu.Start("127.0.0.1:0")
	if err != nil {
		return rep, fmt.Errorf("loadtest: emulator: %w", err)
	}
	url := "http://" + addr + "/ari"

	lat := &latencies{}
	reg := prometheus.NewRegistry()
	ropts := router.Options{Logger: o.Logger, Probes: router.Probes{Registerer: reg, OfferLatency: lat.add}}
	if o.Observer != nil {
		ropts.Observers = []func(acd.Event){o.Observer}
	}
	cfg := config(o)
	var pr *pops
	if o.Pops {
		ids := make([]string, len(cfg.Agents))
		for i, a := range cfg.Agents {
			ids[i] = a.ID
		}
		if pr, err = startPops(ctx, ids, o.Logger); err != nil {
			return rep, fmt.Errorf("loadtest: pops: %w", err)
		}
		defer pr.close()
		pr.wire(&ropts)
	}
	rest := asterisk.NewREST(asterisk.RESTOptions{URL: url, App: app, Username: user, Password: pass})
	r, err := router.New(cfg, rest, ropts)
	if err != nil {
		return rep, fmt.Errorf("loadtest: %w", err)
	}
	events := asterisk.NewEvents(asterisk.EventsOptions{Types: router.EventTypes(), URL: url, App: app, Username: user, Password: pass,
		Logger: o.Logger, Registerer: reg, MinBackoff: 20 * time.Millisecond}, r)

	rctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = r.Run(rctx) }()
	go func() { defer wg.Done(); _ = events.Run(rctx) }()
	defer func() { stop(); wg.Wait() }()

	if err := waitFor(ctx, 10*time.Second, func() bool { return r.Reconciliations() > 0 }); err != nil {
		return rep, fmt.Errorf("loadtest: router did not connect: %w", err)
	}

	mon := startMonitor(r)
	defer mon.stop()

	start := time.Now()
	ids := make([]string, 0, total)
	var placeErr error
	interval := time.Duration(float64(time.Second) / o.Rate)
	timer := time.NewTimer(0)
	defer timer.Stop()
place:
	for i := 0; i < total; i++ {
		// Each call is due at start + i/Rate: sleeping to an absolute time does not drift,
		// and a late pacer catches up instead of stretching the run.
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				placeErr = ctx.Err()
				break place
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			placeErr = ctx.Err()
			break
		}
		id, err := emu.PlaceCaller(ariemu.Caller{
			Number: strconv.Itoa(79990000000 + i), DID: did(i % o.Queues), TalkTime: o.Talk,
		})
		if err != nil {
			placeErr = fmt.Errorf("place caller %d: %w", i, err)
			break
		}
		ids = append(ids, id)
	}
	placing := time.Since(start)
	rep.Placed = len(ids)
	if placing > 0 && len(ids) > 1 {
		rep.ArrivalRate = float64(len(ids)-1) / placing.Seconds()
	}

	// Wait, bounded, for every caller to hang up.
	deadline := time.Now().Add(o.Drain)
	drainErr := placeErr
	for drainErr == nil {
		if n := endedCount(emu, ids); n == len(ids) {
			break
		}
		if time.Now().After(deadline) {
			o.Logger.Warn("calls still up at the drain deadline")
			break
		}
		select {
		case <-ctx.Done():
			drainErr = ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	rep.Wall = time.Since(start)
	mon.stop()

	judge(emu, ids, &rep)
	rep.LatencySamples, rep.OfferLatency = lat.summary()
	if pr != nil {
		rep.Pops = pr.figures()
	}
	_, rep.PeakSessions, rep.RefusedConnections, rep.ARIRequests = emu.Sessions()
	if rep.Placed > 0 {
		rep.RequestsPerCall = float64(rep.ARIRequests) / float64(rep.Placed)
	}
	rep.SessionLimit = o.Cost.SessionLimit
	if rep.SessionLimit == 0 {
		rep.SessionLimit = 100
	}
	rep.EventsDropped = counter(reg, "switchboard_ari_events_dropped_total")
	rep.Reconnects = counter(reg, "switchboard_ari_reconnects_total")
	rep.MaxWaiting, rep.MaxOldestWait = mon.maxWaiting, mon.maxOldest
	rep.PeakHeapBytes = mon.peakHeap
	rep.PeakRSSBytes = peakRSS()
	if o.StoreRate != nil {
		v := o.StoreRate()
		rep.StoreWriteRate = &v
	}
	if drainErr != nil && !errors.Is(drainErr, context.Canceled) && !errors.Is(drainErr, context.DeadlineExceeded) {
		return rep, fmt.Errorf("loadtest: %w", drainErr)
	}
	if drainErr != nil {
		return rep, fmt.Errorf("loadtest: interrupted: %w", drainErr)
	}
	return rep, nil
}

// endedCount counts the placed callers whose channel is gone.
func endedCount(emu *ariemu.Server, ids []string) int {
	n := 0
	for _, id := range ids {
		if rec, ok := emu.Call(id); ok && !rec.Ended.IsZero() {
			n++
		}
	}
	return n
}

// judge sorts the placed calls into completed and lost from the emulator's call records: a
// call is completed when the caller hung up after talking, bridged with exactly one agent leg,
// and that leg had answered.
func judge(emu *ariemu.Server, ids []string, rep *Report) {
	recs := map[string]ariemu.CallRecord{}
	for _, rec := range emu.Calls() {
		recs[rec.ChannelID] = rec
	}
	var setup latencies
	for _, id := range ids {
		why, agent := lostWhy(recs, id)
		if why == "" {
			rep.Completed++
			setup.samples = append(setup.samples, agent.Created.Sub(recs[id].Created))
			continue
		}
		if len(rep.LostCalls) < 10 {
			rep.LostCalls = append(rep.LostCalls, LostCall{Channel: id, Call: node + "-" + id, Why: why})
		}
	}
	rep.Lost = rep.Placed - rep.Completed
	_, rep.CallerToAgent = setup.summary()
}

// lostWhy says why a call is not completed ("" when it is) and gives its agent leg.
func lostWhy(recs map[string]ariemu.CallRecord, id string) (string, ariemu.CallRecord) {
	rec, ok := recs[id]
	switch {
	case !ok:
		return "no record in the emulator", rec
	case rec.Ended.IsZero():
		return "still up at the end of the run", rec
	case rec.Outcome != ariemu.OutcomeCompleted && rec.Outcome != ariemu.OutcomeHungUpByApp:
		return fmt.Sprintf("outcome %q (hung up by %q, cause %d)", rec.Outcome, rec.HungUpBy, rec.Cause), rec
	case rec.Bridged.IsZero():
		return "never bridged", rec
	}
	var agents []ariemu.CallRecord
	for _, p := range rec.Peers {
		if pr, ok := recs[p]; ok && pr.Kind == ariemu.KindAgent {
			agents = append(agents, pr)
		}
	}
	if len(agents) != 1 {
		return fmt.Sprintf("bridged with %d agent legs, want 1 (peers %v)", len(agents), rec.Peers), rec
	}
	if agents[0].Answered.IsZero() {
		return "agent leg " + agents[0].ChannelID + " never answered", rec
	}
	// The router hangs up the caller whose agent hung up first, after talking.
	if rec.Outcome == ariemu.OutcomeHungUpByApp && (agents[0].Outcome != ariemu.OutcomeCompleted || agents[0].Ended.IsZero() || agents[0].Ended.After(rec.Ended)) {
		return fmt.Sprintf("hung up by the router, its agent leg %s %q", agents[0].ChannelID, agents[0].Outcome), rec
	}
	return "", agents[0]
}

// counter reads a counter's total from the registry (0 when absent).
func counter(reg *prometheus.Registry, name string) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		return 0
	}
	var v float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.Metric {
			if m.Counter != nil {
				v += m.Counter.GetValue()
			}
		}
	}
	return v
}

func waitFor(ctx context.Context, limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}
