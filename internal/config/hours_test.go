package config

import (
	"testing"
	"time"
)

// loadHours loads one hours entry named h from the YAML of its body.
func loadHours(t *testing.T, body string) *Hours {
	t.Helper()
	c := loadConfigString(t, "queues: [{name: q}]\nhours:\n  h:\n"+body)
	return c.Hours["h"]
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestHoursOpen(t *testing.T) {
	berlin := loadHours(t, `    timezone: Europe/Berlin
    weekly:
      mon-fri: ["08:00-12:30", "13:00-18:00"]
      sat: "10:00-24:00"
      sun: ["02:30-03:30"]       # 2026-03-29 has no 02:00-03:00; 2026-10-25 has it twice
    holidays: [2026-12-25, 2026-03-30]
    closed: {message: closed}
`)
	allDay := loadHours(t, `    timezone: Europe/Berlin
    weekly: {mon-sun: "00:00-24:00"}
    holidays: [2026-12-25]
    closed: {message: closed}
`)
	newYork := loadHours(t, `    timezone: America/New_York
    weekly: {mon-fri: ["08:00-18:00"], sun: ["01:30-02:30"]}
    holidays: [2026-07-03]
    closed: {queue: q}
`)
	tests := []struct {
		name string
		h    *Hours
		at   string // an instant, in UTC
		open bool
	}{
		// Winter (CET, UTC+1): 08:00 local is 07:00 UTC.
		{"winter before opening", berlin, "2026-03-27T06:59:59Z", false},
		{"winter opening is inclusive", berlin, "2026-03-27T07:00:00Z", true},
		{"lunch starts: end is exclusive", berlin, "2026-03-27T11:30:00Z", false},
		{"after lunch", berlin, "2026-03-27T12:00:00Z", true},
		{"last nanosecond of the day's hours", berlin, "2026-03-27T16:59:59.999999999Z", true},
		{"winter closing", berlin, "2026-03-27T17:00:00Z", false},
		// Spring forward, Sunday 2026-03-29: 02:00 CET becomes 03:00 CEST.
		{"spring: 01:59 CET", berlin, "2026-03-29T00:59:59Z", false},
		{"spring: 03:00 CEST, inside 02:30-03:30", berlin, "2026-03-29T01:00:00Z", true},
		{"spring: 03:29 CEST", berlin, "2026-03-29T01:29:59Z", true},
		{"spring: 03:30 CEST", berlin, "2026-03-29T01:30:00Z", false},
		// Summer (CEST, UTC+2): the same 08:00 local is now 06:00 UTC. 2026-03-30 is a holiday.
		{"holiday monday", berlin, "2026-03-30T08:00:00Z", false},
		{"summer 08:00 CEST", berlin, "2026-03-31T06:00:00Z", true},
		{"summer 07:59 CEST", berlin, "2026-03-31T05:59:59Z", false},
		{"summer 17:59 CEST", berlin, "2026-03-31T15:59:59Z", true},
		{"summer 18:00 CEST", berlin, "2026-03-31T16:00:00Z", false},
		// Fall back, Sunday 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:30 happens twice.
		{"fall: first 02:30 (CEST)", berlin, "2026-10-25T00:30:00Z", true},
		{"fall: between the two 02:30s, 02:00-02:29 CET", berlin, "2026-10-25T01:00:00Z", false},
		{"fall: second 02:30 (CET)", berlin, "2026-10-25T01:30:00Z", true},
		{"fall: 03:30 CET", berlin, "2026-10-25T02:30:00Z", false},
		// Holidays are local calendar days, not UTC days.
		{"christmas eve 23:59 local", allDay, "2026-12-24T22:59:59Z", true},
		{"christmas 00:00 local (still the 24th in UTC)", allDay, "2026-12-24T23:00:00Z", false},
		{"christmas 23:59 local", allDay, "2026-12-25T22:59:59Z", false},
		{"the 26th 00:00 local (still the 25th in UTC)", allDay, "2026-12-25T23:00:00Z", true},
		{"christmas in office hours", berlin, "2026-12-25T09:00:00Z", false},
		{"saturday after christmas to 24:00", berlin, "2026-12-26T22:59:59Z", true},
		{"sunday 00:00 local", berlin, "2026-12-26T23:00:00Z", false},
		// The time zone, not the instant's own zone, decides.
		{"instant given in another zone", berlin, time.Date(2026, 3, 31, 9, 0, 0, 0, time.FixedZone("X", 3*3600)).Format(time.RFC3339), true},
		// America/New_York: DST starts 2026-03-08 at 02:00 (there is no 02:00-03:00).
		{"ny winter 08:00 EST", newYork, "2026-03-06T13:00:00Z", true},
		{"ny winter 07:59 EST", newYork, "2026-03-06T12:59:59Z", false},
		{"ny summer 08:00 EDT", newYork, "2026-03-09T12:00:00Z", true},
		{"ny summer 07:00 EDT", newYork, "2026-03-09T11:00:00Z", false},
		{"ny spring 01:59 EST", newYork, "2026-03-08T06:59:59Z", true},
		{"ny spring 03:00 EDT (past 02:30)", newYork, "2026-03-08T07:00:00Z", false},
		{"ny fall: 01:30 EDT", newYork, "2026-11-01T05:30:00Z", true},
		{"ny fall: 01:30 EST, the second time", newYork, "2026-11-01T06:30:00Z", true},
		{"ny holiday", newYork, "2026-07-03T15:00:00Z", false},
		{"ny holiday is over at local midnight", newYork, "2026-07-04T03:59:59Z", false},
		{"ny saturday", newYork, "2026-07-04T15:00:00Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := utc(tt.at)
			if got := tt.h.Open(at); got != tt.open {
				t.Errorf("Open(%s = %s local) = %v, want %v", tt.at, at.In(tt.h.Location).Format("Mon 2006-01-02 15:04:05 MST"), got, tt.open)
			}
		})
	}
}

