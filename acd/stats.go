package acd

import "time"

// counters are the additive figures behind a queue's statistics.
type counters struct {
	entered, answered, answeredIn, abandoned, abandonedIn, overflowed int64
	handled                                                           int64
	waitSum, talkSum, wrapSum                                         float64 // seconds
	busySecs, staffedSecs                                             float64 // agent-seconds
}

func (c *counters) add(o *counters) {
	c.entered += o.entered
	c.answered += o.answered
	c.answeredIn += o.answeredIn
	c.abandoned += o.abandoned
	c.abandonedIn += o.abandonedIn
	c.overflowed += o.overflowed
	c.handled += o.handled
	c.waitSum += o.waitSum
	c.talkSum += o.talkSum
	c.wrapSum += o.wrapSum
	c.busySecs += o.busySecs
	c.staffedSecs += o.staffedSecs
}

const windowBuckets = 15

// queueStats keeps a ring of buckets for the sliding window and a running day.
type queueStats struct {
	width   int64 // bucket width, ns
	buckets [windowBuckets]counters
	stamps  [windowBuckets]int64
	day     counters
	dayEnd  time.Time
	loc     *time.Location
	last    time.Time // agent-seconds accrued up to here
}

func (s *queueStats) init(window time.Duration, loc *time.Location, now time.Time) {
	s.width = int64(window) / windowBuckets
	if s.width < int64(time.Second) {
		s.width = int64(time.Second)
	}
	for i := range s.stamps {
		s.stamps[i] = -1
	}
	s.loc = loc
	s.last = now
	s.rollDay(now)
}

func (s *queueStats) rollDay(now time.Time) {
	if now.Before(s.dayEnd) {
		return
	}
	s.day = counters{}
	y, m, d := now.In(s.loc).Date()
	s.dayEnd = time.Date(y, m, d+1, 0, 0, 0, 0, s.loc)
}

func (s *queueStats) bucket(t time.Time) *counters {
	idx := t.UnixNano() / s.width
	i := idx % windowBuckets
	if i < 0 {
		i += windowBuckets
	}
	if s.stamps[i] != idx {
		s.buckets[i] = counters{}
		s.stamps[i] = idx
	}
	return &s.buckets[i]
}

// at returns the window bucket and the day counters for an instant event at now.
func (s *queueStats) at(now time.Time) (*counters, *counters) {
	s.rollDay(now)
	return s.bucket(now), &s.day
}

// accrue integrates busy and staffed agent-seconds up to now, split at bucket and day edges.
func (s *queueStats) accrue(now time.Time, q *queue) {
	if !now.After(s.last) {
		return
	}
	busy := float64(q.byState[Reserved] + q.byState[OnCall] + q.byState[WrapUp])
	staffed := busy + float64(q.byState[Available])
	t := s.last
	s.last = now
	if staffed == 0 {
		s.rollDay(now)
		return
	}
	horizon := now.Add(-time.Duration(s.width * windowBuckets))
	for t.Before(now) {
		s.rollDay(t)
		end := now
		if s.dayEnd.Before(end) {
			end = s.dayEnd
		}
		inWindow := !t.Before(horizon)
		if inWindow {
			if be := time.Unix(0, (t.UnixNano()/s.width+1)*s.width); be.Before(end) {
				end = be
			}
		} else if horizon.Before(end) {
			end = horizon
		}
		dt := end.Sub(t).Seconds()
		s.day.busySecs += busy * dt
		s.day.staffedSecs += staffed * dt
		if inWindow {
			b := s.bucket(t)
			b.busySecs += busy * dt
			b.staffedSecs += staffed * dt
		}
		t = end
	}
}

func (s *queueStats) entered(now time.Time, q *queue) {
	w, d := s.at(now)
	w.entered++
	d.entered++
}

func (s *queueStats) answered(now time.Time, q *queue, waited, _ time.Duration) {
	in := waited <= q.slThreshold()
	for _, c := range s.pair(now) {
		c.answered++
		c.waitSum += waited.Seconds()
		if in {
			c.answeredIn++
		}
	}
}

func (s *queueStats) abandoned(now time.Time, q *queue, waited time.Duration) {
	in := waited <= q.slThreshold()
	for _, c := range s.pair(now) {
		c.abandoned++
		if in {
			c.abandonedIn++
		}
	}
}

