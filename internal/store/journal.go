package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/acd"
	"switchboard/acd/calllog"
)

// JournalOptions configure a Journal.
type JournalOptions struct {
	Node       string // written on every row; the node the engine's events come from
	Logger     *slog.Logger
	Registerer prometheus.Registerer // nil: no metrics
	BatchSize  int                   // events per transaction (default 500)
	FlushEvery time.Duration         // how long an event may wait for a full batch (default 200ms)
	// MaxBackoff caps the wait between retries while the database is down (default 5s).
	MaxBackoff time.Duration
	// WriteTimeout bounds one batch's transaction (default 30s).
	WriteTimeout time.Duration
	// FinalTimeout bounds the last flush once Run's context ends (default 5s).
	FinalTimeout time.Duration
}

// item is one recorded event, call info or reconciliation, numbered in recording order.
type item struct {
	seq  uint64
	ev   acd.Event
	info *callInfo
	gone *reconciled
}

// Journal writes the engine's events to the store. Record and CallInfo may be
// called from any goroutine and never block on I/O; Run is the writer.
type Journal struct {
	s      *Store
	opt    JournalOptions
	log    *slog.Logger
	stream string // this journal's id in journal_progress
	met    *metrics

	mu       sync.Mutex
	queue    []item // items from head on are waiting
	head     int
	recorded uint64        // seq of the last item recorded
	written  uint64        // seq of the last item committed
	progress chan struct{} // closed and replaced whenever written advances

	wake    chan struct{}
	healthy atomic.Bool
	running atomic.Bool

	// owned by Run
	m   *model
	cur *batch
}

// NewJournal returns a journal writing to s. It fails only when its metrics
// cannot be registered.
func NewJournal(s *Store, opt JournalOptions) (*Journal, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 500
	}
	if opt.FlushEvery <= 0 {
		opt.FlushEvery = 200 * time.Millisecond
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 5 * time.Second
	}
	if opt.WriteTimeout <= 0 {
		opt.WriteTimeout = 30 * time.Second
	}
	if opt.FinalTimeout <= 0 {
		opt.FinalTimeout = 5 * time.Second
	}
	j := &Journal{
		s:        s,
		opt:      opt,
		log:      opt.Logger.With("node", opt.Node),
		stream:   newUUID(),
		progress: make(chan struct{}),
		wake:     make(chan struct{}, 1),
		m:        newModel(opt.Node),
	}
	j.healthy.Store(true)
	met, err := newMetrics(opt.Registerer, j)
	if err != nil {
		return nil, err
	}
	j.met = met
	return j, nil
}

// Record queues an event of the stream for writing. It is meant to be the engine's
// OnEvent callback (or called from it): it never blocks on I/O and never
// drops; the queue grows while the database is away. The owner's facts are
// taken as CallInfo and CallGone take them.
func (j *Journal) Record(ev acd.Event) {
	switch e := ev.(type) {
	case acd.CallArrived:
		j.CallInfo(e.Call, e.Number, e.DID, nil)
	case acd.CallRouted:
		j.CallInfo(e.Call, "", "", e.Data) // the call's data (IVR inputs, customer, segment) on its row
	case acd.CallGone:
		j.CallGone(e.Call, e.Outcome, e.At)
	default:
		j.add(item{ev: ev})
	}
}

// CallInfo records what the router knows of a call and the engine does not:
// the caller's number, the DID dialled and IVR data (merged into calls.data).
// It may come before or after the call is enqueued.
func (j *Journal) CallInfo(callID, callerNumber, did string, data map[string]string) {
	j.add(item{info: &callInfo{callID: callID, callerNumber: callerNumber, did: did, data: maps.Clone(data)}})
}

// CallGone ends the record of a call that never queued, at `at` (the router's clock), with
// how it ended: calllog.Abandoned when its caller hung up, or calllog.SelfService,
// calllog.CallbackRequested, calllog.TransferredOut or calllog.Closed when the router ended it.
// A call that queued is ended by the engine's events, and this does nothing to it. Any other
// outcome is refused (logged), and the record stays open for the next reconciliation.
func (j *Journal) CallGone(callID, outcome string, at time.Time) {
	switch outcome {
	case calllog.Abandoned, calllog.SelfService, calllog.CallbackRequested, calllog.TransferredOut, calllog.Closed:
	default:
		j.log.Error("call end with an outcome a call that never queued cannot have; left open", "call", callID, "outcome", outcome)
		return
	}
	if at.IsZero() {
		j.log.Error("call end without a time; left open", "call", callID, "outcome", outcome)
		return
	}
	j.add(item{info: &callInfo{callID: callID, gone: at, outcome: outcome}})
}

// Reconciled records that the router reconciled with Asterisk at `at` (its clock) holding
// the calls live: every other call of the node still open in the store ended while nobody
// listened (the router was down, or cut off). Each is closed at `at` with what is known:
// completed if it was answered, abandoned if not, and so is its open leg. A call that never
// queued (its caller hung up in the IVR, or during the pre-queue lookup) ends abandoned.
func (j *Journal) Reconciled(live []string, at time.Time) {
	g := &reconciled{live: make(map[string]bool, len(live)), at: at}
	for _, id := range live {
		g.live[id] = true
	}
	j.add(item{gone: g})
}

