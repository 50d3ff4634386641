package ivr

import (
	"testing"
	"time"
)

func TestHoursOpen(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	h := &Hours{Name: "office", TimeZone: "Europe/Berlin", Location: berlin,
		Holidays: []Date{{Year: 2026, Month: time.December, Day: 25}}}
	h.Weekly[time.Friday] = []Span{{Start: 9 * time.Hour, End: 17 * time.Hour}}
	for _, tt := range []struct {
		h    *Hours
		at   string
		open bool
	}{
		{h, "2026-12-18T08:00:00Z", true},  // Friday 09:00 in Berlin
		{h, "2026-12-18T07:59:59Z", false}, // 08:59:59 local
		{h, "2026-12-18T16:00:00Z", false}, // 17:00 local: the end is not open
		{h, "2026-12-25T10:00:00Z", false}, // a holiday Friday
		{h, "2026-12-19T10:00:00Z", false}, // Saturday: no spans
		{nil, "2026-12-19T10:00:00Z", true},
	} {
		at, _ := time.Parse(time.RFC3339, tt.at)
		if got := tt.h.Open(at); got != tt.open {
			t.Errorf("Open(%s) = %v, want %v", tt.at, got, tt.open)
		}
	}
}

func TestDateCompare(t *testing.T) {
	a, b := Date{Year: 2026, Month: 12, Day: 25}, Date{Year: 2027, Month: 1, Day: 1}
	if a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Fatalf("compare %v %v: %d %d %d", a, b, a.Compare(b), b.Compare(a), a.Compare(a))
	}
}
