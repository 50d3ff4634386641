package web

import (
	"encoding/json"
	"reflect"
	"testing"

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
