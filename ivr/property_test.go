package ivr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func TestExampleFlowsValidate(t *testing.T) {
	for name, f := range exampleFlows() {
		if errs := Validate(f); len(errs) > 0 {
			t.Errorf("flow %s: %v", name, errs)
		}
	}
}

// decodeInput turns two bytes into an input aimed at s: digits (with * and # far more likely
// than their share, and bytes that are no key at all), timeouts and playback ends for the
// current id, a stale one or a made-up one, and lookup results of every kind.
func decodeInput(s *Session, a, b byte) Input {
	id := func(current int) int {
		switch b % 4 {
		case 0, 1:
			return current
		case 2:
			return current - 1
		}
		return int(b)
	}
	switch a % 8 {
	case 0, 1:
		return Digit{D: "0123456789"[b%10]}
	case 2:
		return Digit{D: "*#*#*#AD\x00x"[b%10]}
	case 3, 4:
		return PlaybackFinished{ID: id(s.playID)}
	case 5, 6:
		return Timeout{Timer: id(s.timerID)}
	}
	r := LookupResult{ID: id(s.lookupID)}
	switch b % 3 {
	case 0:
		r.Found = true
		r.Customer = Customer{ID: "C1", Fields: map[string]string{"balance": "12", "order_status": "../../etc/passwd"}}
	case 1:
		r.Err = "down"
	}
	return r
}

// runInputs drives a session with data and checks the invariants every run must keep.
func runInputs(t *testing.T, f *Flow, data []byte, maxInputs int) (*Session, int) {
	t.Helper()
	s, err := NewSession(f, Options{Caller: "+4930111222", Agent: "1001", MaxInputs: maxInputs})
	if err != nil {
		t.Fatal(err)
	}
	terminal := 0
	check := func(as []Action) {
		for i, a := range as {
			if a == nil {
				t.Fatal("nil action")
			}
			if IsTerminal(a) {
				terminal++
				if i != len(as)-1 {
					t.Fatalf("terminal action %v is not the last of %v", a, as)
				}
			}
		}
		if terminal > 1 {
			t.Fatalf("%d terminal actions", terminal)
		}
		if (terminal == 1) != s.Done() {
			t.Fatalf("terminal actions %d, done %v", terminal, s.Done())
		}
	}
	check(s.Start(t0))
	n := 0
	for i := 0; i+1 < len(data) && !s.Done(); i += 2 {
		n++
		check(s.Handle(t0.Add(time.Duration(n)*time.Second), decodeInput(s, data[i], data[i+1])))
	}
	if s.Done() {
		if as := s.Handle(t0, Digit{D: '1'}); len(as) > 0 {
			t.Fatalf("actions after the end: %v", as)
		}
	}
	return s, n
}

// TestRandomInputsTerminate: any input sequence over every example flow ends in a terminal
// action within MaxInputs+1 inputs, with exactly one terminal action, and never panics.
func TestRandomInputsTerminate(t *testing.T) {
	const maxInputs = 60
	rng := rand.New(rand.NewPCG(1, 2))
	flows := exampleFlows()
	for _, name := range sortedKeys(flows) {
		f := flows[name]
		for range 3000 {
			data := make([]byte, 2*(maxInputs+1))
			for i := range data {
				data[i] = byte(rng.UintN(256))
			}
			if rng.UintN(2) == 0 { // a storm
				for i := 0; i < len(data); i += 2 {
					data[i] = 2
				}
			}
			s, n := runInputs(t, f, data, maxInputs)
			if !s.Done() {
				t.Fatalf("flow %s: not done after %d inputs, at %s", name, n, s.Node())
			}
		}
	}
}

// TestSilentCallerTerminates: without the input budget, a caller who presses nothing (every
// prompt plays out, every timer fires, lookups answer or not) ends within a bound fixed by the
// flow alone: silent edges form no cycle, so each node is visited at most once, and an input
// node takes at most two inputs (prompt end, timeout) per try.
func TestSilentCallerTerminates(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	flows := exampleFlows()
	for _, name := range sortedKeys(flows) {
		f := flows[name]
		bound := 0
		for _, n := range f.Nodes {
			bound += 2*(n.retries()+1) + 2
		}
		for range 500 {
			s, err := NewSession(f, Options{Caller: "+4930111222", MaxInputs: 1 << 30})
			if err != nil {
				t.Fatal(err)
			}
			s.Start(t0)
			n := 0
			for ; !s.Done() && n <= bound; n++ {
				var in Input
				switch {
				case s.lookupID != 0 && rng.UintN(2) == 0:
					in = LookupResult{ID: s.lookupID, Found: rng.UintN(2) == 0, Customer: Customer{ID: "C", Fields: map[string]string{"balance": "7"}}}
				case s.playID != 0:
					in = PlaybackFinished{ID: s.playID}
				default:
					in = Timeout{Timer: s.timerID}
				}
				s.Handle(t0, in)
			}
			if !s.Done() {
				t.Fatalf("flow %s: silent caller still at %s after %d inputs", name, s.Node(), n)
			}
		}
	}
}

