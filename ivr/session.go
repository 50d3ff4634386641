package ivr

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"time"
)

// Options describe the call a Session serves.
type Options struct {
	Caller    string // the caller's number ("" when withheld: no lookup by caller, no callback)
	Language  string // the channel's language before any language node
	Agent     string // for post-call surveys: the agent the score is stored against
	MaxInputs int    // inputs accepted before the session ends at the flow's fallback (default DefaultInputs)
}

// Session is one caller walking one flow. It is not safe for concurrent use; its owner feeds it
// inputs from one goroutine.
type Session struct {
	flow *Flow
	opt  Options
	now  time.Time

	node     *Node
	seq      int // last id given to a playback, timer or lookup
	playID   int // current playback, 0 = none
	timerID  int // current timer, 0 = none
	lookupID int // pending lookup, 0 = none
	tries    int // failed tries at the current node
	buf      []byte
	ahead    byte // a digit that interrupted a play or info prompt, for the next input node
	inputs   int
	started  bool
	done     bool
	outcome  string

	language string
	priority int
	skills   map[string]int
	data     map[string]string
	vars     map[string]variable
	customer *Customer

	out []Action
}

type variable struct {
	value     string
	sensitive bool
}

// NewSession starts nothing yet: call Start. The flow must pass Validate.
func NewSession(f *Flow, opt Options) (*Session, error) {
	if errs := Validate(f); len(errs) > 0 {
		return nil, fmt.Errorf("ivr: invalid flow: %w", errors.Join(errs...))
	}
	if opt.MaxInputs <= 0 {
		opt.MaxInputs = DefaultInputs
	}
	return &Session{flow: f, opt: opt, language: opt.Language,
		skills: map[string]int{}, data: map[string]string{}, vars: map[string]variable{}}, nil
}

// Start enters the flow's start node at now.
func (s *Session) Start(now time.Time) []Action {
	if s.started {
		return nil
	}
	s.started, s.now = true, now
	s.enter(s.flow.Start)
	return s.flush()
}

// Handle feeds one input at now and returns what to do.
func (s *Session) Handle(now time.Time, in Input) []Action {
	if !s.started || s.done {
		return nil
	}
	s.now = now
	if _, ok := in.(CallerHangup); ok {
		s.done, s.outcome = true, "caller hung up"
		return nil
	}
	s.inputs++
	if s.inputs > s.opt.MaxInputs {
		s.stopPlayback()
		if s.flow.Fallback != "" {
			s.enter(s.flow.Fallback)
		} else {
			s.finish(Hangup{}, "input budget exhausted")
		}
		return s.flush()
	}
	s.handle(in)
	s.ahead = 0
	return s.flush()
}

// Done reports whether the session has ended (terminal action or caller hangup).
func (s *Session) Done() bool { return s.done }

// Outcome says how the session ended ("" while it runs).
func (s *Session) Outcome() string { return s.outcome }

// Node is the id of the node the caller is at.
func (s Session) Node() string {
	if s.node == nil {
		return ""
	}
	return s.node.ID
}

// Sensitive reports whether digits the caller presses now are sensitive: the owner must not log
// Digit inputs then.
func (s *Session) Sensitive() bool {
	return s.node != nil && s.node.Kind == KindCollect && s.node.Sensitive && !s.done
}

// Redacted is in.String() with the digit masked while Sensitive reports true: the form of an
// input to log.
func (s *Session) Redacted(in Input) string {
	if _, ok := in.(Digit); ok && s.Sensitive() {
		return "digit " + Mask
	}
	return in.String()
}

// Var returns a collected entry (sensitive ones too: the caller of Var decides what to do).
func (s *Session) Var(name string) (string, bool) {
	v, ok := s.vars[name]
	return v.value, ok
}

// Language is the caller's language.
func (s *Session) Language() string { return s.language }

func (s *Session) flush() []Action {
	out := s.out
	s.out = nil
	return out
}

func (s *Session) emit(a Action) { s.out = append(s.out, a) }

func (s *Session) nextID() int {
	s.seq++
	return s.seq
}

func (s *Session) finish(a Action, outcome string) {
	s.emit(a)
	s.done, s.outcome = true, outcome
	s.playID, s.timerID, s.lookupID = 0, 0, 0
}

func (s *Session) stopPlayback() {
	if s.playID != 0 {
		s.emit(StopPlayback{s.playID})
		s.playID = 0
	}
}

// play starts a prompt; with nothing to say it reports false.
func (s *Session) play(ms []Media, interruptible bool) bool {
	ms = s.resolve(ms)
	if len(ms) == 0 {
		return false
	}
	s.playID = s.nextID()
	s.emit(Play{ID: s.playID, Media: ms, Interruptible: interruptible, Language: s.language})
	return true
}

// resolve replaces variables by the digits they hold, dropping unset ones.
func (s *Session) resolve(ms []Media) []Media {
	out := make([]Media, 0, len(ms))
	for _, m := range ms {
		if m.Kind == MediaVar {
			v, ok := s.vars[m.Value]
			if !ok || v.value == "" {
				continue
			}
			m = Media{Kind: MediaDigits, Value: v.value, Sensitive: v.sensitive}
		}
		out = append(out, m)
	}
	return out
}

