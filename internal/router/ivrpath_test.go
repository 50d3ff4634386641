package router

import (
	"reflect"
	"testing"
	"time"

	"switchboard/ivr"
)

// The path keeps the input nodes in order with what was pressed there, and a sensitive entry
// only as MaskedInput.
func TestIVRPathMasksSensitiveInput(t *testing.T) {
	flow := &ivr.Flow{Name: "f", Start: "lang", Nodes: map[string]*ivr.Node{
		"lang": {ID: "lang", Kind: ivr.KindMenu, Prompt: []ivr.Media{ivr.Sound("menu")}, Choices: map[string]string{"1": "card"}, Fallback: "q"},
		"card": {ID: "card", Kind: ivr.KindCollect, Prompt: []ivr.Media{ivr.Sound("pin")}, MinDigits: 4, MaxDigits: 4,
			Terminator: "none", Sensitive: true, Next: "acct", Fallback: "q"},
		"acct": {ID: "acct", Kind: ivr.KindCollect, Prompt: []ivr.Media{ivr.Sound("acct")}, MinDigits: 1, MaxDigits: 8, Next: "q", Fallback: "q"},
		"q":    {ID: "q", Kind: ivr.KindRoute, Queue: "billing"},
	}}
	sess, err := ivr.NewSession(flow, ivr.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var p ivrPath
	sess.Start(now)
	p.visit(sess)
	for _, d := range "9" + "1" + "4242" + "77#" {
		in := ivr.Digit{D: byte(d)}
		p.input(sess, in)
		sess.Handle(now, in)
		p.visit(sess)
	}
	want := ivrPath{{Node: "lang", Input: "91"}, {Node: "card", Input: MaskedInput}, {Node: "acct", Input: "77#"}, {Node: "q", Input: ""}}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("path %+v, want %+v", p, want)
	}
}
