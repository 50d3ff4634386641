package ivr

import (
	"fmt"
	"slices"
	"time"
)

// Hours is a named opening-hours calendar (a Calendar); internal/config reads it from the
// configuration file. Times are wall-clock times in Location, so a range
// keeps its meaning across daylight-saving changes: 08:00-18:00 is open from 08:00 to 18:00 local
// time on the day the clocks change too (that day is an hour shorter or longer in absolute time).
type Hours struct {
	Name     string
	TimeZone string // IANA name as written, e.g. Europe/Berlin
	Location *time.Location
	Weekly   [7][]Span // by time.Weekday (Sunday = 0); sorted, not overlapping; empty = closed all day
	Holidays []Date    // closed all day; sorted
	Closed   Closed    // what a DID does while closed
}

// Span is an opening range within a day, as offsets from local midnight in wall-clock time:
// open from Start (inclusive) to End (exclusive). End may be 24h.
type Span struct {
	Start, End time.Duration
}

func (s Span) String() string { return clock(s.Start) + "-" + clock(s.End) }

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// Date is a calendar day.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool {
	if d.Year != o.Year {
		return d.Year < o.Year
	}
	if d.Month != o.Month {
		return d.Month < o.Month
	}
	return d.Day < o.Day
}

// Closed is what happens to a call while its DID's hours are closed: exactly one of Message (a
// sound played before hanging up) and Queue (a queue the call goes to instead) is set.
type Closed struct {
	Message string
	Queue   string
}

// Open reports whether t falls in the opening hours: not on a holiday (a local calendar day)
// and within one of the local weekday's spans. A nil *Hours is always open.
func (h *Hours) Open(t time.Time) bool {
	if h == nil {
		return true
	}
	loc := h.Location
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	y, m, d := lt.Date()
	day := Date{Year: y, Month: m, Day: d}
	if _, holiday := slices.BinarySearchFunc(h.Holidays, day, Date.Compare); holiday {
		return false
	}
	hh, mm, ss := lt.Clock()
	since := time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second + time.Duration(lt.Nanosecond())
	for _, s := range h.Weekly[lt.Weekday()] {
		if since >= s.Start && since < s.End {
			return true
		}
	}
	return false
}

// Compare returns -1, 0 or +1 as d is before, the same day as, or after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.Before(o):
		return -1
	case o.Before(d):
		return 1
	}
	return 0
}