func TestHoursNilIsAlwaysOpen(t *testing.T) {
	var h *Hours
	if !h.Open(time.Now()) {
		t.Error("nil hours closed")
	}
}

func TestHoursClosedAllWeek(t *testing.T) {
	h := loadHours(t, "    timezone: UTC\n    weekly: {}\n    closed: {message: closed}\n")
	for d := 0; d < 7; d++ {
		if at := utc("2026-06-01T12:00:00Z").AddDate(0, 0, d); h.Open(at) {
			t.Errorf("open at %s", at)
		}
	}
}

func TestHoursWeeklyLayout(t *testing.T) {
	h := loadHours(t, `    timezone: UTC
    weekly: {sat-sun: [], mon: ["13:00-14:00", "9:00-12:00"], tue-thu: "00:00-24:00"}
    closed: {message: closed}
`)
	want := [7][]Span{
		time.Monday:    {{Start: 9 * time.Hour, End: 12 * time.Hour}, {Start: 13 * time.Hour, End: 14 * time.Hour}},
		time.Tuesday:   {{Start: 0, End: 24 * time.Hour}},
		time.Wednesday: {{Start: 0, End: 24 * time.Hour}},
		time.Thursday:  {{Start: 0, End: 24 * time.Hour}},
	}
	for d := range want {
		if len(h.Weekly[d]) != len(want[d]) {
			t.Fatalf("%s: got %v, want %v", time.Weekday(d), h.Weekly[d], want[d])
		}
		for i := range want[d] {
			if h.Weekly[d][i] != want[d][i] {
				t.Errorf("%s: got %v, want %v", time.Weekday(d), h.Weekly[d], want[d])
			}
		}
	}
	if got := h.Weekly[time.Monday][0].String(); got != "09:00-12:00" {
		t.Errorf("Span.String() = %q", got)
	}
}