func (s *Session) startTimer(d time.Duration) {
	s.timerID = s.nextID()
	s.emit(StartTimer{ID: s.timerID, After: d})
}

// enter moves to node id and runs nodes that need no input until one waits or ends the
// session. Silent edges form no cycle in a valid flow, so the loop visits each node once; the
// step limit only guards against a flow changed after validation.
func (s *Session) enter(id string) {
	s.stopPlayback()
	for steps := 0; ; steps++ {
		n := s.flow.Nodes[id]
		if n == nil || steps > len(s.flow.Nodes) {
			s.finish(Hangup{}, "broken flow")
			return
		}
		s.node, s.tries, s.buf = n, 0, nil
		s.playID, s.timerID, s.lookupID = 0, 0, 0
		switch n.Kind {
		case KindHours:
			if n.Calendar == nil || n.Calendar.Open(s.now) {
				id = n.Open
			} else {
				id = n.Closed
			}
			continue
		case KindSet:
			s.apply(n)
			id = n.Next
			continue
		case KindRoute:
			s.apply(n)
			s.finish(Route{Queue: n.Queue, Priority: s.priority, Skills: maps.Clone(s.skills), Data: s.attached(),
				Language: s.language, Customer: s.customerID()}, "routed to "+n.Queue)
			return
		case KindTransfer:
			s.finish(Transfer{Number: n.Number}, "transferred to "+n.Number)
			return
		case KindHangup:
			s.finish(Hangup{Message: s.resolve(n.Message)}, "hung up at "+n.ID)
			return
		case KindLookup:
			s.ahead = 0
			var v variable
			if n.By == ByCaller {
				v.value = s.opt.Caller
			} else {
				v = s.vars[n.Var]
			}
			if v.value == "" {
				id = n.NotFound
				continue
			}
			s.lookupID = s.nextID()
			s.emit(Lookup{ID: s.lookupID, By: n.By, Value: v.value, Sensitive: v.sensitive})
			s.startTimer(n.lookupTimeout())
			return
		case KindInfo:
			value, ok := "", false
			if s.customer != nil {
				value, ok = s.customer.Fields[n.Field]
			}
			say := Media{Kind: orKind(n.SayAs), Value: value}
			if !ok || !sayable(say) {
				id = n.missing()
				continue
			}
			if s.ahead != 0 {
				id = n.Next
				continue
			}
			if !s.play(append(append([]Media(nil), n.Prompt...), say), true) {
				id = n.Next
				continue
			}
			return
		case KindCallback:
			if s.opt.Caller == "" {
				id = n.DeclineNode
				continue
			}
			s.prompt(nil)
			return
		case KindPlay:
			if s.ahead != 0 && n.Interruptible {
				id = n.Next
				continue
			}
			s.ahead = 0
			if !s.play(n.Prompt, n.Interruptible) {
				id = n.Next
				continue
			}
			return
		default: // menu, collect, language, survey
			s.prompt(nil)
			return
		}
	}
}

// sayable reports whether a value from a customer record can be said as m.Kind: record fields
// are not trusted any more than digits are.
func sayable(m Media) bool {
	switch m.Kind {
	case MediaSound:
		return soundPattern.MatchString(m.Value)
	case MediaNumber:
		return numberPattern.MatchString(m.Value)
	}
	return digitsPattern.MatchString(m.Value)
}

func orKind(k MediaKind) MediaKind {
	if k == "" {
		return MediaDigits
	}
	return k
}

// prompt plays before (a retry message) and the node's prompt, then waits for a digit; with
// nothing to play the digit timer starts at once. A type-ahead digit skips the prompt and is
// handled at once.
func (s *Session) prompt(before []Media) {
	if d := s.ahead; d != 0 {
		s.ahead = 0
		s.digit(d)
		return
	}
	ms := append(append([]Media(nil), before...), s.node.Prompt...)
	if !s.play(ms, true) {
		s.startTimer(s.node.timeout())
	}
}

func (s *Session) apply(n *Node) {
	if n.Priority != nil {
		s.priority = *n.Priority
	}
	for k, v := range n.Skills {
		s.skills[k] = v
	}
	for k, v := range n.Data {
		s.data[k] = v
	}
}

// attached is the data a routed call carries: set nodes' data and the non-sensitive entries.
func (s *Session) attached() map[string]string {
	out := maps.Clone(s.data)
	for k, v := range s.vars {
		if !v.sensitive {
			if _, set := out[k]; !set {
				out[k] = v.value
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (s *Session) customerID() string {
	if s.customer == nil {
		return ""
	}
	return s.customer.ID
}

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
			s.apply(n)
			s.finish(Callback{Number: s.opt.Caller, Queue: n.Queue, Priority: s.priority, Skills: maps.Clone(s.skills),
				Data: s.attached(), Language: s.language, Customer: s.customerID(), Message: s.resolve(n.Message)},
				"callback for "+n.Queue)
			return
		case n.decline():
			s.enter(n.DeclineNode)
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
