package archtest

import (
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "switchboard"

type layer string

const (
	core        layer = "core"
	adapter     layer = "adapter"
	wiring      layer = "wiring"
	testSupport layer = "test support"
)

// layerOf says which layer a package of the module belongs to. A new package under internal/
// is an adapter unless it is named here.
func layerOf(pkg string) layer {
	top := strings.SplitN(pkg, "/", 2)[0]
	switch {
	case top == "acd" || top == "ivr" || top == "recording" || top == "crm":
		return core
	case pkg == "internal/router" || pkg == "internal/account" || pkg == "internal/inbox":
		return core
	case top == "cmd" || pkg == "internal/loadtest":
		return wiring
	case pkg == "internal/router/routertest" || pkg == "internal/pgcluster" ||
		pkg == "internal/pgtest" || pkg == "internal/archtest" || pkg == "internal/tools" ||
		pkg == "internal/testkit":
		return testSupport
	}
	return adapter
}

// thirdParty lists, per package, the modules outside the standard library it may import
// besides the cores; a package not listed may import any.
var thirdParty = map[string][]string{
	"acd":          {},
	"acd/sim":      {},
	"ivr":          {},
	"ivr/callback": {},
	"recording":    {},
	"crm":          {},
	"internal/web": {},
}

type pkgInfo struct {
	path    string
	imports []string // the module's own packages, without the module prefix
	outside []string // neither the standard library nor the module
}

func modulePackages(t *testing.T) []pkgInfo {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	var pkgs []pkgInfo
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
			return filepath.SkipDir
		}
		bp, err := build.Default.ImportDir(path, 0)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(root, path)
		p := pkgInfo{path: filepath.ToSlash(rel)}
		for _, imp := range bp.Imports {
			switch {
			case imp == module || strings.HasPrefix(imp, module+"/"):
				p.imports = append(p.imports, strings.TrimPrefix(imp, module+"/"))
			case strings.Contains(strings.SplitN(imp, "/", 2)[0], "."):
				p.outside = append(p.outside, imp)
			}
		}
		pkgs = append(pkgs, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].path < pkgs[j].path })
	return pkgs
}

func within(pkg, parent string) bool { return pkg == parent || strings.HasPrefix(pkg, parent+"/") }

// violations lists every import that breaks the layers: cores import only cores; an adapter
// imports only cores and its own subpackages; a package with a third-party list imports nothing
// else from outside the standard library.
func violations(pkgs []pkgInfo) []string {
	var out []string
	for _, p := range pkgs {
		from := layerOf(p.path)
		for _, imp := range p.imports {
			to := layerOf(imp)
			var why string
			switch {
			case from == core && to != core:
				why = "a core imports only cores"
			case from == adapter && to != core && !within(imp, p.path):
				why = "an adapter imports only cores and its own subpackages; cmd/ wires adapters together"
			}
			if why != "" {
				out = append(out, fmt.Sprintf("%s (%s) imports %s (%s): %s", p.path, from, imp, to, why))
			}
		}
		allowed, listed := thirdParty[p.path]
		if !listed {
			continue
		}
		for _, imp := range p.outside {
			if !slices.ContainsFunc(allowed, func(a string) bool { return within(imp, a) }) {
				out = append(out, fmt.Sprintf("%s imports %s: it may import only the standard library, the cores and %v", p.path, imp, allowed))
			}
		}
	}
	return out
}

func TestLayers(t *testing.T) {
	pkgs := modulePackages(t)
	if len(pkgs) < 10 {
		t.Fatalf("found only %d packages; is the module root right?", len(pkgs))
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
}

func TestViolationsFound(t *testing.T) {
	bad := []pkgInfo{
		{path: "internal/web", imports: []string{"internal/store", "acd"}},
		{path: "internal/screenpop", imports: []string{"internal/router", "internal/web/assets"}},
		{path: "acd", imports: []string{"internal/store"}, outside: []string{"gopkg.in/yaml.v3"}},
		{path: "internal/store", imports: []string{"internal/store/migrate", "ivr/callback"}},
		{path: "cmd/switchboard", imports: []string{"internal/web", "internal/store"}},
		{path: "internal/web", outside: []string{"golang.org/x/crypto/bcrypt"}},
	}
	got := violations(bad)
	want := []string{
		"internal/web (adapter) imports internal/store (adapter)",
		"internal/screenpop (adapter) imports internal/web/assets (adapter)",
		"acd (core) imports internal/store (adapter)",
		"acd imports gopkg.in/yaml.v3",
		"internal/web imports golang.org/x/crypto/bcrypt",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d violations, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("violation %d = %q, want it to start with %q", i, got[i], want[i])
		}
	}
}
