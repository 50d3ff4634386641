// Package report holds the queue and agent reports: what a report asks (Query) and the figures
// of one interval of one queue or agent (Row), with the rules that sum rows into totals. The
// store computes the rows; the web side asks for them and shows them.
package report

import (
	"context"
	"time"
)

// Query selects a report: figures per interval of Interval from From (the buckets start
// at From, From+Interval, ...) until To, per queue or per agent.
//
// Per queue, calls count in the interval in which they entered the queue (each queue visit,
// transfers and overflows included, is one offered call), and occupancy is that of the agents
// who answered the queue's calls in the interval. Per agent, offers and abandons while ringing
// count when they happened, answered calls when they were answered, occupancy is the agent's
// own. Callbacks count when requested (one per callback, merged requests included) and when an
// attempt connected; per agent, those reserved for the agent. An agent's own outbound call
// (click-to-dial) is no queue's call: it counts only in the agent's Outbound and OutboundTalk.
type Query struct {
	ByAgent  bool
	Interval time.Duration
	From, To time.Time
	// Queues is the scope: nil for every queue; otherwise only these queues' calls (per agent:
	// the calls, offers, callbacks and ratings in these queues, and agents who served them).
	Queues []string
	// Thresholds are the queues' service-level thresholds; others use DefaultThreshold.
	Thresholds       map[string]time.Duration
	DefaultThreshold time.Duration
	Now              time.Time // the end of open agent-state intervals; zero: time.Now()
	// Location is the center's time zone: with an Interval of a day, the intervals are its
	// calendar days (23 or 25 hours on daylight-saving days). Nil: UTC.
	Location *time.Location
}

// CalendarDays says whether the intervals are the local calendar days of a zone with
// daylight saving time, rather than fixed blocks of Interval from From.
func (q Query) CalendarDays() bool {
	if q.Interval != 24*time.Hour || q.Location == nil {
		return false
	}
	y := q.From.In(q.Location).Year()
	_, jan := time.Date(y, 1, 1, 0, 0, 0, 0, q.Location).Zone()
	_, jul := time.Date(y, 7, 1, 0, 0, 0, 0, q.Location).Zone()
	return jan != jul
}

// Starts are the starts of the query's intervals, From (or its local midnight for calendar
// days) until To.
func (q Query) Starts() []time.Time {
	var out []time.Time
	if !q.CalendarDays() {
		if q.Interval <= 0 {
			return nil
		}
		for t := q.From; t.Before(q.To) && len(out) <= MaxIntervals; t = t.Add(q.Interval) {
			out = append(out, t)
		}
		return out
	}
	day := DayStart(q.From, q.Location)
	for i := 0; len(out) <= MaxIntervals; i++ {
		t := day.AddDate(0, 0, i)
		if !t.Before(q.To) {
			break
		}
		out = append(out, t)
	}
	return out
}

// MaxIntervals bounds the buckets one report may have.
const MaxIntervals = 2000

// Row is one interval of one queue or agent. Ratios that have no denominator in the
// interval are nil.
type Row struct {
	Start              time.Time `json:"start"`
	Key                string    `json:"key"`            // the queue or agent
	Name               string    `json:"name,omitempty"` // the agent's name, per agent
	Offered            int64     `json:"offered"`
	Answered           int64     `json:"answered"`
	AnsweredWithin     int64     `json:"answered_within_sl"`
	Abandoned          int64     `json:"abandoned"`
	AbandonedWithin    int64     `json:"abandoned_within_sl"`
	ServiceLevel       *float64  `json:"service_level"` // answered within the threshold ÷ answered
	ASA                *float64  `json:"asa_seconds"`
	AHT                *float64  `json:"aht_seconds"` // talk plus wrap-up per handled call
	LongestWait        float64   `json:"longest_wait_seconds"`
	Occupancy          *float64  `json:"occupancy"` // busy ÷ staffed (available or busy) agent-seconds
	CallbacksRequested int64     `json:"callbacks_requested"`
	CallbacksConnected int64     `json:"callbacks_connected"`
	CSAT               *float64  `json:"csat"` // mean score, 1-5
	CSATCount          int64     `json:"csat_count"`
	// Outbound counts, per agent, the agent's own outbound calls the customer answered (in
	// the interval of the answer) and OutboundTalk their talk seconds. They are in none of
	// the figures above, which count calls that came in; per queue they are zero.
	Outbound     int64   `json:"outbound_calls"`
	OutboundTalk float64 `json:"outbound_talk_seconds"`

	// Sums are the counts the ratios are computed from; they are not shown.
	Sums Sums `json:"-"`
}

