package ivr

import (
	"time"

	"switchboard/ivr/callback"
)

// office is a test calendar: Monday to Friday 08:00-18:00 UTC, closed on 2026-12-25.
type office struct{}

func (office) Open(t time.Time) bool {
	t = t.UTC()
	if t.Month() == 12 && t.Day() == 25 {
		return false
	}
	if t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
		return false
	}
	return t.Hour() >= 8 && t.Hour() < 18
}

func sounds(names ...string) []Media {
	ms := make([]Media, len(names))
	for i, n := range names {
		ms[i] = Sound(n)
	}
	return ms
}

func prio(p int) *int { return &p }

// exampleFlows are the flows the transcripts, the property test and the fuzz target run.
func exampleFlows() map[string]*Flow {
	flows := map[string]*Flow{}
	add := func(name, start, fallback string, nodes ...*Node) {
		f := &Flow{Name: name, Start: start, Fallback: fallback, Nodes: map[string]*Node{}}
		for i, n := range nodes {
			n.Line = i + 1
			f.Nodes[n.ID] = n
		}
		flows[name] = f
	}
	add("main", "lang", "agent",
		&Node{ID: "lang", Kind: KindLanguage, Prompt: sounds("choose-language"), Next: "hours",
			Languages: map[string]Language{"1": {Code: "en", Skill: "en"}, "2": {Code: "de", Skill: "de", Level: 3}}},
		&Node{ID: "hours", Kind: KindHours, Hours: "office", Calendar: office{}, Open: "welcome", Closed: "closed"},
		&Node{ID: "closed", Kind: KindPlay, Prompt: sounds("closed-message"), Next: "bye"},
		&Node{ID: "welcome", Kind: KindPlay, Prompt: sounds("welcome"), Interruptible: true, Next: "topics"},
		&Node{ID: "topics", Kind: KindMenu, Prompt: sounds("topics"), Invalid: sounds("invalid"), NoInput: sounds("no-input"),
			Choices: map[string]string{"1": "billing", "2": "account", "9": "welcome", "0": "agent"}, Fallback: "agent"},
		&Node{ID: "billing", Kind: KindSet, Priority: prio(3), Skills: map[string]int{"billing": 2},
			Data: map[string]string{"topic": "billing"}, Next: "offer"},
		&Node{ID: "account", Kind: KindCollect, Prompt: sounds("enter-account"), Invalid: sounds("invalid"),
			MinDigits: 6, MaxDigits: 10, Next: "lookup", Fallback: "agent", Var: "account"},
		&Node{ID: "lookup", Kind: KindLookup, By: ByVar, Var: "account", Found: "found", NotFound: "not-found", Failed: "agent"},
		&Node{ID: "found", Kind: KindSet, Priority: prio(5), Data: map[string]string{"topic": "account"}, Next: "balance"},
		&Node{ID: "balance", Kind: KindInfo, Prompt: sounds("your-balance-is"), Field: "balance", SayAs: MediaNumber,
			Next: "after-info", Missing: "offer"},
		&Node{ID: "after-info", Kind: KindMenu, Prompt: sounds("agent-or-end"), Choices: map[string]string{"1": "offer", "2": "bye"},
			Fallback: "bye", Retries: 1},
		&Node{ID: "not-found", Kind: KindPlay, Prompt: []Media{Sound("account"), {Kind: MediaVar, Value: "account"}, Sound("not-found")},
			Next: "agent"},
		&Node{ID: "offer", Kind: KindCallback, Prompt: sounds("callback-offer"), Queue: "support-l1", DeclineNode: "agent",
			Message: sounds("callback-confirmed"), Timeout: 4 * time.Second},
		&Node{ID: "agent", Kind: KindRoute, Queue: "support-l1"},
		&Node{ID: "bye", Kind: KindHangup, Message: sounds("goodbye")},
	)
	add("pin", "vip", "",
		&Node{ID: "vip", Kind: KindLookup, By: ByCaller, Found: "pin", NotFound: "pin", Failed: "pin", LookupTimeout: 2 * time.Second},
		&Node{ID: "pin", Kind: KindCollect, Prompt: sounds("enter-pin"), MinDigits: 4, MaxDigits: 4, Terminator: "none",
			Sensitive: true, Next: "check", Fallback: "bye", NoRetry: true, Timeout: 8 * time.Second},
		&Node{ID: "check", Kind: KindLookup, By: ByVar, Var: "pin", Found: "readback", NotFound: "bye", Failed: "bye"},
		&Node{ID: "readback", Kind: KindPlay, Prompt: []Media{Sound("you-entered"), {Kind: MediaVar, Value: "pin"}}, Next: "status"},
		&Node{ID: "status", Kind: KindInfo, Field: "order_status", SayAs: MediaSound, Next: "xfer", Missing: "xfer"},
		&Node{ID: "xfer", Kind: KindTransfer, Number: "+4930123456"},
		&Node{ID: "bye", Kind: KindHangup, Message: sounds("goodbye")},
	)
	add("callme", "offer", "agent",
		&Node{ID: "offer", Kind: KindCallback, Prompt: sounds("callback-offer-or-other"), Queue: "support-l1", DeclineNode: "agent",
			Message: sounds("callback-confirmed"), Timeout: 4 * time.Second, Other: "3", NumberPrompt: sounds("enter-number"),
			NumberRefused: sounds("number-refused"), Fallback: "sorry",
			Numbers: callback.Policy{HomeCountry: "49", DenyPrefixes: []string{"+49900", "+49 137"}}},
		&Node{ID: "agent", Kind: KindRoute, Queue: "support-l1"},
		&Node{ID: "sorry", Kind: KindHangup, Message: sounds("sorry-goodbye")},
	)
	add("survey", "rate", "",
		&Node{ID: "rate", Kind: KindSurvey, Prompt: sounds("rate-1-to-5"), Invalid: sounds("invalid"), Next: "thanks", Retries: 1},
		&Node{ID: "thanks", Kind: KindHangup, Message: sounds("thank-you")},
	)
	return flows
}
