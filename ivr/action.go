package ivr

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"
)

// Input is what the owner feeds a Session: Digit, Timeout, PlaybackFinished, LookupResult or
// CallerHangup.
type Input interface {
	input()
	String() string
}

// Digit is a DTMF digit the caller pressed: 0-9, *, #, A-D. Anything else counts as a wrong entry.
type Digit struct{ D byte }

// Timeout reports that the timer with this id (from StartTimer) fired.
type Timeout struct{ Timer int }

// PlaybackFinished reports that the playback with this id (from Play) ended, played out,
// stopped or failed.
type PlaybackFinished struct{ ID int }

// LookupResult answers the Lookup with this id. Err set means the lookup failed (the CRM is
// down); otherwise Found says whether a customer matched.
type LookupResult struct {
	ID       int
	Found    bool
	Customer Customer
	Err      string
}

// Customer is what a lookup found.
type Customer struct {
	ID       string
	Language string            // preferred language, "" when unknown
	Fields   map[string]string // record fields info nodes may read (balance, order status...)
}

// CallerHangup reports that the caller hung up; the session ends without a terminal action.
type CallerHangup struct{}

func (Digit) input()            {}
func (Timeout) input()          {}
func (PlaybackFinished) input() {}
func (LookupResult) input()     {}
func (CallerHangup) input()     {}

func (i Digit) String() string            { return fmt.Sprintf("digit %q", string(rune(i.D))) }
func (i Timeout) String() string          { return fmt.Sprintf("timeout #%d", i.Timer) }
func (i PlaybackFinished) String() string { return fmt.Sprintf("finished #%d", i.ID) }
func (i LookupResult) String() string {
	switch {
	case i.Err != "":
		return fmt.Sprintf("lookup #%d error %q", i.ID, i.Err)
	case !i.Found:
		return fmt.Sprintf("lookup #%d not found", i.ID)
	}
	return fmt.Sprintf("lookup #%d found %s", i.ID, i.Customer.ID)
}
func (CallerHangup) String() string { return "caller hangup" }

// Action is what a Session asks its owner to do. Route, Callback, Transfer and Hangup are
// terminal: exactly one of them ends a session (unless the caller hangs up first).
type Action interface {
	action()
	String() string
}

// Play plays Media to the caller in Language and reports PlaybackFinished{ID} when it ends.
// Interruptible playbacks are stopped by the session (StopPlayback) when a digit arrives.
type Play struct {
	ID            int
	Media         []Media
	Interruptible bool
	Language      string
}

// StopPlayback stops the playback with this id; no PlaybackFinished is needed for it.
type StopPlayback struct{ ID int }

// StartTimer starts a timer; the owner sends Timeout{ID} when it fires. Timers are never
// cancelled: a Timeout for a timer that is no longer current is ignored.
type StartTimer struct {
	ID    int
	After time.Duration
}

// Lookup asks for the customer by the caller's number (By "caller") or by collected digits
// (By "var"); the owner answers with LookupResult{ID}. A Sensitive value is masked when printed.
type Lookup struct {
	ID        int
	By        string
	Value     string
	Sensitive bool
}

// SetLanguage sets the caller's channel language.
type SetLanguage struct{ Language string }

// Route hands the call to Queue (terminal).
type Route struct {
	Queue    string
	Priority int
	Skills   map[string]int
	Data     map[string]string // attached data: set nodes' data and the non-sensitive collected entries
	Language string
	Customer string // customer id from a lookup, "" when none
}

// Callback schedules a call back to Number for Queue and ends the call after Message (terminal).
type Callback struct {
	Number   string
	Queue    string
	Priority int
	Skills   map[string]int
	Data     map[string]string
	Language string
	Customer string
	Message  []Media
}

// Transfer sends the call to Number (terminal).
type Transfer struct{ Number string }

// Hangup plays Message (if any) and hangs up (terminal).
type Hangup struct{ Message []Media }

// SurveyResult is the caller's score, 1-5, to be stored against the call and Agent.
type SurveyResult struct {
	Score int
	Agent string
}

func (Play) action()         {}
func (StopPlayback) action() {}
func (StartTimer) action()   {}
func (Lookup) action()       {}
func (SetLanguage) action()  {}
func (Route) action()        {}
func (Callback) action()     {}
func (Transfer) action()     {}
func (Hangup) action()       {}
func (SurveyResult) action() {}

// IsTerminal reports whether a ends the session.
func IsTerminal(a Action) bool {
	switch a.(type) {
	case Route, Callback, Transfer, Hangup:
		return true
	}
	return false
}

func (a Play) String() string {
	s := fmt.Sprintf("play #%d %s", a.ID, mediaList(a.Media))
	if a.Language != "" {
		s += " lang=" + a.Language
	}
	if a.Interruptible {
		s += " interruptible"
	}
	return s
}
func (a StopPlayback) String() string { return fmt.Sprintf("stop #%d", a.ID) }
func (a StartTimer) String() string   { return fmt.Sprintf("timer #%d %s", a.ID, a.After) }
func (a Lookup) String() string {
	v := a.Value
	if a.Sensitive {
		v = Mask
	}
	return fmt.Sprintf("lookup #%d by %s %s", a.ID, a.By, v)
}
func (a SetLanguage) String() string { return "language " + a.Language }
func (a Route) String() string {
	return "route " + a.Queue + routing(a.Priority, a.Skills, a.Data, a.Language, a.Customer)
}
func (a Callback) String() string {
	return "callback " + a.Number + " queue " + a.Queue + routing(a.Priority, a.Skills, a.Data, a.Language, a.Customer) +
		" " + mediaList(a.Message)
}
func (a Transfer) String() string { return "transfer " + a.Number }
func (a Hangup) String() string   { return "hangup " + mediaList(a.Message) }
func (a SurveyResult) String() string {
	return fmt.Sprintf("survey score=%d agent=%s", a.Score, a.Agent)
}

// GoString keeps %#v to the masked form.
func (a Play) GoString() string         { return a.String() }
func (a StopPlayback) GoString() string { return a.String() }
func (a StartTimer) GoString() string   { return a.String() }
func (a Lookup) GoString() string       { return a.String() }
func (a SetLanguage) GoString() string  { return a.String() }
func (a Route) GoString() string        { return a.String() }
func (a Callback) GoString() string     { return a.String() }
func (a Transfer) GoString() string     { return a.String() }
func (a Hangup) GoString() string       { return a.String() }
func (a SurveyResult) GoString() string { return a.String() }

// LogValue masks a sensitive lookup value in slog output.
func (a Lookup) LogValue() slog.Value { return slog.StringValue(a.String()) }

// MarshalJSON masks a sensitive lookup value.
func (a Lookup) MarshalJSON() ([]byte, error) {
	v := a.Value
	if a.Sensitive {
		v = Mask
	}
	return json.Marshal(map[string]any{"id": a.ID, "by": a.By, "value": v, "sensitive": a.Sensitive})
}

func routing(prio int, skills map[string]int, data map[string]string, lang, customer string) string {
	var b strings.Builder
	fmt.Fprintf(&b, " priority=%d", prio)
	if len(skills) > 0 {
		b.WriteString(" skills=")
		for i, k := range sortedKeys(skills) {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s:%d", k, skills[k])
		}
	}
	if len(data) > 0 {
		b.WriteString(" data=")
		for i, k := range sortedKeys(data) {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s:%s", k, data[k])
		}
	}
	if lang != "" {
		b.WriteString(" lang=" + lang)
	}
	if customer != "" {
		b.WriteString(" customer=" + customer)
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
