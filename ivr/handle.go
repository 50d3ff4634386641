package ivr

import (
	"fmt"
	"log/slog"
	"maps"
	"strings"
)

// handle applies one input to the current node.
func (s *Session) handle(in Input) {
	n := s.node
	switch in := in.(type) {
	case PlaybackFinished:
		if in.ID == 0 || in.ID != s.playID {
			return
		}
		s.playID = 0
		switch n.Kind {
		case KindPlay, KindInfo:
			s.enter(n.Next)
		case KindLookup:
		default:
			if len(s.buf) > 0 {
				s.startTimer(n.interDigit())
			} else {
				s.startTimer(n.timeout())
			}
		}
	case Timeout:
		if in.Timer == 0 || in.Timer != s.timerID {
			return
		}
		s.timerID = 0
		switch n.Kind {
		case KindLookup:
			s.enter(n.failed())
		case KindCallback:
			switch {
			case !s.entering:
				s.retry(n.NoInput)
			case len(s.buf) > 0:
				s.numberEntered()
			default:
				s.refused()
			}
		case KindCollect:
			switch {
			case len(s.buf) == 0:
				s.retry(n.NoInput)
			case len(s.buf) >= n.MinDigits:
				s.collected()
			default:
				s.retry(n.Invalid)
			}
		default:
			s.retry(n.NoInput)
		}
	case LookupResult:
		if n.Kind != KindLookup || in.ID == 0 || in.ID != s.lookupID {
			return
		}
		switch {
		case in.Err != "":
			s.enter(n.failed())
		case in.Found:
			c := in.Customer
			s.customer = &c
			s.enter(n.Found)
		default:
			s.enter(n.NotFound)
		}
	case Digit:
		s.digit(in.D)
	}
}

func (s *Session) digit(d byte) {
	n := s.node
	switch n.Kind {
	case KindPlay, KindInfo:
		if s.playID != 0 && (n.Interruptible || n.Kind == KindInfo) {
			s.ahead = d
			s.enter(n.Next)
		}
		return
	case KindLookup:
		return // typed ahead while the lookup runs: ignored
	}
	// An input node: a digit stops the prompt and stops the wait.
	s.stopPlayback()
	s.timerID = 0
	if n.Kind == KindCallback && s.entering {
		s.numberDigit(d)
		return
	}
	key := string(rune(d))
	if !dtmfPattern.MatchString(key) {
		s.retry(n.Invalid)
		return
	}
	switch n.Kind {
	case KindMenu:
		if next, ok := n.Choices[key]; ok {
			s.enter(next)
			return
		}
	case KindLanguage:
		if l, ok := n.Languages[key]; ok {
			s.language = l.Code
			s.emit(SetLanguage{l.Code})
			if l.Skill != "" {
				s.skills[l.Skill] = max(l.Level, 1)
			}
			s.enter(n.Next)
			return
		}
	case KindSurvey:
		if d >= '1' && d <= '5' {
			s.emit(SurveyResult{Score: int(d - '0'), Agent: s.opt.Agent})
			s.enter(n.Next)
			return
		}
	case KindCallback:
		switch key {
		case n.accept():
			s.callback(s.opt.Caller)
			return
		case n.decline():
			s.enter(n.DeclineNode)
			return
		case n.Other:
			s.enterNumber(nil)
			return
		}
	case KindCollect:
		switch {
		case d == n.terminator():
			if len(s.buf) >= n.MinDigits {
				s.collected()
			} else {
				s.retry(n.Invalid)
			}
			return
		case d >= '0' && d <= '9':
			s.buf = append(s.buf, d)
			if len(s.buf) >= n.MaxDigits {
				s.collected()
			} else {
				s.startTimer(n.interDigit())
			}
			return
		}
	}
	s.retry(n.Invalid)
}

// callback ends the session with a callback to number.
func (s *Session) callback(number string) {
	n := s.node
	s.apply(n)
	s.finish(Callback{Number: number, Queue: n.Queue, Priority: s.priority, Skills: maps.Clone(s.skills),
		Data: s.attached(), Language: s.language, Customer: s.customerID(), Message: s.resolve(n.Message)},
		"callback for "+n.Queue)
}

// enterNumber asks the caller for another number to be called back on, after before.
func (s *Session) enterNumber(before []Media) {
	s.entering, s.buf = true, nil
	if d := s.ahead; d != 0 {
		s.ahead = 0
		s.numberDigit(d)
		return
	}
	ms := append(append([]Media(nil), before...), s.node.NumberPrompt...)
	if !s.play(ms, true) {
		s.startTimer(s.node.timeout())
	}
}

// numberDigit takes one digit of a callback number: # ends it, anything but 0-9 spoils it.
func (s *Session) numberDigit(d byte) {
	switch {
	case d == '#' && len(s.buf) > 0:
		s.numberEntered()
	case d >= '0' && d <= '9':
		s.buf = append(s.buf, d)
		if len(s.buf) >= MaxNumberDigits {
			s.numberEntered()
		} else {
			s.startTimer(s.node.interDigit())
		}
	default:
		s.refused()
	}
}

// numberEntered checks the entered number against the node's rules: a number that may be
// called ends the session with a callback to it.
func (s *Session) numberEntered() {
	number, err := s.node.Numbers.Number(string(s.buf))
	s.buf = nil
	if err != nil {
		s.refused()
		return
	}
	s.callback(number)
}

// refused counts a callback number that cannot be used as a failed try: the caller hears
// NumberRefused and the offer again (a withheld caller: the number prompt), or after the
// last try goes to the fallback.
func (s *Session) refused() {
	n := s.node
	s.buf, s.entering = nil, false
	s.tries++
	if s.tries > n.retries() {
		s.enter(n.fallback())
		return
	}
	if s.opt.Caller == "" {
		s.enterNumber(n.NumberRefused)
		return
	}
	s.prompt(n.NumberRefused)
}

// collected keeps the entry and moves on.
func (s *Session) collected() {
	n := s.node
	s.vars[n.varName()] = variable{value: string(s.buf), sensitive: n.Sensitive}
	s.enter(n.Next)
}

// retry counts a failed try: re-prompt after msg, or go to the fallback after the last one.
func (s *Session) retry(msg []Media) {
	n := s.node
	s.buf = nil
	s.tries++
	if s.tries > n.retries() {
		s.enter(n.fallback())
		return
	}
	s.prompt(msg)
}

// String describes the session with sensitive entries masked.
func (s Session) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ivr session flow=%s node=%s", s.flow.Name, s.Node())
	if s.language != "" {
		b.WriteString(" lang=" + s.language)
	}
	for _, k := range sortedKeys(s.vars) {
		v := s.vars[k].value
		if s.vars[k].sensitive {
			v = Mask
		}
		fmt.Fprintf(&b, " %s=%s", k, v)
	}
	if s.node != nil && s.node.Kind == KindCollect && len(s.buf) > 0 {
		if s.node.Sensitive {
			b.WriteString(" entry=" + Mask)
		} else {
			b.WriteString(" entry=" + string(s.buf))
		}
	}
	if s.done {
		b.WriteString(" done: " + s.outcome)
	}
	return b.String()
}

// Format makes every fmt verb print the masked String, so that %+v and %#v cannot reach the
// collected digits.
func (s Session) Format(f fmt.State, verb rune) { fmt.Fprint(f, s.String()) }

// LogValue is the masked description for log/slog.
func (s Session) LogValue() slog.Value { return slog.StringValue(s.String()) }