func (s *queueStats) talked(now time.Time, q *queue, talk time.Duration) {
	for _, c := range s.pair(now) {
		c.handled++
		c.talkSum += talk.Seconds()
	}
}

func (s *queueStats) wrapped(now time.Time, q *queue, wrap time.Duration) {
	for _, c := range s.pair(now) {
		c.wrapSum += wrap.Seconds()
	}
}

func (s *queueStats) overflowed(now time.Time, q *queue) {
	for _, c := range s.pair(now) {
		c.overflowed++
	}
}

func (s *queueStats) pair(now time.Time) [2]*counters {
	w, d := s.at(now)
	return [2]*counters{w, d}
}

// window sums the buckets inside the sliding window ending at now.
func (s *queueStats) window(now time.Time) counters {
	var sum counters
	idx := now.UnixNano() / s.width
	for i := range s.stamps {
		if st := s.stamps[i]; st > idx-windowBuckets && st <= idx {
			sum.add(&s.buckets[i])
		}
	}
	return sum
}

// Period holds a queue's figures over a span of time.
type Period struct {
	Entered         int64 // calls that entered the queue
	Answered        int64
	AnsweredWithin  int64 // answered within the service-level threshold
	Abandoned       int64
	AbandonedWithin int64 // abandoned within the threshold
	Overflowed      int64
	Handled         int64 // calls whose talk ended
	// ServiceLevel is answered within threshold ÷ answered.
	ServiceLevel float64
	// ServiceLevelAbandon counts abandons within the threshold as meeting the target:
	// (answered within + abandoned within) ÷ (answered + abandoned).
	ServiceLevelAbandon float64
	ASA                 time.Duration // mean wait of answered calls
	AHT                 time.Duration // mean talk plus wrap-up of handled calls
	AbandonRate         float64       // abandoned ÷ (answered + abandoned)
	Occupancy           float64       // busy ÷ staffed agent-seconds of the queue's agents
}

func (c counters) period() Period {
	p := Period{
		Entered: c.entered, Answered: c.answered, AnsweredWithin: c.answeredIn,
		Abandoned: c.abandoned, AbandonedWithin: c.abandonedIn, Overflowed: c.overflowed, Handled: c.handled,
	}
	if c.answered > 0 {
		p.ServiceLevel = float64(c.answeredIn) / float64(c.answered)
		p.ASA = secs(c.waitSum / float64(c.answered))
	}
	if n := c.answered + c.abandoned; n > 0 {
		p.ServiceLevelAbandon = float64(c.answeredIn+c.abandonedIn) / float64(n)
		p.AbandonRate = float64(c.abandoned) / float64(n)
	}
	if c.handled > 0 {
		p.AHT = secs((c.talkSum + c.wrapSum) / float64(c.handled))
	}
	if c.staffedSecs > 0 {
		p.Occupancy = c.busySecs / c.staffedSecs
	}
	return p
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// QueueStats is a queue's live picture.
type QueueStats struct {
	Queue       string
	Waiting     int
	LongestWait time.Duration
	Agents      map[AgentState]int // members by state
	Window      Period             // the sliding window (Options.StatsWindow)
	Today       Period             // since local midnight
	SLGoal      float64
	SLThreshold time.Duration
}

// Stats returns a queue's live statistics.
func (e *Engine) Stats(queue string) (QueueStats, error) {
	q, ok := e.queues[queue]
	if !ok {
		return QueueStats{}, errorf(ENotFound, "queue %s not found", queue)
	}
	now := e.clock.Now()
	q.stats.accrue(now, q)
	q.stats.rollDay(now)
	qs := QueueStats{
		Queue: queue, Waiting: len(q.waiting), Agents: map[AgentState]int{},
		Window: q.stats.window(now).period(), Today: q.stats.day.period(),
		SLThreshold: q.slThreshold(), SLGoal: q.cfg.SLGoal,
	}
	if qs.SLGoal == 0 {
		qs.SLGoal = defaultSLGoal
	}
	for _, c := range q.waiting {
		if w := now.Sub(c.enqueuedAt); w > qs.LongestWait {
			qs.LongestWait = w
		}
	}
	for s, n := range q.byState {
		if n > 0 {
			qs.Agents[AgentState(s)] = n
		}
	}
	return qs, nil
}
