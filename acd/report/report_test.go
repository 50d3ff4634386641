package report

import (
	"testing"
	"time"
)

func TestRowTotals(t *testing.T) {
	a := Row{Offered: 3, Answered: 2, AnsweredWithin: 1, LongestWait: 40, CSATCount: 1,
		Sums: Sums{Wait: 30, Handle: 200, Handled: 2, Busy: 50, Staffed: 100, CSAT: 4}}
	b := Row{Offered: 1, Answered: 2, AnsweredWithin: 2, LongestWait: 10, CSATCount: 1,
		Sums: Sums{Wait: 10, Handle: 100, Handled: 1, Busy: 25, Staffed: 100, CSAT: 2}}
	var tot Row
	tot.Add(a)
	tot.Add(b)
	tot.Finish()
	want := map[string]float64{"sl": 0.75, "asa": 10, "aht": 100, "occ": 0.375, "csat": 3}
	got := map[string]*float64{"sl": tot.ServiceLevel, "asa": tot.ASA, "aht": tot.AHT, "occ": tot.Occupancy, "csat": tot.CSAT}
	for k, w := range want {
		if got[k] == nil || *got[k] != w {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
	if tot.Offered != 4 || tot.LongestWait != 40 {
		t.Errorf("offered %d longest %v, want 4 and 40", tot.Offered, tot.LongestWait)
	}
	var empty Row
	empty.Finish()
	if empty.ServiceLevel != nil || empty.ASA != nil || empty.AHT != nil || empty.Occupancy != nil || empty.CSAT != nil {
		t.Errorf("empty row has ratios: %+v", empty)
	}
	if d := (AgentDay{Calls: 2, Talk: 100 * time.Second, WrapUp: 20 * time.Second}).AHT(); d != time.Minute {
		t.Errorf("AHT = %v, want 1m", d)
	}
}

// TestDayStart: around midnight in a zone east of UTC the local day is not UTC's day.
func TestDayStart(t *testing.T) {
	msk, err := time.LoadLocation("Europe/Moscow") // UTC+3, no daylight saving
	if err != nil {
		t.Fatal(err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		at   string
		loc  *time.Location
		want string
	}{
		{"2026-03-09T20:59:59Z", msk, "2026-03-08T21:00:00Z"}, // 23:59:59 on the 9th in Moscow
		{"2026-03-09T21:00:00Z", msk, "2026-03-09T21:00:00Z"}, // 00:00 on the 10th
		{"2026-03-09T21:30:00Z", msk, "2026-03-09T21:00:00Z"},
		{"2026-03-09T21:30:00Z", nil, "2026-03-09T00:00:00Z"},
		{"2026-03-29T12:00:00Z", berlin, "2026-03-28T23:00:00Z"}, // the day clocks go forward starts at +01:00
	} {
		if got := DayStart(utc(c.at), c.loc); !got.Equal(utc(c.want)) {
			t.Errorf("%s in %v: %s, want %s", c.at, c.loc, got.UTC().Format(time.RFC3339), c.want)
		}
	}
}

// TestStartsFollowCalendarDays: in Berlin, 2026-03-29 has 23 hours and 2026-10-25 has 25;
// the daily intervals start at each local midnight all the same.
func TestStartsFollowCalendarDays(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	for _, c := range []struct{ from, to time.Time }{
		{time.Date(2026, 3, 28, 0, 0, 0, 0, berlin), time.Date(2026, 3, 31, 0, 0, 0, 0, berlin)},
		{time.Date(2026, 10, 24, 0, 0, 0, 0, berlin), time.Date(2026, 10, 27, 0, 0, 0, 0, berlin)},
	} {
		q := Query{Interval: 24 * time.Hour, From: c.from, To: c.to, Location: berlin}
		starts := q.Starts()
		if len(starts) != 3 {
			t.Fatalf("%v..%v: %d intervals, want 3: %v", c.from, c.to, len(starts), starts)
		}
		for i, s := range starts {
			if want := c.from.AddDate(0, 0, i); !s.Equal(want) {
				t.Errorf("interval %d starts at %v, want local midnight %v", i, s.In(berlin), want)
			}
		}
	}
	// Hours stay fixed blocks: the DST day has 23 of them.
	q := Query{Interval: time.Hour, From: time.Date(2026, 3, 29, 0, 0, 0, 0, berlin),
		To: time.Date(2026, 3, 30, 0, 0, 0, 0, berlin), Location: berlin}
	if n := len(q.Starts()); n != 23 {
		t.Errorf("hourly intervals on the DST day: %d, want 23", n)
	}
}
