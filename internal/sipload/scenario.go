package sipload

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Scenario is a load test read from a small YAML file; see testdata/scenario.yaml.
type Scenario struct {
	// Callers place calls; absent when the run only has phones.
	Callers *Callers `yaml:"callers"`
	// Phones answer calls as agents; absent when the run only has callers.
	Phones *Phones `yaml:"phones"`
	// Duration is how long new calls are placed (callers) or how long phones
	// stay up when there are no callers.
	Duration Duration `yaml:"duration"`
}

// Callers is the UAC side.
type Callers struct {
	Target      string   `yaml:"target"`      // request URI host[:port] of the system under test, e.g. 127.0.0.1:5060
	Listen      string   `yaml:"listen"`      // local SIP address, default 127.0.0.1:0
	Rate        float64  `yaml:"rate"`        // new calls per second
	Concurrency int      `yaml:"concurrency"` // cap on calls up at once (0: no cap); alone, keeps this many up
	MaxCalls    int      `yaml:"max_calls"`   // stop after this many attempts (0: no cap)
	From        Pool     `yaml:"from"`        // caller numbers
	To          Pool     `yaml:"to"`          // dialled numbers
	Codecs      []string `yaml:"codecs"`      // offered in order; default PCMU, PCMA
	Audio       string   `yaml:"audio"`       // WAV file or "tone:<hz>"; default tone:440
	Auth        *Auth    `yaml:"auth"`        // digest credentials for 401/407 challenges
	Classes     []Class  `yaml:"classes"`     // call classes by share; default one class
}

// Class is one kind of caller.
type Class struct {
	Name     string     `yaml:"name"`
	Share    float64    `yaml:"share"`    // relative weight
	DTMF     DTMFScript `yaml:"dtmf"`     // e.g. "1 at 2s, then 12345# at 4s"
	Patience Duration   `yaml:"patience"` // give up (CANCEL) when not answered by then; default 30s
	Talk     Duration   `yaml:"talk"`     // hang up this long after answer; default 10s
}

// Phones is the UAS side: agent phones.
type Phones struct {
	Listen   []string   `yaml:"listen"`   // SIP addresses to listen on (UDP)
	Register *Register  `yaml:"register"` // register the listen address to a registrar
	Answer   float64    `yaml:"answer"`   // share answering (default 1 when all shares are 0)
	Busy     float64    `yaml:"busy"`     // share rejecting with 486
	NoAnswer float64    `yaml:"noanswer"` // share ringing until the caller gives up
	Delay    Duration   `yaml:"delay"`    // ringing time before answer
	Talk     Duration   `yaml:"talk"`     // hang up this long after answer (0: wait for the caller)
	Media    string     `yaml:"media"`    // "echo" or "play" (default play)
	DTMF     DTMFScript `yaml:"dtmf"`     // digits the agent presses, from answer (play mode)
	Audio    string     `yaml:"audio"`    // as Callers.Audio
}

// Register is registration of a phone to a registrar.
type Register struct {
	Registrar string   `yaml:"registrar"` // host:port
	User      string   `yaml:"user"`
	Password  string   `yaml:"password"`
	Expires   Duration `yaml:"expires"` // default 300s; refreshed at half
}

// Auth are digest credentials.
type Auth struct {
	User     string `yaml:"user"`
	Password string `yaml:"password"`
}

// Duration is a time.Duration written as "2s" or a bare number of seconds.
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler with the line in errors.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseSpacedDuration(strings.ReplaceAll(n.Value, " ", ""))
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// DTMFScript is a parsed DTMF script.
type DTMFScript []DTMFStep

// UnmarshalYAML implements yaml.Unmarshaler with the line in errors.
func (s *DTMFScript) UnmarshalYAML(n *yaml.Node) error {
	steps, err := ParseDTMFScript(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*s = steps
	return nil
}

// Pool is a set of numbers: "1000-1999" ranges, single numbers, or a list of both.
type Pool struct {
	ranges []numRange
	total  uint64
}

type numRange struct {
	prefix   string // leading "+" or zeros kept verbatim
	lo, hi   uint64
	width    int
	verbatim string // non-numeric single entry
}

// UnmarshalYAML implements yaml.Unmarshaler with the line in errors.
func (p *Pool) UnmarshalYAML(n *yaml.Node) error {
	var items []string
	switch n.Kind {
	case yaml.ScalarNode:
		items = []string{n.Value}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: number pool entries must be strings", c.Line)
			}
			items = append(items, c.Value)
		}
	default:
		return fmt.Errorf("line %d: number pool must be a string or a list", n.Line)
	}
	*p = Pool{}
	for _, it := range items {
		r, err := parseRange(strings.TrimSpace(it))
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		p.ranges = append(p.ranges, r)
		p.total += r.hi - r.lo + 1
	}
	return nil
}

func parseRange(s string) (numRange, error) {
	if s == "" {
		return numRange{}, errors.New("empty number")
	}
	prefix := ""
	if strings.HasPrefix(s, "+") {
		prefix, s = "+", s[1:]
	}
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		if _, err := strconv.ParseUint(s, 10, 64); err != nil {
			return numRange{verbatim: prefix + s}, nil // a SIP user such as "ivr"
		}
		hi = lo
	}
	a, err1 := strconv.ParseUint(lo, 10, 64)
	b, err2 := strconv.ParseUint(strings.TrimPrefix(hi, "+"), 10, 64)
	if err1 != nil || err2 != nil || b < a || len(hi) > 19 {
		return numRange{}, fmt.Errorf("bad number range %q", prefix+s)
	}
	return numRange{prefix: prefix, lo: a, hi: b, width: len(lo)}, nil
}

