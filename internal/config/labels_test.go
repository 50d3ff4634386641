package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestFlowLabels: a node's label is one text or one per language; anything else is an error.
func TestFlowLabels(t *testing.T) {
	flows := `flows:
  f:
    nodes:
      menu: {type: menu, label: {en: Topic, ru: Тема}, prompt: p, choices: {1: a, 2: b}, fallback: b}
      a: {type: route, label: Support, queue: q}
      b: {type: route, queue: q}
`
	c := loadConfigString(t, okConfig+flows)
	n := c.Flows["f"].Nodes
	if !reflect.DeepEqual(n["menu"].Label, map[string]string{"en": "Topic", "ru": "Тема"}) || n["a"].LabelIn("ru") != "Support" || n["b"].Label != nil {
		t.Fatalf("labels %v %v %v", n["menu"].Label, n["a"].Label, n["b"].Label)
	}
	if n["menu"].LabelIn("ru") != "Тема" || n["menu"].LabelIn("de") != "" {
		t.Fatalf("LabelIn")
	}
	_, err := LoadConfig(strings.NewReader(okConfig+strings.Replace(flows, "label: Support", "label: [Support]", 1)), "sb.yaml")
	if err == nil || !strings.Contains(err.Error(), "flows.f.nodes.a.label") {
		t.Fatalf("a list as label: %v", err)
	}
}
