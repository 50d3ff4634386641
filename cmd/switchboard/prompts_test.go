package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"switchboard/internal/config"
	"switchboard/ivr"
)

// soundRef is a sound:<name> item in Go source (in a string or a comment giving an example):
// the prompts the router and the daemon play on their own.
var soundRef = regexp.MustCompile(`\bsound:([A-Za-z0-9_/-]+)`)

// TestPromptsExistInBothLanguages: every sound the router, the IVR and the daemon play by
// name, and every one the demo's configuration names, is in Debian's asterisk-core-sounds-en
// and -ru packages. (deploy/switchboard.example.yaml names the site's own recordings, such as
// closed-prompt, on purpose: it is not checked here.) A missing one is silence for the caller and
// "does not exist in any format" in Asterisk's log (an-error-has-occurred is in neither,
// please-try-call-later not in Russian).
func TestPromptsExistInBothLanguages(t *testing.T) {
	const root = "/usr/share/asterisk/sounds"
	if _, err := os.Stat(root); err != nil {
		t.Skip("no /usr/share/asterisk/sounds (internal/tools/deps.sh installs the sound packages)")
	}
	used := map[string][]string{} // sound -> where
	add := func(name, where string) {
		if name != "" && !slices.Contains(used[name], where) {
			used[name] = append(used[name], where)
		}
	}
	for _, dir := range []string{"../../internal/router", "../../ivr", "."} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range soundRef.FindAllSubmatch(b, -1) {
				add(string(m[1]), f)
			}
		}
	}
	for _, src := range []struct {
		name string
		data []byte
	}{{"demo.yaml", demoYAML}} {
		cfg, err := config.LoadConfig(bytes.NewReader(src.data), src.name)
		if err != nil {
			t.Fatal(err)
		}
		add(cfg.IVR.SecurePrompt, src.name+" ivr.secure_prompt")
		for q, m := range cfg.Media {
			add(m.Recording.Notice, src.name+" queue "+q+" recording notice")
		}
		for h, hours := range cfg.Hours {
			if msg := hours.Closed.Message; !strings.Contains(msg, ":") {
				add(msg, src.name+" hours "+h+" closed message")
			}
		}
		for name, f := range cfg.Flows {
			for id, node := range f.Nodes {
				for _, ms := range [][]ivr.Media{node.Prompt, node.Invalid, node.NoInput, node.Message, node.NumberPrompt, node.NumberRefused} {
					for _, m := range ms {
						if m.Kind == ivr.MediaSound {
							add(m.Value, src.name+" flow "+name+" node "+id)
						}
					}
				}
			}
		}
	}
	if len(used) < 15 {
		t.Fatalf("found only %d sound names; the scan is broken", len(used))
	}
	for name, where := range used {
		for _, lang := range []string{"en", "ru"} {
			if m, _ := filepath.Glob(filepath.Join(root, lang, name+".*")); len(m) == 0 {
				t.Errorf("sound %q is not in sounds/%s (used in %s)", name, lang, strings.Join(where, ", "))
			}
		}
	}
}
