package recording

import (
	"testing"
	"time"
)

func TestAtAnswer(t *testing.T) {
	tests := []struct {
		p    Policy
		draw float64
		want bool
	}{
		{Policy{Mode: Always}, 0.99, true},
		{Policy{Mode: Never}, 0, false},
		{Policy{}, 0, false},
		{Policy{Mode: Sample, Sample: 0.3}, 0.29, true},
		{Policy{Mode: Sample, Sample: 0.3}, 0.3, false},
		{Policy{Mode: Sample, Sample: 0}, 0, false},
		{Policy{Mode: Sample, Sample: 1}, 0.999, true},
		{Policy{Mode: OnDemand}, 0, false},
	}
	for _, tt := range tests {
		if got := tt.p.AtAnswer(tt.draw); got != tt.want {
			t.Errorf("%+v draw %v: got %v, want %v", tt.p, tt.draw, got, tt.want)
		}
	}
}

func TestOnRequestAndNotice(t *testing.T) {
	tests := []struct {
		p                 Policy
		onRequest, notice bool
	}{
		{Policy{Mode: Always}, false, true},
		{Policy{Mode: Never}, false, false},
		{Policy{Mode: OnDemand}, true, true},
		{Policy{Mode: Sample, Sample: 0.5}, true, true},
		{Policy{Mode: Sample}, true, false},
	}
	for _, tt := range tests {
		if got := tt.p.OnRequest(); got != tt.onRequest {
			t.Errorf("%+v OnRequest: got %v, want %v", tt.p, got, tt.onRequest)
		}
		if got := tt.p.Notice(); got != tt.notice {
			t.Errorf("%+v Notice: got %v, want %v", tt.p, got, tt.notice)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		p  Policy
		ok bool
	}{
		{Policy{Mode: Always, Keep: 90 * 24 * time.Hour}, true},
		{Policy{}, true},
		{Policy{Mode: Sample, Sample: 1.5}, false},
		{Policy{Mode: Sample, Sample: -0.1}, false},
		{Policy{Mode: "sometimes"}, false},
		{Policy{Mode: Always, Keep: -time.Hour}, false},
	}
	for _, tt := range tests {
		if err := tt.p.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v: got %v, want ok=%v", tt.p, err, tt.ok)
		}
	}
}

func TestExpired(t *testing.T) {
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		name    string
		started time.Time
		now     time.Time
		keep    time.Duration
		want    bool
	}{
		{"young", start, start.Add(89 * day), 90 * day, false},
		{"exactly at the limit", start, start.Add(90 * day), 90 * day, true},
		{"old", start, start.Add(400 * day), 90 * day, true},
		{"kept forever", start, start.Add(4000 * day), 0, false},
		{"no start time", time.Time{}, start, day, false},
		{"clock behind the recording", start, start.Add(-day), day, false},
	}
	for _, tt := range tests {
		got := Expired(Recording{Name: "r", Started: tt.started}, tt.now, Policy{Mode: Always, Keep: tt.keep})
		if got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestValidName(t *testing.T) {
	tests := map[string]bool{
		"call-ast1-1763880000.12": true,
		"":                        false,
		".hidden":                 false,
		"../etc/passwd":           false,
		"a/b":                     false,
		"a b":                     false,
		"rec_1.wav":               true,
	}
	for name, want := range tests {
		if got := ValidName(name); got != want {
			t.Errorf("%q: got %v, want %v", name, got, want)
		}
	}
}
