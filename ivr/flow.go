package ivr

import (
	"time"

	"switchboard/ivr/callback"
)

// Limits every flow is held to.
const (
	MaxDigits       = 32               // longest collected entry
	MaxNumberDigits = 20               // longest callback number entry (E.164 with an international prefix)
	MaxRetries      = 9                // re-prompts of one input node
	MaxTimeout      = 60 * time.Second // longest wait for a digit
	DefaultTimeout  = 5 * time.Second  // wait for the first digit after a prompt
	DefaultInterDig = 3 * time.Second  // wait between digits of a collected entry
	DefaultRetries  = 2                // re-prompts, so 3 tries
	DefaultLookup   = 5 * time.Second  // wait for a lookup result before taking Failed
	DefaultInputs   = 200              // inputs a session accepts before it ends at the fallback
)

// Flow is one IVR flow: nodes by id and the node a call starts at.
type Flow struct {
	Name  string
	Start string
	Nodes map[string]*Node
	// Fallback names a route, transfer or hangup node where a session ends when it runs out of
	// input budget (Options.MaxInputs); "" hangs up without a message.
	Fallback string
	Line     int // where the flow is defined (0 when unknown)
}

// Kind is what a node does.
type Kind string

// Node kinds. Route, Transfer and Hangup are terminal; Callback ends the session when the caller
// accepts the offer.
const (
	KindPlay     Kind = "play"     // play Prompt, then Next
	KindMenu     Kind = "menu"     // play Prompt, a digit picks one of Choices
	KindCollect  Kind = "collect"  // play Prompt, collect MinDigits..MaxDigits digits into Var
	KindHours    Kind = "hours"    // Calendar open now → Open, else Closed
	KindLanguage Kind = "language" // a digit picks one of Languages, then Next
	KindLookup   Kind = "lookup"   // look the customer up by caller number or a collected Var
	KindSet      Kind = "set"      // set Priority, Skills, Data, then Next
	KindRoute    Kind = "route"    // terminal: to Queue
	KindCallback Kind = "callback" // offer a callback: Accept digit ends, Decline digit → Decline
	KindInfo     Kind = "info"     // say a customer record field, then Next (no record: Missing)
	KindTransfer Kind = "transfer" // terminal: to Number
	KindHangup   Kind = "hangup"   // terminal: play Message and hang up
	KindSurvey   Kind = "survey"   // a digit 1-5 is the caller's score, then Next
)

// Kinds lists every node kind.
var Kinds = []Kind{KindPlay, KindMenu, KindCollect, KindHours, KindLanguage, KindLookup, KindSet,
	KindRoute, KindCallback, KindInfo, KindTransfer, KindHangup, KindSurvey}

// Calendar says whether business hours are open; *Hours is one.
type Calendar interface {
	Open(t time.Time) bool
}

// Lookup keys.
const (
	ByCaller = "caller" // the caller's number
	ByVar    = "var"    // digits collected into Node.Var
)

// Language is one choice of a language node.
type Language struct {
	Code  string // the channel language prompts are played in, e.g. "de"
	Skill string // a skill the call then needs ("" = none)
	Level int    // the skill's level (default 1)
}

// Node is one step of a flow. Kind says which fields are used (see the Kind constants);
// Validate reports fields that are missing, out of range or naming unknown nodes.
type Node struct {
	ID   string
	Kind Kind
	Line int // where the node is defined (0 when unknown)

	// Label names the node for people (the screen pop's IVR path): by language code, "" for
	// any language without its own.
	Label map[string]string

	Prompt        []Media // played on entering
	Interruptible bool    // play: a digit stops the prompt and moves on (input nodes always are)
	Next          string

	// Input nodes: menu, collect, language, callback, survey.
	Timeout  time.Duration // wait for the first digit after the prompt (default DefaultTimeout)
	Retries  int           // re-prompts after a wrong entry or a timeout (0 means DefaultRetries unless NoRetry)
	NoRetry  bool          // Retries is explicitly 0
	Invalid  []Media       // played before the re-prompt after a wrong entry
	NoInput  []Media       // played before the re-prompt after a timeout
	Fallback string        // after the last failed try (language, survey, callback: default Next/Decline)

	Choices   map[string]string   // menu: digit → node
	Languages map[string]Language // language: digit → language

	// collect
	MinDigits  int           // at least 1
	MaxDigits  int           // at most MaxDigits
	Terminator string        // "#" (default), "*" or "none"
	InterDigit time.Duration // default DefaultInterDig
	Sensitive  bool          // never logged, never attached to routed calls
	Var        string        // name the entry is kept under (default: the node's id); lookup: the entry looked up

	// hours
	Hours        string // calendar name, for messages
	Calendar     Calendar
	Open, Closed string

	// lookup
	By                      string // ByCaller or ByVar
	Found, NotFound, Failed string // Failed: error or no answer within Timeout (default NotFound)
	LookupTimeout           time.Duration

	// set, route, callback
	Priority *int
	Skills   map[string]int
	Data     map[string]string
	Queue    string // route, callback

	// callback
	Accept, Decline string  // digits (default "1" and "2")
	DeclineNode     string  // where a caller who declines goes
	Message         []Media // hangup: played before hanging up; callback: confirmation
	// Other, when set, is the key that lets the caller enter another number to be called
	// back on (a withheld caller is asked for one at once): NumberPrompt asks for it, digits
	// end with # or a pause, and Numbers (home country, international, denied prefixes)
	// decides whether it may be called. A number refused plays NumberRefused and counts as
	// a failed try: the caller may keep their own number or try another, and after the
	// last try goes to Fallback.
	Other         string
	NumberPrompt  []Media
	NumberRefused []Media
	Numbers       callback.Policy

	// info
	Field   string    // customer record field said
	SayAs   MediaKind // digits (default), number or sound
	Missing string    // no customer or no such field (default Next)

	// transfer
	Number string
}

