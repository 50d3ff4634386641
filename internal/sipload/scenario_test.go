package sipload

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseScenarioFile(t *testing.T) {
	f, err := os.Open("testdata/scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc, err := ParseScenario(f)
	if err != nil {
		t.Fatal(err)
	}
	c := sc.Callers
	if c.Rate != 50 || c.Concurrency != 2000 || len(c.Classes) != 2 || time.Duration(sc.Duration) != time.Minute {
		t.Fatalf("callers %+v", c)
	}
	if got := c.Classes[0].DTMF; len(got) != 2 || got[1].Digits != "12345#" || got[1].At != 4*time.Second {
		t.Fatalf("dtmf %+v", got)
	}
	if c.From.total != 10001 || c.To.total != 10 {
		t.Fatalf("pool sizes %d %d", c.From.total, c.To.total)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		n := c.From.Pick(rng)
		if n != "anonymous" && (!strings.HasPrefix(n, "+49301") || len(n) != 11) {
			t.Fatalf("picked %q", n)
		}
	}
	if p := sc.Phones; p.Answer != 80 || time.Duration(p.Delay) != 2*time.Second || p.Media != "echo" || len(p.Listen) != 2 {
		t.Fatalf("phones %+v", p)
	}
}

func TestParseScenarioErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "empty"},
		{"unknown field", "duration: 1s\nphones:\n  listen: [x]\n  answr: 1\n", "line 4"},
		{"bad dtmf", "callers:\n  target: x\n  rate: 1\n  to: \"1\"\n  classes:\n    - dtmf: \"1 at soon\"\n", "line 6"},
		{"bad duration", "duration: forever\nphones: {listen: [x]}\n", "line 1"},
		{"bad pool", "callers:\n  target: x\n  rate: 1\n  to: \"9-1\"\n", "line 4"},
		{"no rate", "callers:\n  target: x\n  to: \"1\"\n", "rate or concurrency"},
		{"nothing", "duration: 1s\n", "callers, phones"},
		{"bad media", "phones: {listen: [\"127.0.0.1:5070\"], media: fax}\n", "media"},
		{"listen on any", "phones: {listen: [\"0.0.0.0:5070\"]}\n", "not 0.0.0.0"},
		{"listen not an ip", "phones: {listen: [\"phone:5070\"]}\n", "IP address"},
		{"remote target, loopback default", "callers: {target: \"192.0.2.20:5060\", rate: 1, to: \"1\"}\n", "callers.listen is required"},
		{"bad codec", "callers: {target: \"127.0.0.1:5060\", rate: 1, to: \"1\", codecs: [G729]}\n", "G729"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseScenario(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func FuzzParseScenario(f *testing.F) {
	b, err := os.ReadFile("testdata/scenario.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add("callers: {target: x, rate: 1, to: [\"1-9\", abc]}\nduration: 2\n")
	f.Fuzz(func(t *testing.T, in string) {
		sc, err := ParseScenario(strings.NewReader(in))
		if err != nil {
			return
		}
		if c := sc.Callers; c != nil {
			rng := rand.New(rand.NewPCG(1, 2))
			_ = c.From.Pick(rng)
			_ = c.To.Pick(rng)
			for _, cl := range c.Classes {
				_ = expandDTMF(cl.DTMF)
			}
		}
	})
}
