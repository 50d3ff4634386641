package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/ivr"
)

// TestExampleFlow walks the shipped example's main-menu flow: language, business hours,
// topic menu, account number, lookup and the callback offer.
func TestExampleFlow(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(bytes.NewReader(data), examplePath)
	if err != nil {
		t.Fatalf("the example does not load:\n%v", err)
	}
	f := c.Flows["main-menu"]
	if f == nil || f.Start != "language" || f.Fallback != "agent" || len(f.Nodes) != 10 {
		t.Fatalf("main-menu = %+v", f)
	}
	s, err := ivr.NewSession(f, ivr.Options{Caller: "+4930111222"})
	if err != nil {
		t.Fatal(err)
	}
	monday := time.Date(2026, 3, 2, 10, 0, 0, 0, c.Hours["office"].Location)
	s.Start(monday)
	var last []ivr.Action
	for _, d := range "1" + "2" + "123456#" {
		last = s.Handle(monday, ivr.Digit{D: byte(d)})
	}
	var lookup ivr.Lookup
	for _, a := range last {
		if l, ok := a.(ivr.Lookup); ok {
			lookup = l
		}
	}
	if lookup.Value != "123456" || lookup.By != ivr.ByVar {
		t.Fatalf("no lookup by account number: %v", last)
	}
	s.Handle(monday, ivr.LookupResult{ID: lookup.ID, Found: true, Customer: ivr.Customer{ID: "C42"}})
	last = s.Handle(monday, ivr.Digit{D: '1'})
	want := "callback +4930111222 queue support-l1 priority=3 skills=en:1 data=account:123456,topic:account lang=en customer=C42 [sound:callback-confirmed]"
	if len(last) == 0 || last[len(last)-1].String() != want || !s.Done() {
		t.Fatalf("got %v, want %s", last, want)
	}

	// Closed on Sunday: the closed message, then hang up.
	s, _ = ivr.NewSession(f, ivr.Options{})
	s.Start(monday)
	sunday := monday.AddDate(0, 0, 6)
	last = s.Handle(sunday, ivr.Digit{D: '2'})
	if got := last[len(last)-1].String(); got != "hangup [sound:closed-prompt]" {
		t.Errorf("on Sunday: %s", got)
	}
}

func TestFlowFiles(t *testing.T) {
	file := filepath.Join("testdata", "flows", "switchboard.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(bytes.NewReader(data), file)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Flows) != 2 || c.Flows["survey"].Start != "rate" || c.Flows["pin"].Nodes["pin"].Sensitive != true {
		t.Fatalf("flows = %+v", c.Flows)
	}
	if f := c.Flows["pin"]; f.Fallback != "bye" || f.Nodes["status"].Prompt[1] != (ivr.Media{Kind: ivr.MediaVar, Value: "pin"}) {
		t.Errorf("pin flow = %+v", f)
	}

	_, err = LoadConfig(strings.NewReader("queues: [{name: q}]\nflows:\n  x: {file: broken.yaml}\n  y: {file: missing.yaml}\n  z: {file: survey.txt}\n"),
		filepath.Join("testdata", "flows", "sb.yaml"))
	broken := filepath.Join("testdata", "flows", "broken.yaml")
	sb := filepath.Join("testdata", "flows", "sb.yaml")
	want := []string{
		broken + `:2: nodes.a.choices.#: unknown node "nowhere"`,
		broken + `:2: nodes.a: loop with no exit for a caller who presses nothing: a → a`,
		broken + `:4: nodes.c: unreachable from the start node "a"`,
		sb + ":4: flows.y.file: read flow file: no such file or directory",
		sb + `:5: flows.z.file: want a .yaml or .yml file, got "survey.txt"`,
	}
	checkErrors(t, err, want)
}