// Terminal reports whether the node ends the session.
func (n *Node) Terminal() bool {
	return n.Kind == KindRoute || n.Kind == KindTransfer || n.Kind == KindHangup
}

func (n *Node) retries() int {
	if n.Retries == 0 && !n.NoRetry {
		return DefaultRetries
	}
	return n.Retries
}

func (n *Node) timeout() time.Duration { return orDefault(n.Timeout, DefaultTimeout) }

func (n *Node) interDigit() time.Duration { return orDefault(n.InterDigit, DefaultInterDig) }

func (n *Node) lookupTimeout() time.Duration { return orDefault(n.LookupTimeout, DefaultLookup) }

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// varName is the variable a collect node fills.
func (n *Node) varName() string {
	if n.Var != "" {
		return n.Var
	}
	return n.ID
}

func (n *Node) terminator() byte {
	switch n.Terminator {
	case "", "#":
		return '#'
	case "*":
		return '*'
	}
	return 0
}

func (n *Node) fallback() string {
	if n.Fallback != "" {
		return n.Fallback
	}
	switch n.Kind {
	case KindLanguage, KindSurvey:
		return n.Next
	case KindCallback:
		return n.DeclineNode
	}
	return ""
}

func (n *Node) failed() string {
	if n.Failed != "" {
		return n.Failed
	}
	return n.NotFound
}

func (n *Node) missing() string {
	if n.Missing != "" {
		return n.Missing
	}
	return n.Next
}

func (n *Node) accept() string  { return orString(n.Accept, "1") }
func (n *Node) decline() string { return orString(n.Decline, "2") }

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// edge is a way out of a node. Silent edges are taken without the caller choosing a digit.
type edge struct {
	to, field string
	silent    bool
}

func (n *Node) edges() []edge {
	var es []edge
	add := func(to, field string, silent bool) {
		if to != "" {
			es = append(es, edge{to, field, silent})
		}
	}
	switch n.Kind {
	case KindPlay, KindSet:
		add(n.Next, "next", true)
	case KindMenu:
		for _, d := range sortedKeys(n.Choices) {
			add(n.Choices[d], "choices."+d, false)
		}
		add(n.Fallback, "fallback", true)
	case KindCollect:
		add(n.Next, "next", false)
		add(n.Fallback, "fallback", true)
	case KindLanguage, KindSurvey:
		add(n.Next, "next", false)
		add(n.fallback(), "fallback", true)
	case KindHours:
		add(n.Open, "open", true)
		add(n.Closed, "closed", true)
	case KindLookup:
		add(n.Found, "found", true)
		add(n.NotFound, "not_found", true)
		add(n.Failed, "failed", true)
	case KindCallback:
		add(n.DeclineNode, "decline_next", false)
		add(n.fallback(), "fallback", true)
		// A caller with no number is sent to DeclineNode without a prompt.
		add(n.DeclineNode, "decline_next", true)
	case KindInfo:
		add(n.Next, "next", true)
		add(n.Missing, "missing", true)
	}
	return es
}

// LabelIn is the node's label in lang: its own, else the one for any language, else "".
func (n *Node) LabelIn(lang string) string {
	if l, ok := n.Label[lang]; ok {
		return l
	}
	return n.Label[""]
}