// FuzzSession feeds arbitrary input sequences (two bytes each; the first byte picks the flow)
// to the example flows; the invariants are those of runInputs, and a session ends within
// MaxInputs+1 inputs.
func FuzzSession(f *testing.F) {
	f.Add([]byte{0, 0, 1, 3, 0, 5, 0})
	f.Add(bytes.Repeat([]byte{2, 0, 2, 1}, 40))
	f.Add(bytes.Repeat([]byte{6, 0, 3, 0}, 40))
	flows := exampleFlows()
	// Flows added later go at the end, so that the corpus keeps picking the flows it was made for.
	names := []string{"main", "pin", "survey", "callme"}
	if len(names) != len(flows) {
		f.Fatalf("FuzzSession does not pick every example flow: %v", sortedKeys(flows))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		const maxInputs = 40
		fl := flows[names[int(data[0])%len(names)]]
		s, n := runInputs(t, fl, data[1:], maxInputs)
		if n > maxInputs && !s.Done() {
			t.Fatalf("not done after %d inputs", n)
		}
	})
}

// TestSensitiveMasked: a sensitive PIN never shows in any printed, JSON or slog form of the
// session or of the actions, though the session itself keeps it.
func TestSensitiveMasked(t *testing.T) {
	const pin = "4711"
	s, err := NewSession(exampleFlows()["pin"], Options{Caller: "+4930111222"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []Action
	actions = append(actions, s.Start(t0)...)
	actions = append(actions, s.Handle(t0, LookupResult{ID: s.lookupID, Found: true, Customer: Customer{ID: "C9"}})...)
	actions = append(actions, s.Handle(t0, PlaybackFinished{ID: s.playID})...)
	if !s.Sensitive() {
		t.Error("Sensitive() false at a sensitive collect node")
	}
	var logged []string
	for _, d := range []byte(pin[:3]) {
		logged = append(logged, s.Redacted(Digit{D: d}))
		actions = append(actions, s.Handle(t0, Digit{D: d})...)
	}
	var forms []string
	forms = append(forms, fmt.Sprintf("%v %+v %#v %s %q", s, s, s, s, s), fmt.Sprintf("%v %+v %#v", *s, *s, *s))
	actions = append(actions, s.Handle(t0, Digit{D: pin[3]})...)
	actions = append(actions, s.Handle(t0, LookupResult{ID: s.lookupID, Found: true, Customer: Customer{ID: "C9"}})...)
	if v, _ := s.Var("pin"); v != pin {
		t.Fatalf("Var(pin) = %q", v)
	}
	if !slices.ContainsFunc(actions, func(a Action) bool {
		p, ok := a.(Play)
		return ok && slices.Contains(p.Media, Media{MediaDigits, pin, true})
	}) {
		t.Fatalf("the read-back does not carry the PIN for the owner: %v", actions)
	}
	var logs bytes.Buffer
	// No timestamps: their digits could contain the PIN's by chance.
	noTime := &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}}
	text := slog.New(slog.NewTextHandler(&logs, noTime))
	js := slog.New(slog.NewJSONHandler(&logs, noTime))
	for _, l := range []*slog.Logger{text, js} {
		l.Info("session", "session", s, "actions", actions)
		for _, a := range actions {
			l.Info("action", "action", a)
		}
	}
	forms = append(forms, strings.Join(logged, " "), logs.String(), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), fmt.Sprintf("%v %+v %#v", actions, actions, actions))
	for _, a := range actions {
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		forms = append(forms, string(b), a.String())
	}
	for _, form := range forms {
		if strings.Contains(form, pin) || strings.Contains(form, pin[:3]) {
			t.Errorf("the PIN shows in %s", form)
		}
	}
	if !strings.Contains(strings.Join(forms, ""), Mask) {
		t.Error("no masked value printed at all")
	}
}
