package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestDispositions(t *testing.T) {
	if got := loadConfigString(t, okConfig).Dispositions; !reflect.DeepEqual(got, DefaultDispositions) {
		t.Errorf("default: %v", got)
	}
	if got := loadConfigString(t, okConfig+"dispositions: [sale, no-sale, wrong.number]\n").Dispositions; !reflect.DeepEqual(got, []string{"sale", "no-sale", "wrong.number"}) {
		t.Errorf("listed: %v", got)
	}
	if got := loadConfigString(t, okConfig+"dispositions:\n").Dispositions; !reflect.DeepEqual(got, DefaultDispositions) {
		t.Errorf("null: %v", got)
	}
	tests := []struct{ name, in, want string }{
		{"empty", "dispositions: []\n", "sb.yaml:12: dispositions: want 1 to 100 wrap-up codes, got 0"},
		{"not a list", "dispositions: resolved\n", "sb.yaml:12: dispositions: want a list"},
		{"bad code", "dispositions: [ok, \"two words\"]\n", `sb.yaml:12: dispositions[1]: "two words" is not a wrap-up code`},
		{"duplicate", "dispositions:\n  - a\n  - a\n", `sb.yaml:14: dispositions[1]: duplicate wrap-up code "a" (first at line 13)`},
		{"not a string", "dispositions: [{a: 1}]\n", "sb.yaml:12: dispositions[0]: want a string"},
		{"twice", "dispositions: [a]\ndispositions: [b]\n", `duplicate key "dispositions"`},
	}
	for _, tt := range tests {
		_, err := LoadConfig(strings.NewReader(okConfig+tt.in), "sb.yaml")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
}
