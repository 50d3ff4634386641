package ariemu

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func FuzzParseMediaList(f *testing.F) {
	for _, s := range []string{"sound:queue-thereare,sound:digits/2,sound:queue-callswaiting",
		"tone:ring;tonezone=us", "digits:123", "number:42", "recording:rec-1", ",,", "nocolon", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		list, err := ParseMediaList(s)
		if err != nil {
			if len(list) != 0 {
				t.Fatalf("error with items: %v", list)
			}
			return
		}
		for _, m := range list {
			if m.URI == "" || strings.Contains(m.URI, ",") {
				t.Fatalf("bad item %+v from %q", m, s)
			}
			if m.Scheme != "" && m.Scheme+":"+m.Value != m.URI {
				t.Fatalf("item %+v does not rebuild its uri", m)
			}
		}
	})
}

func FuzzParseCallerID(f *testing.F) {
	for _, s := range []string{`"Jane" <100>`, "Switchboard <100>", "<102>", "8005558282", `"only name"`, "<", "a<b>c", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := ParseCallerID(s)
		if len(c.Name)+len(c.Number) > len(s) {
			t.Fatalf("ParseCallerID(%q) = %+v: longer than its input", s, c)
		}
		clean := func(x string) bool { return x == strings.TrimSpace(x) && !strings.ContainsAny(x, `<>"`) }
		if clean(c.Name) && clean(c.Number) {
			again := ParseCallerID(`"` + c.Name + `" <` + c.Number + `>`)
			if again != c {
				t.Fatalf("round trip of %+v = %+v", c, again)
			}
		}
	})
}

func FuzzDecodeCallerRequest(f *testing.F) {
	for _, s := range []string{
		`{"number":"79990001111","did":"5551000","digits":[{"digit":"1","after_ms":1600}],"patience_ms":30000,"talk_time_ms":60000}`,
		`{"did":"1","digits":[{"digit":"#","after_ms":0,"after_prompt":true}]}`,
		`{"did":"1","patience_ms":-1}`, `{"did":""}`, `{"did":"1","x":1}`, `[]`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCallerRequest(bytes.NewReader(b))
		if err != nil {
			return
		}
		if c.DID == "" || c.Patience < 0 || c.TalkTime < 0 || c.Patience > 24*time.Hour {
			t.Fatalf("accepted %+v from %s", c, b)
		}
		for _, d := range c.Digits {
			if len(d.Digit) != 1 || d.After < 0 {
				t.Fatalf("accepted digit %+v", d)
			}
		}
	})
}

func FuzzDecodePhoneRequest(f *testing.F) {
	for _, s := range []string{`{"behaviour":"answer","answer_after_ms":500,"talk_time_ms":4000}`,
		`{"behaviour":"ring"}`, `{"behaviour":"busy"}`, `{"behaviour":"unreachable"}`, `{"behaviour":"dance"}`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePhoneRequest(bytes.NewReader(b))
		if err != nil {
			return
		}
		switch p.Behaviour {
		case PhoneAnswer, PhoneRingOut, PhoneBusy, PhoneUnreachable:
		default:
			t.Fatalf("accepted behaviour %q", p.Behaviour)
		}
		if p.AnswerAfter < 0 || p.TalkTime < 0 || p.HangupAfter < 0 {
			t.Fatalf("accepted %+v", p)
		}
	})
}

func FuzzWAVDuration(f *testing.F) {
	var buf bytes.Buffer
	path := f.TempDir() + "/seed.wav"
	if err := writeWAV(path, 250*time.Millisecond); err != nil {
		f.Fatal(err)
	}
	b, _ := readFile(path)
	buf.Write(b[:min(len(b), 200)])
	f.Add(buf.Bytes())
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVE"))
	f.Add([]byte("RIFF\x24\x00\x00\x00WAVEdata\x10\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := WAVDuration(bytes.NewReader(b))
		if err == nil && d < 0 {
			t.Fatalf("negative duration %v", d)
		}
	})
}

func TestWriteWAV(t *testing.T) {
	path := t.TempDir() + "/x.wav"
	if err := writeWAV(path, 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	b, err := readFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 44+1500*16 || string(b[0:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " {
		t.Fatalf("wav header/size: %d bytes", len(b))
	}
	d, err := WAVDuration(bytes.NewReader(b))
	if err != nil || d != 1500*time.Millisecond {
		t.Fatalf("duration = %v, %v", d, err)
	}
}

func TestNumberFiles(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{0, "digits/0"}, {7, "digits/7"}, {19, "digits/19"}, {42, "digits/40 digits/2"},
		{300, "digits/3 digits/hundred"}, {1205, "digits/1 digits/thousand digits/2 digits/hundred digits/5"},
		{-3, "digits/minus digits/3"},
	} {
		if got := strings.Join(numberFiles(tc.n), " "); got != tc.want {
			t.Errorf("numberFiles(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