func checkErrors(t *testing.T, err error, want []string) {
	t.Helper()
	var got []string
	if err != nil {
		for _, e := range err.(Errors) {
			got = append(got, e.Error())
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestLoadFlowsBad(t *testing.T) {
	const base = okConfig + "hours:\n  office: {timezone: UTC, weekly: {mon-fri: \"08:00-18:00\"}, closed: {message: closed}}\n"
	// base is 13 lines long: flows: is line 14.
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"did flow unknown", strings.Replace(base, "queue: q", "flow: nope", 1) + "flows:\n  other: {nodes: {bye: {type: hangup}}}\n",
			[]string{`sb.yaml:11: dids[0].flow: unknown flow "nope"`}},
		{"did flow fine", strings.Replace(base, "queue: q", "flow: main", 1) + "flows:\n  main: {nodes: {bye: {type: hangup}}}\n", nil},
		{"no flows key: did flows are not checked", strings.Replace(base, "queue: q", "flow: nope", 1), nil},
		{"decoding", base + `flows:
  "bad name": {nodes: {a: {type: hangup}}}
  f:
    start: [x]
    colour: red
    nodes:
      a: {type: dance}
      b: {type: play, prompt: [{digits: 12, number: 3}, 7], next: c, choices: {1: a}}
      c: {type: route, queue: nope, priority: 11, skills: {en: 0}}
      d: {type: collect, prompt: p, min_digits: x, sensitive: "yes", timeout: -1s, next: c, fallback: c}
      e: {type: hours, hours: night, open: c, closed: c}
      g: {type: language, prompt: p, languages: {1: {skill: en}}, next: c}
  h: {nodes: {}}
  i: []
`, []string{
			`sb.yaml:15: flows: "bad name" is not a flow name (letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64)`,
			`sb.yaml:17: flows.f.start: want a string, got a list`,
			`sb.yaml:18: flows.f: unknown key "colour" (known: start, fallback, nodes)`,
			`sb.yaml:20: flows.f.nodes.a.type: unknown node type "dance" (known: play, menu, collect, hours, language, lookup, set, route, callback, info, transfer, hangup, survey)`,
			`sb.yaml:21: flows.f.nodes.b: a play node takes no "choices" (it takes: prompt, interruptible, next)`,
			`sb.yaml:21: flows.f.nodes.b.prompt[0]: want exactly one of digits, number, var`,
			`sb.yaml:21: flows.f.nodes.b.prompt[1]: want a sound name or {digits|number|var: ...}, got 7`,
			`sb.yaml:22: flows.f.nodes.c.priority: must be between 0 and 9, got 11`,
			`sb.yaml:22: flows.f.nodes.c.skills.en: level must be between 1 and 10, got 0`,
			`sb.yaml:22: flows.f.nodes.c.queue: unknown queue "nope"`,
			`sb.yaml:23: flows.f.nodes.d.sensitive: want true or false, got "yes"`,
			`sb.yaml:23: flows.f.nodes.d.timeout: must not be negative, got -1s`,
			`sb.yaml:23: flows.f.nodes.d: missing required key "max_digits"`,
			`sb.yaml:23: flows.f.nodes.d.min_digits: want an integer, got "x"`,
			`sb.yaml:24: flows.f.nodes.e.hours: unknown hours "night"`,
			`sb.yaml:25: flows.f.nodes.g.languages.1: missing required key "code"`,
			`sb.yaml:26: flows.h.nodes: a flow needs at least one node`,
			`sb.yaml:27: flows.i: want a mapping, got a list`,
		}},
		{"graph", base + `flows:
  f:
    start: menu
    nodes:
      menu:
        type: menu
        prompt: topics
        choices:
          1: loop
          2: nowhere
          "#": agent
        fallback: loop
      loop: {type: play, prompt: again, next: hours}
      hours: {type: hours, hours: office, open: loop, closed: menu}
      agent: {type: route, queue: q}
      lost: {type: hangup}
      collect: {type: collect, prompt: p, min_digits: 3, max_digits: 2, retries: 12, next: agent, fallback: agent}
`, []string{
			`sb.yaml:18: flows.f.nodes.menu: loop with no exit for a caller who presses nothing: menu → loop → hours → menu`,
			`sb.yaml:23: flows.f.nodes.menu.choices.2: unknown node "nowhere"`,
			`sb.yaml:26: flows.f.nodes.loop: loop with no exit for a caller who presses nothing: loop → hours → loop`,
			`sb.yaml:29: flows.f.nodes.lost: unreachable from the start node "menu"`,
			`sb.yaml:30: flows.f.nodes.collect.max_digits: 2 is below min_digits 3`,
			`sb.yaml:30: flows.f.nodes.collect.retries: must be between 0 and 9, got 12`,
			`sb.yaml:30: flows.f.nodes.collect: unreachable from the start node "menu"`,
		}},
		{"loops", base + `flows:
  f:
    nodes:
      menu:
        type: menu
        prompt: topics
        choices: {1: loop, "#": agent}
        fallback: loop
      loop: {type: play, prompt: again, next: hours}
      hours: {type: hours, hours: office, open: loop, closed: menu}
      agent: {type: route, queue: q}
      lost: {type: hangup}
      trap: {type: menu, prompt: t, choices: {1: trap2}, fallback: trap2}
      trap2: {type: menu, prompt: t, choices: {1: trap}, fallback: trap}
`, []string{
			`sb.yaml:17: flows.f.nodes.menu: loop with no exit for a caller who presses nothing: menu → loop → hours → menu`,
			`sb.yaml:22: flows.f.nodes.loop: loop with no exit for a caller who presses nothing: loop → hours → loop`,
			`sb.yaml:25: flows.f.nodes.lost: unreachable from the start node "menu"`,
			`sb.yaml:26: flows.f.nodes.trap: unreachable from the start node "menu"`,
			`sb.yaml:26: flows.f.nodes.trap: loop with no exit for a caller who presses nothing: trap → trap2 → trap`,
			`sb.yaml:27: flows.f.nodes.trap2: unreachable from the start node "menu"`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(strings.NewReader(tc.in), "sb.yaml")
			checkErrors(t, err, tc.want)
		})
	}
}

func TestCollectDigitsDefaults(t *testing.T) {
	f, err := LoadFlow(strings.NewReader("nodes:\n  c: {type: collect, prompt: p, max_digits: 4, next: x, fallback: x}\n  x: {type: hangup}\n"), "f.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.Nodes["c"]; n.MinDigits != 1 || n.MaxDigits != 4 || n.Line != 2 {
		t.Errorf("collect node = %+v", n)
	}
	_, err = LoadFlow(strings.NewReader("nodes:\n  c: {type: collect, prompt: p, next: x, fallback: x}\n  x: {type: hangup}\n"), "f.yaml", nil)
	checkErrors(t, err, []string{`f.yaml:2: nodes.c: missing required key "max_digits"`})
}
