package web

import (
	"encoding/json"
	"reflect"
	"testing"

	"switchboard/acd"
	"switchboard/ivr"
)

// TestIVRLabels: a path's steps read as the menu names them, in the reader's language.
func TestIVRLabels(t *testing.T) {
	cfg := IVR{DIDs: map[string]string{"5554000": "main"}, Flows: map[string]*ivr.Flow{"main": {Name: "main", Nodes: map[string]*ivr.Node{
		"language": {ID: "language", Kind: ivr.KindLanguage, Label: map[string]string{"en": "Language", "ru": "Язык"},
			Languages: map[string]ivr.Language{"1": {Code: "en"}, "2": {Code: "ru"}, "3": {Code: "de"}}},
		"topic":   {ID: "topic", Kind: ivr.KindMenu, Label: map[string]string{"": "Topic", "ru": "Тема"}, Choices: map[string]string{"1": "support", "2": "billing"}},
		"support": {ID: "support", Kind: ivr.KindRoute, Label: map[string]string{"en": "Support", "ru": "Поддержка"}},
		"billing": {ID: "billing", Kind: ivr.KindRoute},
	}}}}
	b, _ := json.Marshal(ivrLabels(cfg, "ru"))
	var got struct {
		DIDs  map[string]string                  `json:"dids"`
		Flows map[string]map[string]ivrNodeLabel `json:"flows"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]ivrNodeLabel{
		"language": {Label: "Язык", Choices: map[string]string{"1": "English", "2": "Русский", "3": "de"}},
		"topic":    {Label: "Тема", Choices: map[string]string{"1": "Поддержка", "2": "billing"}},
		"support":  {Label: "Поддержка"},
		"billing":  {Label: "billing"},
	}
	if got.DIDs["5554000"] != "main" || !reflect.DeepEqual(got.Flows["main"], want) {
		t.Fatalf("got %s", b)
	}
	if en := ivrLabels(cfg, "en")["flows"].(map[string]map[string]ivrNodeLabel)["main"]["topic"]; en.Label != "Topic" || en.Choices["1"] != "Support" {
		t.Fatalf("en: %+v", en)
	}
}

// TestIVRChoices: the wallboard's waiting calls show the choices with the menus' labels, and
// never the digits of a sensitive collect node, even if a path carried them.
func TestIVRChoices(t *testing.T) {
	cfg := IVR{DIDs: map[string]string{"5554000": "main"}, Flows: map[string]*ivr.Flow{"main": {Name: "main", Nodes: map[string]*ivr.Node{
		"language": {ID: "language", Kind: ivr.KindLanguage, Label: map[string]string{"en": "Language", "ru": "Язык"},
			Languages: map[string]ivr.Language{"1": {Code: "en"}, "2": {Code: "ru"}}},
		"topic":   {ID: "topic", Kind: ivr.KindMenu, Label: map[string]string{"": "Topic", "ru": "Тема"}, Choices: map[string]string{"1": "support", "2": "pin"}},
		"support": {ID: "support", Kind: ivr.KindRoute, Label: map[string]string{"en": "Support", "ru": "Поддержка"}},
		"pin":     {ID: "pin", Kind: ivr.KindCollect, Sensitive: true, Label: map[string]string{"": "PIN"}},
		"account": {ID: "account", Kind: ivr.KindCollect, Label: map[string]string{"": "Account"}},
	}}}}
	steps := []acd.IVRStep{{Node: "language", Input: "2"}, {Node: "topic", Input: "2"}, {Node: "pin", Input: "1234"},
		{Node: "account", Input: "77"}, {Node: "support"}}
	if got, want := ivrChoices(cfg, "5554000", steps, "ru"), "Язык: Русский → Тема: PIN → PIN: **** → Account: 77"; got != want {
		t.Errorf("ru: %q, want %q", got, want)
	}
	// Without the flow (a DID the config does not know): the node ids and keys.
	if got, want := ivrChoices(cfg, "5559999", steps[:2], "en"), "language: 2 → topic: 2"; got != want {
		t.Errorf("unknown DID: %q, want %q", got, want)
	}
	if got := ivrChoices(IVR{}, "5554000", steps[:1], "en"); got != "language: 2" {
		t.Errorf("no IVR: %q", got)
	}
}
