package archtest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The router and the commands stay small enough to read: no function over 80 lines in
// internal/router (its test support too) or cmd/, and in the router package itself no struct
// over 12 fields and no type over 30 methods (tests excluded).
const (
	maxFields   = 12
	maxMethods  = 30
	maxFuncLine = 80
)

var sizeChecked = []string{"internal/router", "cmd"}

// sizes lists what is too big in the Go files of one directory; types only if types is set.
func sizes(fset *token.FileSet, files []*ast.File, types bool) []string {
	var out []string
	methods := map[string]int{}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				lines := fset.Position(d.End()).Line - fset.Position(d.Pos()).Line + 1
				if lines > maxFuncLine {
					out = append(out, fmt.Sprintf("%s: func %s has %d lines (at most %d)", fset.Position(d.Pos()), d.Name.Name, lines, maxFuncLine))
				}
				if d.Recv != nil && len(d.Recv.List) == 1 {
					typ := d.Recv.List[0].Type
					if s, ok := typ.(*ast.StarExpr); ok {
						typ = s.X
					}
					if ix, ok := typ.(*ast.IndexExpr); ok {
						typ = ix.X
					}
					if id, ok := typ.(*ast.Ident); ok {
						methods[id.Name]++
					}
				}
			case *ast.GenDecl:
				if !types {
					continue
				}
				for _, spec := range d.Specs {
					ts, ok := spec.(*ast.TypeSpec)
					if !ok {
						continue
					}
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						continue
					}
					n := 0
					for _, fl := range st.Fields.List {
						n += max(1, len(fl.Names))
					}
					if n > maxFields {
						out = append(out, fmt.Sprintf("%s: struct %s has %d fields (at most %d)", fset.Position(ts.Pos()), ts.Name.Name, n, maxFields))
					}
				}
			}
		}
	}
	for name, n := range methods {
		if types && n > maxMethods {
			out = append(out, fmt.Sprintf("type %s has %d methods (at most %d)", name, n, maxMethods))
		}
	}
	sort.Strings(out)
	return out
}

func TestSizes(t *testing.T) {
	for _, top := range sizeChecked {
		root := filepath.Join("..", "..", top)
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			fset := token.NewFileSet()
			pkgs, err := parser.ParseDir(fset, path, func(fi os.FileInfo) bool {
				return !strings.HasSuffix(fi.Name(), "_test.go")
			}, 0)
			if err != nil {
				return err
			}
			for _, p := range pkgs {
				var files []*ast.File
				for _, f := range p.Files {
					files = append(files, f)
				}
				types := filepath.ToSlash(path) == "../../internal/router"
				for _, v := range sizes(fset, files, types) {
					t.Error(v)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestSizesFound(t *testing.T) {
	var b strings.Builder
	b.WriteString("package p\n\ntype big struct {\n")
	for i := range maxFields + 1 {
		fmt.Fprintf(&b, "\tf%d int\n", i)
	}
	b.WriteString("}\n\ntype small struct{ a, b int }\n\nfunc long() {\n")
	for range maxFuncLine {
		b.WriteString("\t_ = 1\n")
	}
	b.WriteString("}\n")
	for i := range maxMethods + 1 {
		fmt.Fprintf(&b, "func (s *small) m%d() {}\n", i)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", b.String(), 0)
	if err != nil {
		t.Fatal(err)
	}
	got := sizes(fset, []*ast.File{f}, true)
	want := []string{"struct big has 13 fields", "func long has 82 lines", "type small has 31 methods"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %d findings", got, len(want))
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || strings.Contains(g, w)
		}
		if !found {
			t.Errorf("no finding %q in %q", w, got)
		}
	}
}