// Sums are the numerators and denominators of a Row's ratios: seconds waited by answered
// calls, seconds of talk plus wrap-up of the handled calls and their number, busy and staffed
// agent-seconds, and the sum of the ratings.
type Sums struct {
	Wait, Handle, Busy, Staffed, CSAT float64
	Handled                           int64
}

// Add merges o's counts into r (for totals); call Finish afterwards.
func (r *Row) Add(o Row) {
	r.Offered += o.Offered
	r.Answered += o.Answered
	r.AnsweredWithin += o.AnsweredWithin
	r.Abandoned += o.Abandoned
	r.AbandonedWithin += o.AbandonedWithin
	r.LongestWait = max(r.LongestWait, o.LongestWait)
	r.CallbacksRequested += o.CallbacksRequested
	r.CallbacksConnected += o.CallbacksConnected
	r.CSATCount += o.CSATCount
	r.Outbound += o.Outbound
	r.OutboundTalk += o.OutboundTalk
	r.Sums.Wait += o.Sums.Wait
	r.Sums.Handle += o.Sums.Handle
	r.Sums.Busy += o.Sums.Busy
	r.Sums.Staffed += o.Sums.Staffed
	r.Sums.CSAT += o.Sums.CSAT
	r.Sums.Handled += o.Sums.Handled
}

// Finish computes the ratios from the counts.
func (r *Row) Finish() {
	ratio := func(a, b float64) *float64 {
		if b <= 0 {
			return nil
		}
		v := a / b
		return &v
	}
	r.ServiceLevel = ratio(float64(r.AnsweredWithin), float64(r.Answered))
	r.ASA = ratio(r.Sums.Wait, float64(r.Answered))
	r.AHT = ratio(r.Sums.Handle, float64(r.Sums.Handled))
	r.Occupancy = ratio(r.Sums.Busy, r.Sums.Staffed)
	r.CSAT = ratio(r.Sums.CSAT, float64(r.CSATCount))
}

// Store computes reports.
type Store interface {
	// Report computes the rows of q, ordered by interval then key.
	Report(ctx context.Context, q Query) ([]Row, error)
	// AgentDay sums an agent's work between two times; an interval still open counts up to
	// to.
	AgentDay(ctx context.Context, agent string, from, to time.Time) (AgentDay, error)
}

// AgentDay is an agent's work over a span (the desktop's "today"). Calls, Talk and WrapUp
// are of the calls that came in; the agent's own outbound calls count in Outbound and
// OutboundTalk only, as in the reports.
type AgentDay struct {
	Calls        int           // calls answered (on-call intervals that began in the span)
	Talk         time.Duration // on-call time within the span
	WrapUp       time.Duration // wrap-up time within the span
	Pause        time.Duration // paused time within the span
	Outbound     int           // outbound calls connected (on-call intervals that began in the span)
	OutboundTalk time.Duration // their on-call time within the span
}

// AHT is the mean handle time: talk plus wrap-up per call.
func (d AgentDay) AHT() time.Duration {
	if d.Calls == 0 {
		return 0
	}
	return (d.Talk + d.WrapUp) / time.Duration(d.Calls)
}

// DayStart is the start of the local day t falls in, in loc (nil: UTC): a report's "today"
// and its daily intervals begin there, so that a day is the center's day, not UTC's.
func DayStart(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}
