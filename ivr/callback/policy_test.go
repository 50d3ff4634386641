package callback_test

import (
	"errors"
	"testing"
	"time"

	"switchboard/internal/config"
	"switchboard/ivr/callback"
)

var _ callback.Window = (*config.Hours)(nil)

func TestCheck(t *testing.T) {
	p := callback.Policy{
		DenyPrefixes: []string{"+1900", "+44 9", "+49 (0)900"},
		HomeCountry:  "49",
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	intl := p
	intl.AllowInternational = true
	tests := []struct {
		p      callback.Policy
		number string
		err    error
	}{
		{p, "+49301234567", nil},
		{p, "+499001234567", callback.ErrDenied},
		{p, "+44901234567", callback.ErrDenied}, // denied ranges first
		{p, "+442079460018", callback.ErrInternational},
		{intl, "+44901234567", callback.ErrDenied},
		{intl, "+442079460018", nil},
		{intl, "+19005550142", callback.ErrDenied},
		{intl, "+12125550142", nil},
		{p, "+12125550142", callback.ErrInternational},
		{p, "0301234567", callback.ErrFormat},
		{p, "+49 30 1234567", callback.ErrFormat},
	}
	for _, tt := range tests {
		err := tt.p.Check(tt.number)
		if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("Check(%q) (international %v) = %v, want %v", tt.number, tt.p.AllowInternational, err, tt.err)
		}
	}
	if got, err := p.Number("030 1234567"); got != "+49301234567" || err != nil {
		t.Errorf("Number = %q, %v", got, err)
	}
	if _, err := p.Number("0900 1234567"); !errors.Is(err, callback.ErrDenied) {
		t.Errorf("Number(premium) = %v, want ErrDenied", err)
	}
	if _, err := p.Number("12*"); !errors.Is(err, callback.ErrCharacter) {
		t.Errorf("Number(12*) = %v, want ErrCharacter", err)
	}
}

func TestValidate(t *testing.T) {
	for _, p := range []callback.Policy{
		{},                   // no home country, international not allowed
		{HomeCountry: "049"}, // not a country code
		{HomeCountry: "49", DenyPrefixes: []string{"+1900x"}},
		{HomeCountry: "49", DenyPrefixes: []string{"+"}},
		{HomeCountry: "49", RetryDelay: -time.Second},
		{HomeCountry: "49", Backoff: []time.Duration{time.Minute, -1}},
	} {
		if err := p.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", p)
		}
	}
	if err := (callback.Policy{AllowInternational: true}).Validate(); err != nil {
		t.Errorf("Validate(allow international) = %v", err)
	}
}

