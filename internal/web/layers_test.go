package web

import (
	"go/build"
	"strings"
	"testing"
)

// TestImportsOnlyCores: the web side is an adapter. Of Switchboard's packages it imports only
// the cores (acd, crm, ivr, recording, internal/account) and its own subpackages, never another
// adapter (the store, the config, the screen pop): cmd/switchboard wires those in.
func TestImportsOnlyCores(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	cores := []string{"switchboard/acd", "switchboard/crm", "switchboard/ivr", "switchboard/recording",
		"switchboard/internal/account", "switchboard/internal/web"}
	for _, imp := range pkg.Imports {
		if imp != "switchboard" && !strings.HasPrefix(imp, "switchboard/") {
			continue
		}
		ok := false
		for _, c := range cores {
			ok = ok || imp == c || strings.HasPrefix(imp, c+"/")
		}
		if !ok {
			t.Errorf("internal/web imports %s, which is not a core", imp)
		}
	}
}