// Pick returns a number chosen uniformly from the pool; "" when empty.
func (p Pool) Pick(r *rand.Rand) string {
	if p.total == 0 {
		return ""
	}
	k := r.Uint64N(p.total)
	for _, x := range p.ranges {
		size := x.hi - x.lo + 1
		if k < size {
			if x.verbatim != "" {
				return x.verbatim
			}
			return fmt.Sprintf("%s%0*d", x.prefix, x.width, x.lo+k)
		}
		k -= size
	}
	return ""
}

// ParseScenario reads and checks a scenario; errors carry YAML line numbers.
func ParseScenario(r io.Reader) (*Scenario, error) {
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var sc Scenario
	if err := dec.Decode(&sc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("scenario: empty file")
		}
		return nil, fmt.Errorf("scenario: %w", err)
	}
	if err := sc.check(); err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	return &sc, nil
}

func (sc *Scenario) check() error {
	if sc.Callers == nil && sc.Phones == nil {
		return errors.New("needs callers, phones or both")
	}
	if sc.Duration <= 0 {
		sc.Duration = Duration(60 * time.Second)
	}
	if c := sc.Callers; c != nil {
		if c.Target == "" {
			return errors.New("callers.target is required")
		}
		if c.Rate < 0 || c.Rate > 100000 || c.Concurrency < 0 || c.MaxCalls < 0 {
			return errors.New("callers: rate, concurrency and max_calls must be positive")
		}
		if c.Rate == 0 && c.Concurrency == 0 {
			return errors.New("callers: rate or concurrency is required")
		}
		if c.To.total == 0 {
			return errors.New("callers.to is required")
		}
		if err := checkListen("callers.listen", c.Listen, c.Target); err != nil {
			return err
		}
		if c.From.total == 0 {
			c.From, _ = poolOf("sbload")
		}
		if len(c.Codecs) == 0 {
			c.Codecs = []string{"PCMU", "PCMA"}
		}
		for _, name := range c.Codecs {
			if _, err := ParseCodec(name); err != nil {
				return fmt.Errorf("callers.codecs: %w", err)
			}
		}
		if len(c.Classes) == 0 {
			c.Classes = []Class{{Name: "default", Share: 1}}
		}
		var sum float64
		for i := range c.Classes {
			cl := &c.Classes[i]
			if cl.Share < 0 {
				return fmt.Errorf("callers.classes[%d]: negative share", i)
			}
			sum += cl.Share
			if cl.Name == "" {
				cl.Name = "class" + strconv.Itoa(i+1)
			}
			if cl.Patience <= 0 {
				cl.Patience = Duration(30 * time.Second)
			}
			if cl.Talk <= 0 {
				cl.Talk = Duration(10 * time.Second)
			}
		}
		if sum == 0 { // no shares given: classes are equally likely
			for i := range c.Classes {
				c.Classes[i].Share = 1
			}
		}
	}
	if p := sc.Phones; p != nil {
		if len(p.Listen) == 0 {
			return errors.New("phones.listen is required")
		}
		for _, l := range p.Listen {
			if err := checkListen("phones.listen", l, ""); err != nil {
				return err
			}
		}
		if p.Answer < 0 || p.Busy < 0 || p.NoAnswer < 0 {
			return errors.New("phones: negative share")
		}
		if p.Answer+p.Busy+p.NoAnswer == 0 {
			p.Answer = 1
		}
		switch p.Media {
		case "", "play", "echo":
		default:
			return fmt.Errorf("phones.media %q: want play or echo", p.Media)
		}
		if r := p.Register; r != nil && r.Registrar == "" {
			return errors.New("phones.register.registrar is required")
		}
	}
	return nil
}

// checkListen refuses a SIP listen address the far end could not use in
// Contact and SDP (0.0.0.0), and a loopback default when the target is remote.
func checkListen(field, listen, target string) error {
	if listen == "" {
		host, _, err := net.SplitHostPort(target)
		if err != nil {
			host = target
		}
		if ip, err := netip.ParseAddr(host); (err == nil && !ip.IsLoopback()) || (err != nil && host != "localhost") {
			return fmt.Errorf("%s is required when the target %s is not on this host: the address it should send to", field, target)
		}
		return nil
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("%s %q: want host:port", field, listen)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%s %q: want an IP address", field, listen)
	}
	if ip.IsUnspecified() {
		return fmt.Errorf("%s %q: give the address the far end should send SIP and RTP to, not %s", field, listen, host)
	}
	return nil
}

func poolOf(s string) (Pool, error) {
	r, err := parseRange(s)
	if err != nil {
		return Pool{}, err
	}
	return Pool{ranges: []numRange{r}, total: r.hi - r.lo + 1}, nil
}

// LoadAudio resolves an audio setting: "" or "tone:<hz>" or a WAV path.
func LoadAudio(spec string) (*Audio, error) {
	if spec == "" {
		return Tone(440), nil
	}
	if hz, ok := strings.CutPrefix(spec, "tone:"); ok {
		f, err := strconv.Atoi(hz)
		if err != nil || f <= 0 || f >= 4000 {
			return nil, fmt.Errorf("bad tone %q", spec)
		}
		return Tone(f), nil
	}
	return LoadWAV(spec)
}
