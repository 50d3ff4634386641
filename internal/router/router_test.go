package router

import (
	"testing"
	"time"
)

func TestAnnouncement(t *testing.T) {
	both := QueueSettings{AnnouncePosition: true, AnnounceWait: true}
	tests := []struct {
		pos  int
		est  time.Duration
		s    QueueSettings
		want string
	}{
		{1, 0, both, "sound:queue-youarenext"},
		{4, 0, both, "sound:queue-thereare,number:3,sound:queue-callswaiting"},
		{2, 20 * time.Second, both, "sound:queue-thereare,number:1,sound:queue-callswaiting,sound:queue-holdtime,sound:queue-less-than,number:1,sound:queue-minute"},
		{2, 70 * time.Second, QueueSettings{AnnounceWait: true}, "sound:queue-holdtime,number:1,sound:queue-minute"},
		{2, 5 * time.Minute, QueueSettings{AnnounceWait: true}, "sound:queue-holdtime,number:5,sound:queue-minutes"},
		{9, time.Minute, QueueSettings{}, ""},
	}
	for _, tt := range tests {
		if got := announcement(tt.pos, tt.est, tt.s); got != tt.want {
			t.Errorf("announcement(%d, %v): got %q, want %q", tt.pos, tt.est, got, tt.want)
		}
	}
}

func TestAgentChannelIDs(t *testing.T) {
	tests := []struct {
		id      string
		agent   bool
		attempt int
	}{
		{agentChanID("1795405336.0", 3), true, 3},
		{"1795405336.0", false, 0},
		{"1795405336.0-abc", false, 0},
		{"sb-a-a12", true, 12},
	}
	for _, tt := range tests {
		if got := isAgentChan(tt.id); got != tt.agent {
			t.Errorf("isAgentChan(%q): got %v", tt.id, got)
		}
		if tt.agent {
			if got := attemptOf(tt.id); got != tt.attempt {
				t.Errorf("attemptOf(%q): got %d", tt.id, got)
			}
		}
	}
}

func TestPlaceVariables(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 123456789, time.UTC)
	q, p, e, ok := parsePlace(placeValue("support-l1", 7, at))
	if !ok || q != "support-l1" || p != 7 || !e.Equal(at) {
		t.Fatalf("round trip: %q %d %v %v", q, p, e, ok)
	}
	for _, rec := range []string{"", "call-n1-1.2", "call-n1-1.2-r20261123T090000.123Z"} {
		a, when, r, ok := parseAnswer(answerValue("1001", at, rec))
		if !ok || a != "1001" || !when.Equal(at) || r != rec {
			t.Fatalf("answer round trip: %q %v %q %v, want recording %q", a, when, r, ok, rec)
		}
	}
	for _, bad := range []string{"", "q", "q|x|2026-11-23T09:00:00Z", "q|1|yesterday", "|1|2026-11-23T09:00:00Z", "a|b|c|d"} {
		if _, _, _, ok := parsePlace(bad); ok {
			t.Errorf("parsePlace(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"", "1001", "|2026-11-23T09:00:00Z", "1001|soon", "1001|soon|call-x", "|2026-11-23T09:00:00Z|call-x",
		"1001|2026-11-23T09:00:00Z|voicemail", "1001|2026-11-23T09:00:00Z|call-a b"} {
		if _, _, _, ok := parseAnswer(bad); ok {
			t.Errorf("parseAnswer(%q) accepted", bad)
		}
	}
}

func FuzzPlaceVariables(f *testing.F) {
	f.Add(placeValue("q", 3, time.Unix(1795405336, 0)))
	f.Add("q|1|2026-11-23T09:00:00.5+01:00")
	f.Add("|||")
	f.Fuzz(func(t *testing.T, v string) {
		if q, p, e, ok := parsePlace(v); ok {
			if q == "" || placeValue(q, p, e) == "" {
				t.Fatalf("accepted %q as %q %d %v", v, q, p, e)
			}
		}
		if a, _, rec, ok := parseAnswer(v); ok && (a == "" || rec != "" && !isRecordingName(rec)) {
			t.Fatalf("accepted %q with no agent", v)
		}
	})
}