func TestPolicyThresholds(t *testing.T) {
	p := callback.Policy{MissedAfter: 30 * time.Second, OfferAfter: 2 * time.Minute, Expiry: 24 * time.Hour}
	if p.IsMissed(29*time.Second) || !p.IsMissed(30*time.Second) {
		t.Error("IsMissed around 30s")
	}
	if p.ShouldOffer(time.Minute) || !p.ShouldOffer(3*time.Minute) {
		t.Error("ShouldOffer around 2m")
	}
	if (callback.Policy{}).IsMissed(time.Hour) || (callback.Policy{}).ShouldOffer(time.Hour) {
		t.Error("zero thresholds must disable")
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if got := p.ExpiresAt(now); !got.Equal(now.Add(24 * time.Hour)) {
		t.Errorf("ExpiresAt = %v", got)
	}
	if !(callback.Policy{}).ExpiresAt(now).IsZero() {
		t.Error("no expiry must give zero")
	}
	b := callback.Policy{Backoff: []time.Duration{time.Minute, 5 * time.Minute}, RetryDelay: time.Hour}
	for n, want := range map[int]time.Duration{0: time.Minute, 1: time.Minute, 2: 5 * time.Minute, 7: 5 * time.Minute} {
		if got := b.Delay(n); got != want {
			t.Errorf("Delay(%d) = %v, want %v", n, got, want)
		}
	}
}

// weekdays opens Monday to Friday, 09:00 to 17:00 in Berlin.
func weekdays(t *testing.T) *config.Hours {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	h := &config.Hours{Name: "office", TimeZone: "Europe/Berlin", Location: loc}
	for d := time.Monday; d <= time.Friday; d++ {
		h.Weekly[d] = []config.Span{{Start: 9 * time.Hour, End: 17 * time.Hour}}
	}
	h.Holidays = []config.Date{{Year: 2026, Month: time.December, Day: 25}}
	return h
}

func TestNextAttempt(t *testing.T) {
	hours := weekdays(t)
	berlin := hours.Location
	local := func(month time.Month, day, hh, mm int) time.Time {
		return time.Date(2026, month, day, hh, mm, 0, 0, berlin)
	}
	p := callback.Policy{HomeCountry: "49", MaxAttempts: 3, RetryDelay: 10 * time.Minute}
	mon10 := local(time.November, 23, 10, 0) // Monday
	tests := []struct {
		name   string
		p      callback.Policy
		cb     callback.Callback
		now    time.Time
		window callback.Window
		want   time.Time
		ok     bool
	}{
		{"first attempt now", p, callback.Callback{}, mon10, hours, mon10, true},
		{"no window", p, callback.Callback{}, local(time.November, 22, 3, 0), nil, local(time.November, 22, 3, 0), true},
		{"retry after the delay", p, callback.Callback{Attempts: 1, Outcome: callback.NoAnswer}, mon10, hours, mon10.Add(10 * time.Minute), true},
		{"retry delay crosses closing time", p, callback.Callback{Attempts: 1, Outcome: callback.Busy}, local(time.November, 23, 16, 55), hours, local(time.November, 24, 9, 0), true},
		{"friday evening waits for monday", p, callback.Callback{Attempts: 2, Outcome: callback.Failed}, local(time.November, 27, 18, 30), hours, local(time.November, 30, 9, 0), true},
		{"holiday skipped", p, callback.Callback{}, local(time.December, 24, 17, 30), hours, local(time.December, 28, 9, 0), true},
		{"seconds inside an open minute", p, callback.Callback{}, mon10.Add(17 * time.Second), hours, mon10.Add(17 * time.Second), true},
		{"caller's window later today", p, callback.Callback{WindowStart: local(time.November, 23, 14, 0), WindowEnd: local(time.November, 23, 16, 0)}, mon10, hours, local(time.November, 23, 14, 0), true},
		{"caller's window starts while closed", p, callback.Callback{WindowStart: local(time.November, 23, 7, 30), WindowEnd: local(time.November, 23, 12, 0)}, local(time.November, 23, 6, 0), hours, local(time.November, 23, 9, 0), true},
		{"caller's window over", p, callback.Callback{WindowEnd: local(time.November, 23, 9, 30)}, mon10, hours, time.Time{}, false},
		{"caller's window outside the hours", p, callback.Callback{WindowStart: local(time.November, 23, 18, 0), WindowEnd: local(time.November, 23, 20, 0)}, mon10, hours, time.Time{}, false},
		{"expires before opening", p, callback.Callback{Attempts: 1, Outcome: callback.NoAnswer, ExpiresAt: local(time.November, 24, 8, 0)}, local(time.November, 23, 17, 30), hours, time.Time{}, false},
		{"expiry is exclusive", p, callback.Callback{ExpiresAt: mon10}, mon10, nil, time.Time{}, false},
		{"connected is final", p, callback.Callback{Attempts: 1, Outcome: callback.Connected}, mon10, hours, time.Time{}, false},
		{"expired is final", p, callback.Callback{Attempts: 1, Outcome: callback.Expired}, mon10, hours, time.Time{}, false},
		{"maximum reached", p, callback.Callback{Attempts: 3, Outcome: callback.NoAnswer}, mon10, hours, time.Time{}, false},
		{"default maximum", callback.Policy{}, callback.Callback{Attempts: callback.DefaultMaxAttempts, Outcome: callback.Busy}, mon10, nil, time.Time{}, false},
		{"backoff by attempt", callback.Policy{Backoff: []time.Duration{time.Minute, time.Hour}, MaxAttempts: 5}, callback.Callback{Attempts: 2, Outcome: callback.Busy}, mon10, hours, mon10.Add(time.Hour), true},
		{"never open within the horizon", callback.Policy{SearchHorizon: 48 * time.Hour}, callback.Callback{}, local(time.November, 28, 8, 0), hours, time.Time{}, false},
		{"always closed", p, callback.Callback{}, mon10, closed{}, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.p.NextAttempt(tt.cb, tt.now, tt.window)
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("NextAttempt = %v, %v; want %v, %v", got.In(berlin), ok, tt.want.In(berlin), tt.ok)
			}
			if ok && tt.window != nil && !tt.window.Open(got) {
				t.Errorf("NextAttempt = %v: window closed then", got)
			}
		})
	}
}

type closed struct{}

func (closed) Open(time.Time) bool { return false }

func TestOutcomes(t *testing.T) {
	for _, o := range []callback.Outcome{callback.Connected, callback.NoAnswer, callback.Busy, callback.Failed, callback.Expired} {
		if !o.Valid() {
			t.Errorf("%s not valid", o)
		}
	}
	if callback.Outcome("hung_up").Valid() || callback.Reason("walk_in").Valid() || !callback.AfterHours.Valid() {
		t.Error("Valid")
	}
	if !callback.Connected.Final() || callback.NoAnswer.Final() {
		t.Error("Final")
	}
}
