package asterisk

import "testing"

func TestEventType(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`{"type":"StasisStart","timestamp":"x"}`, "StasisStart", true},
		{`{"type":"ChannelVarset"}`, "ChannelVarset", true},
		{"{\n  \"type\": \"StasisStart\"}", "", false}, // pretty-printed: decode it fully
		{`{"timestamp":"x","type":"StasisStart"}`, "", false},
		{`{"type":"Stasis\"Start"}`, "", false},
		{`{"type":""}`, "", false},
		{`{"type":"unterminated`, "", false},
		{``, "", false},
	}
	for _, tt := range tests {
		got, ok := eventType([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("eventType(%q): got %q %v, want %q %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzEventType(f *testing.F) {
	f.Add([]byte(`{"type":"StasisStart","args":[]}`))
	f.Add([]byte(`{"type":"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if typ, ok := eventType(data); ok && (typ == "" || len(typ) >= len(data)) {
			t.Fatalf("eventType(%q) = %q", data, typ)
		}
	})
}
