package router

import (
	"strings"
	"testing"

	"switchboard/acd"
)

func TestCheckEndpoint(t *testing.T) {
	tests := []struct {
		ep string
		ok bool
	}{
		{"PJSIP/1001", true},
		{"SIP/alice", true},
		{"PJSIP/1001@pbx-2", true},
		{"Local/100@agents", true},
		{"", false},
		{"1001", false},
		{"PJSIP/", false},
		{"pjsip/1001", false},
		{"PJSIP/1001&PJSIP/1002", false}, // a dial string ringing two phones
		{"PJSIP/1001,30", false},
		{"PJSIP/10 01", false},
		{"Console/dsp", false},
		{"PJSIP/" + strings.Repeat("9", 65), false},
	}
	for _, tt := range tests {
		err := CheckEndpoint(tt.ep)
		if (err == nil) != tt.ok {
			t.Errorf("CheckEndpoint(%q) = %v, want ok %v", tt.ep, err, tt.ok)
		}
		if err != nil && acd.ErrorCode(err) != acd.EInvalid {
			t.Errorf("CheckEndpoint(%q): code %q", tt.ep, acd.ErrorCode(err))
		}
	}
}

func TestCheckReason(t *testing.T) {
	for _, ok := range []string{"", "lunch", "back office", "Mittagspause", strings.Repeat("é", 64)} {
		if err := CheckReason(ok); err != nil {
			t.Errorf("CheckReason(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"a\nb", "tab\there", "\x00", strings.Repeat("x", 65)} {
		if err := CheckReason(bad); acd.ErrorCode(err) != acd.EInvalid {
			t.Errorf("CheckReason(%q) = %v, want invalid", bad, err)
		}
	}
}

func FuzzCheckEndpoint(f *testing.F) {
	f.Add("PJSIP/1001")
	f.Add("PJSIP/1001@pbx")
	f.Add("PJSIP/1001&SIP/x")
	f.Fuzz(func(t *testing.T, ep string) {
		if CheckEndpoint(ep) != nil {
			return
		}
		tech, res, ok := strings.Cut(ep, "/")
		if !ok || tech == "" || res == "" || len(ep) > 70 || strings.ContainsAny(ep, "&,;: \t\r\n") {
			t.Fatalf("accepted %q", ep)
		}
	})
}
