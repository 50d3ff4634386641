package config

import (
	"strings"
	"testing"
)

// A callback node may let the caller enter another number, with the rules that number must
// pass; bad rules are reported at the node.
func TestLoadFlowCallbackNumber(t *testing.T) {
	f, err := LoadFlow(strings.NewReader(`start: offer
nodes:
  offer:
    type: callback
    prompt: callback-offer
    queue: q
    decline_next: agent
    other: 3
    number_prompt: enter-number
    number_refused: [number-refused]
    home_country: "49"
    deny_prefixes: ["+49900", "+49 137"]
    fallback: bye
  agent: {type: route, queue: q}
  bye: {type: hangup}
`), "callme.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	n := f.Nodes["offer"]
	if n.Other != "3" || len(n.NumberPrompt) != 1 || len(n.NumberRefused) != 1 || n.Numbers.HomeCountry != "49" ||
		n.Numbers.AllowInternational || strings.Join(n.Numbers.DenyPrefixes, "|") != "+49900|+49 137" {
		t.Fatalf("node: %+v", n)
	}
	_, err = LoadFlow(strings.NewReader(`nodes:
  offer: {type: callback, prompt: o, queue: q, decline_next: bye, other: 1, international: maybe, deny_prefixes: ["900x"]}
  bye: {type: hangup}
`), "bad.yaml", nil)
	checkErrors(t, err, []string{
		`bad.yaml:2: nodes.offer.international: want true or false, got "maybe"`,
	})
	_, err = LoadFlow(strings.NewReader(`nodes:
  offer: {type: callback, prompt: o, queue: q, decline_next: bye, other: 1, deny_prefixes: ["900x"]}
  bye: {type: hangup}
`), "bad.yaml", nil)
	checkErrors(t, err, []string{
		"bad.yaml:2: nodes.offer.other: same key as accept or decline",
		"bad.yaml:2: nodes.offer.number_prompt: missing number_prompt (the caller is asked for another number)",
		"bad.yaml:2: nodes.offer.numbers: callback: policy: home country is required when international numbers are not allowed",
	})
}
