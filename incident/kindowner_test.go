package incident

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestKindLiteralsStayWithTheirOwner parses every non-test Go file of the module and fails when an event
// kind is spelled as a string literal outside the package that declares it: compared with a kind, in a
// switch on a kind, as a Kind field, in a list or map of kinds, or passed to a function about kinds. A kind
// retyped by hand is how a reader silently stops matching its writer. It fails too when two packages
// declare the same kind, or a package re-exports another's kind constant.
func TestKindLiteralsStayWithTheirOwner(t *testing.T) {
	root := moduleRoot(t)
	files := map[string][]*ast.File{} // by package directory, relative to root
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			// store is below every owner of kinds (incident imports it, never the reverse): it stores
			// whatever kind it is given, and its engine-neutral test suite's kinds are only sample data.
			if rel, _ := filepath.Rel(root, path); filepath.ToSlash(rel) == "store" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		dir, _ := filepath.Rel(root, filepath.Dir(path))
		files[filepath.ToSlash(dir)] = append(files[filepath.ToSlash(dir)], f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	owners, problems := kindOwners(fset, files)
	for _, p := range problems {
		t.Error(p)
	}
	if owners[KindHostDone] != "incident" || len(owners) < 30 {
		t.Fatalf("found %d kinds, host_done owned by %q: the scan is broken", len(owners), owners[KindHostDone])
	}
	for dir, fs := range files {
		for _, f := range fs {
			for _, p := range strayKinds(fset, f, dir, owners) {
				t.Error(p)
			}
		}
	}
}

// The checker itself: a stray kind in each of the shapes it looks for is caught, and the kind's own
// package and unrelated literals are left alone.
func TestStrayKindsFindsEachShape(t *testing.T) {
	const src = `package other

func f(ev Event, k string) {
	if ev.Kind == "halt" {}
	switch ev.Kind {
	case "note":
	}
	_ = Draft{Kind: "star"}
	_ = Query{Kinds: []string{"hide"}}
	var keyKinds = map[string]bool{"role": true}
	kind := "tick"
	_ = kinds("skip")
	_, _ = keyKinds, kind
	_ = Action{Text: "halt"}   // not about kinds
	_ = Help("status")          // neither
	if k == "note" {}           // k is not named for a kind
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "other.go", src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string]string{}
	for _, k := range []string{KindHalt, KindNote, KindStar, KindHide, KindRole, KindTick, KindSkip, KindStatus} {
		owners[k] = "incident"
	}
	got := strayKinds(fset, f, "other", owners)
	if len(got) != 7 {
		t.Errorf("found %d strays, want 7:\n%s", len(got), strings.Join(got, "\n"))
	}
	if got := strayKinds(fset, f, "incident", owners); len(got) != 0 {
		t.Errorf("the owner's own literals were flagged: %v", got)
	}
}

func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// kindOwners maps every kind to the package directory that declares it: a constant named Kind... whose
// value is a string literal.
func kindOwners(fset *token.FileSet, files map[string][]*ast.File) (map[string]string, []string) {
	owners := map[string]string{}
	var problems []string
	for dir, fs := range files {
		for _, f := range fs {
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.CONST {
					continue
				}
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if !strings.HasPrefix(name.Name, "Kind") || i >= len(vs.Values) {
							continue
						}
						switch v := vs.Values[i].(type) {
						case *ast.BasicLit:
							kind, err := strconv.Unquote(v.Value)
							if err != nil || v.Kind != token.STRING {
								continue
							}
							if prev, dup := owners[kind]; dup && prev != dir {
								problems = append(problems, fmt.Sprintf("%s: kind %q is declared in %s and in %s: one package owns it", fset.Position(v.Pos()), kind, prev, dir))
							}
							owners[kind] = dir
						case *ast.SelectorExpr:
							if strings.HasPrefix(v.Sel.Name, "Kind") {
								problems = append(problems, fmt.Sprintf("%s: %s re-exports %s: use the owner's constant", fset.Position(v.Pos()), name.Name, exprName(v)))
							}
						}
					}
				}
			}
		}
	}
	return owners, problems
}

// strayKinds lists the kind literals of f (in package directory dir) that are used as kinds outside their
// owner.
func strayKinds(fset *token.FileSet, f *ast.File, dir string, owners map[string]string) []string {
	var out []string
	var stack []ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		stack = append(stack, n)
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return true
		}
		owner, isKind := owners[s]
		if !isKind || owner == dir || !usedAsKind(stack) {
			return true
		}
		out = append(out, fmt.Sprintf("%s: %q is a kind owned by %s: use its constant", fset.Position(lit.Pos()), s, owner))
		return true
	})
	return out
}

// usedAsKind reports whether the literal on top of stack (its ancestors below it) stands for an event kind.
func usedAsKind(stack []ast.Node) bool {
	lit := stack[len(stack)-1]
	for i := len(stack) - 2; i >= 0; i-- {
		switch p := stack[i].(type) {
		case *ast.BinaryExpr:
			if p.Op != token.EQL && p.Op != token.NEQ {
				return false
			}
			other := p.X
			if other == lit {
				other = p.Y
			}
			return namedKind(exprName(other))
		case *ast.CaseClause:
			if i >= 2 {
				if sw, ok := stack[i-2].(*ast.SwitchStmt); ok && sw.Tag != nil {
					return namedKind(exprName(sw.Tag))
				}
			}
			return false
		case *ast.KeyValueExpr:
			if key, ok := p.Key.(*ast.Ident); ok && p.Value == lit && namedKind(key.Name) {
				return true
			}
			if p.Key != lit && p.Value != lit {
				return false
			}
			lit = p // a map's key or value: look at the literal it is in
		case *ast.CompositeLit:
			lit = p // an element: look at where the list or map goes
		case *ast.CallExpr:
			return namedKind(exprName(p.Fun))
		case *ast.AssignStmt:
			for _, l := range p.Lhs {
				if namedKind(exprName(l)) {
					return true
				}
			}
			return false
		case *ast.ValueSpec:
			for _, name := range p.Names {
				if namedKind(name.Name) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

func namedKind(name string) bool { return strings.Contains(strings.ToLower(name), "kind") }

func exprName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.CallExpr:
		return exprName(e.Fun)
	case *ast.IndexExpr:
		return exprName(e.X)
	case *ast.ParenExpr:
		return exprName(e.X)
	}
	return ""
}
