package ivr

import (
	"errors"
	"fmt"
	"maps"
	"time"
)

// Options describe the call a Session serves.
type Options struct {
	Caller    string         // the caller's number ("" when withheld: no lookup by caller, no callback)
	Language  string         // the channel's language before any language node
	Agent     string         // for post-call surveys: the agent the score is stored against
	Priority  int            // the call's priority before any set node (e.g. its DID's)
	Skills    map[string]int // skills the call needs before any set or language node (e.g. its DID's)
	MaxInputs int            // inputs accepted before the session ends at the flow's fallback (default DefaultInputs)
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
	entering bool // at a callback node: the caller is entering another number
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
	skills := maps.Clone(opt.Skills)
	if skills == nil {
		skills = map[string]int{}
	}
	return &Session{flow: f, opt: opt, language: opt.Language, priority: opt.Priority,
		skills: skills, data: map[string]string{}, vars: map[string]variable{}}, nil
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
		s.node, s.tries, s.buf, s.entering = n, 0, nil, false
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
				if n.Other == "" {
					id = n.DeclineNode
					continue
				}
				s.enterNumber(nil)
				return
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
