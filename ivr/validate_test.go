package ivr

import (
	"strings"
	"testing"
	"time"

	"switchboard/ivr/callback"
)

func flowOf(start string, nodes ...*Node) *Flow {
	f := &Flow{Name: "t", Start: start, Nodes: map[string]*Node{}}
	for i, n := range nodes {
		n.Line = i + 1
		f.Nodes[n.ID] = n
	}
	return f
}

func TestValidate(t *testing.T) {
	bye := func() *Node { return &Node{ID: "bye", Kind: KindHangup} }
	for _, tc := range []struct {
		name string
		flow *Flow
		want []string
	}{
		{"no nodes", &Flow{Start: "a"}, []string{"nodes: a flow needs at least one node"}},
		{"start", flowOf("", bye()), []string{"start: missing start node"}},
		{"unknown start", flowOf("x", bye()), []string{`start: unknown node "x"`}},
		{"dangling", flowOf("p",
			&Node{ID: "p", Kind: KindPlay, Prompt: sounds("hi"), Next: "nowhere"},
		), []string{`node p: next: unknown node "nowhere"`}},
		{"unreachable", flowOf("bye", bye(), &Node{ID: "lost", Kind: KindHangup}),
			[]string{`node lost: unreachable from the start node "bye"`}},
		{"loop with no exit", flowOf("m",
			&Node{ID: "m", Kind: KindMenu, Prompt: sounds("m"), Choices: map[string]string{"1": "n"}, Fallback: "n"},
			&Node{ID: "n", Kind: KindMenu, Prompt: sounds("n"), Choices: map[string]string{"1": "m"}, Fallback: "m"},
		), []string{
			"node m: loop with no exit: no route, transfer, hangup or callback node can be reached from here",
			"node n: loop with no exit: no route, transfer, hangup or callback node can be reached from here",
			"node m: loop with no exit for a caller who presses nothing: m → n → m",
		}},
		{"silent loop with an exit", flowOf("p",
			&Node{ID: "p", Kind: KindPlay, Prompt: sounds("p"), Next: "h"},
			&Node{ID: "h", Kind: KindHours, Calendar: office{}, Open: "p", Closed: "bye"},
			bye(),
		), []string{"node p: loop with no exit for a caller who presses nothing: p → h → p"}},
		{"digit loops are fine", flowOf("m",
			&Node{ID: "m", Kind: KindMenu, Prompt: sounds("m"), Choices: map[string]string{"9": "p", "1": "bye"}, Fallback: "bye"},
			&Node{ID: "p", Kind: KindPlay, Prompt: sounds("p"), Next: "m"},
			bye(),
		), nil},
		{"callback number entry", flowOf("o",
			&Node{ID: "o", Kind: KindCallback, Prompt: sounds("o"), Queue: "q", DeclineNode: "bye", Other: "1",
				NumberRefused: []Media{{Kind: MediaSound, Value: "../etc"}}},
			&Node{ID: "p", Kind: KindCallback, Prompt: sounds("o"), Queue: "q", DeclineNode: "bye", Other: "x",
				NumberPrompt: sounds("n"), Numbers: callback.Policy{HomeCountry: "49", DenyPrefixes: []string{"+49900"}}},
			bye(),
		), []string{
			`node o: number_refused[0]: "../etc" is not a sound name`,
			"node o: other: same key as accept or decline",
			"node o: number_prompt: missing number_prompt (the caller is asked for another number)",
			"node o: numbers: callback: policy: home country is required when international numbers are not allowed",
			`node p: other: "x" is not a key (0-9, *, #, A-D)`,
			`node p: unreachable from the start node "o"`,
		}},
		{"limits", flowOf("c",
			&Node{ID: "c", Kind: KindCollect, Prompt: sounds("c"), MinDigits: 5, MaxDigits: 40, Terminator: "x",
				Retries: 10, Timeout: 2 * time.Minute, Next: "bye", Fallback: "bye"},
			&Node{ID: "d", Kind: KindCollect, Prompt: sounds("c"), MinDigits: 5, MaxDigits: 4, Next: "bye", Fallback: "bye"},
			bye(),
		), []string{
			"node c: max_digits: must be between 1 and 32, got 40",
			`node c: terminator: want "#", "*" or "none", got "x"`,
			"node c: timeout: must be between 0 and 1m0s, got 2m0s",
			"node c: retries: must be between 0 and 9, got 10",
			"node d: max_digits: 4 is below min_digits 5",
			`node d: unreachable from the start node "c"`,
		}},
		{"fields", flowOf("m",
			&Node{ID: "m", Kind: KindMenu, Choices: map[string]string{"12": "bye"}},
			&Node{ID: "l", Kind: KindLookup, By: "email", Found: "bye", NotFound: "bye"},
			&Node{ID: "v", Kind: KindLookup, By: ByVar, Var: "acct", Found: "bye", NotFound: "bye"},
			&Node{ID: "x", Kind: KindTransfer, Number: "12-34"},
			&Node{ID: "cb", Kind: KindCallback, Prompt: []Media{{Kind: MediaVar, Value: "nope"}}, Accept: "1", Decline: "1"},
			&Node{ID: "s", Kind: KindSet, Priority: prio(12), Skills: map[string]int{"en": 0}, Next: "bye"},
			&Node{ID: "z", Kind: "dance"},
			&Node{ID: "p", Kind: KindPlay, Prompt: []Media{Sound("../x"), {Kind: MediaDigits, Value: "12a"}}, Next: "bye"},
			bye(),
		), []string{
			"node m: prompt: missing prompt",
			`node m: choices.12: "12" is not a key (0-9, *, #, A-D)`,
			"node m: fallback: missing fallback",
			`node l: by: want "caller" or "var", got "email"`,
			`node v: var: no collect node fills "acct"`,
			`node x: number: "12-34" is not a number (digits, with an optional leading +)`,
			`node cb: prompt[0]: no collect node fills "nope"`,
			"node cb: queue: missing queue",
			"node cb: decline_next: missing decline_next",
			"node cb: decline: same key as accept",
			"node s: priority: must be between 0 and 9, got 12",
			"node s: skills.en: level must be between 1 and 10, got 0",
			`node z: kind: unknown kind "dance"`,
			`node p: prompt[0]: "../x" is not a sound name`,
			`node p: prompt[1]: "12a" is not digits`,
			`node l: unreachable from the start node "m"`,
			`node v: unreachable from the start node "m"`,
			`node x: unreachable from the start node "m"`,
			`node cb: unreachable from the start node "m"`,
			`node s: unreachable from the start node "m"`,
			`node z: unreachable from the start node "m"`,
			`node p: unreachable from the start node "m"`,
		}},
		{"nil node", &Flow{Start: "bye", Nodes: map[string]*Node{"bye": {ID: "bye", Kind: KindHangup}, "x": nil, "y": {ID: "z", Kind: KindHangup}}},
			[]string{"nodes.x: empty node", `node z: id: node filed under "y"`}},
		{"flow fallback", &Flow{Start: "bye", Fallback: "p", Nodes: map[string]*Node{
			"bye": {ID: "bye", Kind: KindHangup},
			"p":   {ID: "p", Kind: KindPlay, Prompt: sounds("p"), Next: "bye", Line: 2},
		}}, []string{`fallback: node "p" is a play node; the flow's fallback must be a route, transfer or hangup node`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, err := range Validate(tc.flow) {
				got = append(got, err.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestNewSessionRejectsInvalidFlows(t *testing.T) {
	if _, err := NewSession(flowOf("x"), Options{}); err == nil {
		t.Fatal("no error")
	}
}
