package lint

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// flawed has ShellCheck findings at known places in each string form TOML has (a basic string, a literal
// multi-line string whose text starts on the next line, a multi-line string whose text starts right after
// its quotes), and a format problem.
const flawed = `id = "flawed"
title = "Flawed"

[[steps]]
id = "one"
title = "One"
script = "echo $1 foo"
check = '''
x=1
cd /tmp
'''
verify = """  [ $v == 1 ]"""
rolback = "typo"
`

func TestLintMapsPositions(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "flawed.toml")
	if err := os.WriteFile(p, []byte(flawed), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Paths(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.String())
	}
	want := []string{
		p + `:7:16: info: Double quote to prevent globbing and word splitting. (SC2086) [flawed/one/script]`,
		p + `:9:1: warning: x appears unused. Verify use (or export if used externally). (SC2034) [flawed/one/check]`,
		p + `:10:1: warning: Use 'cd ... || exit' or 'cd ... || return' in case cd fails. (SC2164) [flawed/one/check]`,
		p + `:12:17: warning: v is referenced but not assigned. (SC2154) [flawed/one/verify]`,
		p + `:13:1: error: unknown key "rolback" in [steps]: did you mean "rollback"? [flawed/one]`,
	}
	if len(got) < len(want) {
		t.Fatalf("want at least %d findings, got:\n%s", len(want), strings.Join(got, "\n"))
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			if strings.HasPrefix(g, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("missing finding %q in:\n%s", w, strings.Join(got, "\n"))
		}
	}
	if r.Clean() || r.Files != 1 || r.Runbooks != 1 || r.Fragments != 3 {
		t.Errorf("report: clean %v, %d files, %d runbooks, %d fragments", r.Clean(), r.Files, r.Runbooks, r.Fragments)
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"file":`, `"line":7`, `"column":16`, `"severity":"info"`, `"code":"SC2086"`, `"runbook":"flawed"`, `"step":"one"`, `"fragment":"script"`} {
		if !strings.Contains(string(data), k) {
			t.Errorf("JSON lacks %s: %s", k, data)
		}
	}
}

func TestLintUnusableInput(t *testing.T) {
	dir := t.TempDir()
	notToml := filepath.Join(dir, "notes.md")
	if err := os.WriteFile(notToml, []byte("# hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, paths := range [][]string{{filepath.Join(dir, "missing")}, {notToml}} {
		if r, err := Paths(context.Background(), paths); err == nil {
			t.Errorf("Paths(%v) = %+v, want an unusable-input error", paths, r)
		}
	}
	if _, err := Library(context.Background(), []string{filepath.Join(dir, "missing")}); err == nil {
		t.Error("Library with a missing directory must be unusable input")
	}
	// A syntax error is a finding (exit 1), not unusable input.
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("id = \"x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Paths(context.Background(), []string{bad})
	if err != nil || r.Clean() || !strings.HasPrefix(r.Findings[0].String(), bad+":1:") {
		t.Errorf("syntax error: %+v, %v", r, err)
	}
}

func TestLintMissingShellCheck(t *testing.T) {
	old := ShellCheck
	ShellCheck = "firebreak-no-such-shellcheck"
	defer func() { ShellCheck = old }()
	_, err := Library(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "install it") {
		t.Errorf("want an error saying to install ShellCheck, got %v", err)
	}
}

func TestLintAdHocScript(t *testing.T) {
	fs, err := Scripts(context.Background(), []Script{{Text: "#!/bin/bash\nrm -rf $DIR/\n", File: "fix.sh", Line: 1, Col: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 || fs[0].Line != 2 || fs[0].File != "fix.sh" {
		t.Errorf("findings: %+v", fs)
	}
}

// BenchmarkLintLibrary measures a lint of the whole built-in library, ShellCheck included.
func BenchmarkLintLibrary(b *testing.B) {
	for b.Loop() {
		r, err := Library(context.Background(), nil)
		if err != nil || !r.Clean() {
			b.Fatalf("%v %v", r, err)
		}
	}
}