func (j *Journal) add(it item) {
	j.mu.Lock()
	j.recorded++
	it.seq = j.recorded
	j.queue = append(j.queue, it)
	full := len(j.queue)-j.head >= j.opt.BatchSize
	j.mu.Unlock()
	if full {
		j.poke()
	}
}

func (j *Journal) poke() {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// Pending returns how many recorded events are not written yet.
func (j *Journal) Pending() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return int(j.recorded - j.written)
}

// Healthy reports whether the last write succeeded.
func (j *Journal) Healthy() bool { return j.healthy.Load() }

// Flush waits until everything recorded before the call is written, or ctx
// ends. It needs Run to be running.
func (j *Journal) Flush(ctx context.Context) error {
	j.mu.Lock()
	target := j.recorded
	j.mu.Unlock()
	for {
		j.mu.Lock()
		done, ch := j.written >= target, j.progress
		j.mu.Unlock()
		if done {
			return nil
		}
		j.poke()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("journal: flush: %d events pending: %w", j.Pending(), ctx.Err())
		}
	}
}

// take removes up to n items from the queue.
func (j *Journal) take(n int) []item {
	j.mu.Lock()
	defer j.mu.Unlock()
	n = min(n, len(j.queue)-j.head)
	if n == 0 {
		return nil
	}
	out := make([]item, n)
	copy(out, j.queue[j.head:])
	clear(j.queue[j.head : j.head+n])
	j.head += n
	switch {
	case j.head == len(j.queue):
		j.queue, j.head = j.queue[:0], 0
	case j.head >= 4096 && 2*j.head >= len(j.queue): // amortized: each item moves at most once more
		k := copy(j.queue, j.queue[j.head:])
		clear(j.queue[k:])
		j.queue, j.head = j.queue[:k], 0
	}
	return out
}

func (j *Journal) committed(seq uint64) {
	j.mu.Lock()
	j.written = seq
	close(j.progress)
	j.progress = make(chan struct{})
	j.mu.Unlock()
}

// Run writes recorded events until ctx ends, then makes a last attempt,
// bounded by FinalTimeout, to write what is left. It returns nil when
// everything recorded was written, an error saying how much was not
// otherwise. Only one Run may be active at a time.
func (j *Journal) Run(ctx context.Context) error {
	if !j.running.CompareAndSwap(false, true) {
		return errors.New("journal: already running")
	}
	defer j.running.Store(false)
	tick := time.NewTicker(j.opt.FlushEvery)
	defer tick.Stop()
	for ctx.Err() == nil {
		if err := j.drain(ctx); err != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-j.wake:
		case <-tick.C:
		}
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), j.opt.FinalTimeout)
	defer cancel()
	if err := j.drain(fctx); err != nil {
		n := j.Pending()
		j.log.Error("journal stopped with events not written", "pending", n, "err", err)
		return fmt.Errorf("journal: %d events not written: %w", n, err)
	}
	return nil
}

// drain writes batches until the queue is empty. While the database fails
// it keeps the batch and retries with backoff; it returns only when the
// queue is empty or ctx ends.
func (j *Journal) drain(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	for {
		if j.cur == nil {
			items := j.take(j.opt.BatchSize)
			if len(items) == 0 {
				return nil
			}
			j.cur = &batch{items: items, last: items[len(items)-1].seq}
		}
		err := j.writeBatch(ctx, j.cur)
		if err == nil {
			if !j.healthy.Swap(true) {
				j.log.Info("database writes resumed", "pending", j.Pending())
			}
			j.met.up.Set(1)
			backoff = 100 * time.Millisecond
			continue
		}
		if ctx.Err() != nil { // stopping, not failing: Run's last drain retries it
			return err
		}
		j.met.writeErrors.Inc()
		if j.healthy.Swap(false) {
			j.log.Error("database write failed; keeping events and retrying", "pending", j.Pending(), "err", err)
		} else {
			j.log.Warn("database write failed again", "pending", j.Pending(), "retry_in", backoff, "err", err)
		}
		j.met.up.Set(0)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		backoff = min(backoff*2, j.opt.MaxBackoff)
	}
}

// writeBatch builds the batch (once) and writes it in one transaction.
func (j *Journal) writeBatch(ctx context.Context, b *batch) error {
	ctx, cancel := context.WithTimeout(ctx, j.opt.WriteTimeout)
	defer cancel()
	t0 := time.Now()
	if !b.built {
		if err := j.prefetch(ctx, b.items); err != nil {
			return err
		}
		for _, it := range b.items {
			switch {
			case it.info != nil:
				j.m.info(*it.info)
			case it.gone != nil:
				j.m.closeGone(*it.gone)
			default:
				j.m.apply(it.ev)
			}
		}
		j.m.snapshot(b)
		b.built = true
	}
	b.attempts++
	if err := j.s.writeBatch(ctx, j.stream, j.opt.Node, b); err != nil {
		return err
	}
	j.m.evict(b.touched)
	j.cur = nil
	j.met.written.Add(float64(len(b.items)))
	j.met.batchSeconds.Observe(time.Since(t0).Seconds())
	j.committed(b.last)
	return nil
}
