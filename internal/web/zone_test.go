package web

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"switchboard/internal/account"
)

// TestReportDayIsTheCentersDay: at 00:30 in Moscow (21:30 UTC the day before) a report of
// "today" starts at Moscow's midnight, and a form's time is read in the reader's zone.
func TestReportDayIsTheCentersDay(t *testing.T) {
	msk, _ := time.LoadLocation("Europe/Moscow")
	s := newServer(Options{TimeZone: msk, Live: func() Live { return Live{} }})
	now := time.Date(2026, 3, 9, 21, 30, 0, 0, time.UTC)
	ask := func(target string, u account.User) reportParams {
		r := httptest.NewRequest("GET", target, nil)
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, &account.Session{User: u}))
		p, err := s.parseReport(r, now)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	root := account.User{Username: "root", Role: "admin"}
	p := ask("/api/reports?interval=1d", root)
	if want := time.Date(2026, 3, 9, 21, 0, 0, 0, time.UTC); !p.From.Equal(want) || !p.To.Equal(want.Add(24*time.Hour)) {
		t.Fatalf("today: %s – %s, want from %s", p.From.UTC(), p.To.UTC(), want)
	}
	p = ask("/api/reports?from=2026-03-10T08:00&to=2026-03-10T09:00", root)
	if want := time.Date(2026, 3, 10, 5, 0, 0, 0, time.UTC); !p.From.Equal(want) {
		t.Fatalf("form time in Moscow: %s, want %s", p.From.UTC(), want)
	}
	vlad := root
	vlad.Profile.TimeZone = "Asia/Vladivostok"
	p = ask("/api/reports?from=2026-03-10T08:00&to=2026-03-10T09:00", vlad)
	if want := time.Date(2026, 3, 9, 22, 0, 0, 0, time.UTC); !p.From.Equal(want) {
		t.Fatalf("form time in the reader's Vladivostok: %s, want %s", p.From.UTC(), want)
	}
}

// TestRecordingsInTheReadersZone: the recordings page shows start times in the center's zone
// and reads the form's times there.
func TestRecordingsInTheReadersZone(t *testing.T) {
	s := newRecordingSiteWith(t, func(o *Options) { o.TimeZone, _ = time.LoadLocation("Europe/Moscow") })
	c := s.as("sue")
	// r1 started 09:00 UTC on 2026-11-23: 12:00 in Moscow.
	_, page := s.get(c, "/recordings?from=2026-11-23T12:00&to=2026-11-23T12:01")
	if !strings.Contains(page, "2026-11-23 12:00:00") || !strings.Contains(page, "Started (Europe/Moscow)") || !strings.Contains(page, "1 min") && !strings.Contains(page, "60 s") {
		t.Fatalf("recordings in Moscow:\n%s", page)
	}
	if strings.Contains(page, "/recordings/r2") || !strings.Contains(page, "/recordings/r1") {
		t.Fatal("the range is not Moscow's")
	}
}

// TestReportTodayOnTheDSTDay: in Berlin, 2026-03-29 has 23 hours; "today" ends at the next
// local midnight, one day of the calendar, and the query carries the zone for daily rows.
func TestReportTodayOnTheDSTDay(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	s := newServer(Options{TimeZone: berlin, Live: func() Live { return Live{} }})
	r := httptest.NewRequest("GET", "/api/reports?interval=1d", nil)
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, &account.Session{User: account.User{Username: "root", Role: "admin"}}))
	p, err := s.parseReport(r, time.Date(2026, 3, 29, 12, 0, 0, 0, berlin))
	if err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2026, 3, 29, 0, 0, 0, 0, berlin), time.Date(2026, 3, 30, 0, 0, 0, 0, berlin)
	if !p.From.Equal(from) || !p.To.Equal(to) || p.q.Location != berlin || len(p.q.Starts()) != 1 {
		t.Fatalf("today: %s – %s (%v, %d intervals), want %s – %s", p.From, p.To, p.q.Location, len(p.q.Starts()), from, to)
	}
}
