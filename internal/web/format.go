package web

import (
	"strconv"
	"time"
)

// Dates, times and durations as each language writes them: Russian with a 24-hour clock,
// dd.mm.yyyy and "мин"/"с"; English yyyy-mm-dd, 24-hour, "min"/"s". Times are shown in the
// reader's zone (zoneOf).

var dateLayouts = map[string]struct{ date, dateTime, dateTimeSec string }{
	"en": {"2006-01-02", "2006-01-02 15:04", "2006-01-02 15:04:05"},
	"ru": {"02.01.2006", "02.01.2006 15:04", "02.01.2006 15:04:05"},
}

func layouts(lang string) struct{ date, dateTime, dateTimeSec string } {
	if l, ok := dateLayouts[lang]; ok {
		return l
	}
	return dateLayouts["en"]
}

// fmtWhen writes t in loc (UTC when nil) as lang writes a date and time to the second.
func fmtWhen(lang string, loc *time.Location, t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(layouts(lang).dateTimeSec)
}

// fmtMinute is fmtWhen to the minute.
func fmtMinute(lang string, loc *time.Location, t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(layouts(lang).dateTime)
}

// fmtSeconds writes a duration in seconds as lang does: "75 s" / "75 с" under two minutes,
// else "3 min 5 s" / "3 мин 5 с".
func fmtSeconds(lang string, secs float64) string {
	n := int64(secs + 0.5)
	s := T(lang, "profile.unit.s")
	if n < 120 {
		return strconv.FormatInt(n, 10) + " " + s
	}
	return strconv.FormatInt(n/60, 10) + " " + T(lang, "profile.unit.min") + " " + strconv.FormatInt(n%60, 10) + " " + s
}
