package runbooks

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// builtinIDs are the runbooks the binary must ship.
var builtinIDs = []string{
	"blue-green-switch", "check-integrity", "free-disk", "isolate-host", "restart-service",
	"restore-database", "revert-config", "scale-service",
}

func TestBuiltinLibrary(t *testing.T) {
	lib, err := LoadLibrary(nil)
	if err != nil {
		t.Fatalf("the built-in runbooks must load clean:\n%v", err)
	}
	var ids []string
	for _, rb := range lib.List() {
		ids = append(ids, rb.ID)
		if rb.Source != "builtin:"+rb.ID+".toml" {
			t.Errorf("%s: source %q, want builtin:%s.toml", rb.ID, rb.Source, rb.ID)
		}
		if rb.Raw == "" || rb.Title == "" || len(rb.Symptoms) == 0 || len(rb.Tags) == 0 {
			t.Errorf("%s: raw text, title, symptoms and tags are all required of a built-in", rb.ID)
		}
		scripts, manual := 0, 0
		for _, s := range rb.Steps {
			if !s.IsScript() {
				manual++
				if s.Details == "" {
					t.Errorf("%s/%s: a manual step needs details", rb.ID, s.ID)
				}
				continue
			}
			scripts++
			if !strings.HasPrefix(s.Script, "set -euo pipefail\n") {
				t.Errorf("%s/%s: scripts start with set -euo pipefail", rb.ID, s.ID)
			}
			readOnly := strings.HasPrefix(s.Details, "Read-only") || strings.Contains(s.Details, ". Read-only")
			if s.DryRun == "" && !strings.Contains(s.Script, DryRunEnv) && !readOnly {
				t.Errorf("%s/%s: no dry_run, the script ignores %s and is not marked Read-only", rb.ID, s.ID, DryRunEnv)
			}
		}
		if scripts == 0 || manual == 0 {
			t.Errorf("%s: has %d script and %d manual steps, want both", rb.ID, scripts, manual)
		}
	}
	if strings.Join(ids, " ") != strings.Join(builtinIDs, " ") {
		t.Errorf("built-ins = %v, want %v", ids, builtinIDs)
	}
}

func TestLibraryOverridesByID(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeFiles(t, a, map[string]string{
		"mine.toml":          "id = \"free-disk\"\ntitle = \"Ours, from a\"\n[[steps]]\nid = \"s\"\ntitle = \"S\"\n",
		"nested/extra.toml":  "id = \"extra\"\ntitle = \"Extra\"\n[[steps]]\nid = \"s\"\ntitle = \"S\"\n",
		"notes.md":           "not a runbook",
		"nested/ignored.txt": "id = 1",
	})
	writeFiles(t, b, map[string]string{
		"again.toml": "id = \"extra\"\ntitle = \"Extra, from b\"\n[[steps]]\nid = \"s\"\ntitle = \"S\"\n",
	})
	lib, err := LoadLibrary([]string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	fd, err := lib.Get("free-disk")
	if err != nil {
		t.Fatal(err)
	}
	if fd.Title != "Ours, from a" || fd.Source != filepath.Join(a, "mine.toml") || fd.Overrides != "builtin:free-disk.toml" {
		t.Errorf("free-disk not overridden by the directory: %q from %s overriding %q", fd.Title, fd.Source, fd.Overrides)
	}
	ex, err := lib.Get("extra")
	if err != nil {
		t.Fatal(err)
	}
	if ex.Title != "Extra, from b" || ex.Overrides != filepath.Join(a, "nested", "extra.toml") {
		t.Errorf("a later directory must override an earlier one: got %q overriding %q", ex.Title, ex.Overrides)
	}
	if n := len(lib.List()); n != len(builtinIDs)+1 {
		t.Errorf("library has %d runbooks, want %d", n, len(builtinIDs)+1)
	}
	if _, err := lib.Get("nope"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "firebreak runbook list") {
		t.Errorf("Get(nope) = %v, want ErrNotFound saying how to list", err)
	}
}

func TestLibraryProblems(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.toml":       "id = \"dup\"\ntitle = \"A\"\n[[steps]]\nid = \"s\"\ntitle = \"S\"\n",
		"b/dup.toml":   "# same id\nid = \"dup\"\ntitle = \"B\"\n[[steps]]\nid = \"s\"\ntitle = \"S\"\n",
		"broken.toml":  "id = \"broken\"\ntitle = \"Broken\"\n[[steps]]\nid = \"s\"\ntitle = \"S\"\nrolback = \"x\"\n",
		"syntax.toml":  "id = \"syntax\ntitle = \"x\"\n",
		"restart.toml": "id = \"restart-service\"\ntitle = \"Bad override\"\n[[steps]]\ntitle = \"S\"\n",
	})
	lib, err := LoadLibrary([]string{dir})
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("want Problems, got %T %v", err, err)
	}
	want := []string{
		filepath.Join(dir, "b", "dup.toml") + `:2:6: duplicate runbook id "dup", already used by ` + filepath.Join(dir, "a.toml") + ":1",
		filepath.Join(dir, "broken.toml") + `:6:1: unknown key "rolback" in [steps]: did you mean "rollback"?`,
		filepath.Join(dir, "restart.toml") + ":3:1: step #1 has no id",
		filepath.Join(dir, "syntax.toml") + ":1:",
	}
	got := strings.Split(err.Error(), "\n")
	if len(got) != len(want) {
		t.Fatalf("want %d problems, got:\n%v", len(want), err)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d:\n got %s\nwant %s...", i, got[i], want[i])
		}
	}
	if lib == nil {
		t.Fatal("a library with some bad files must still hold the good runbooks")
	}
	if rb, err := lib.Get("dup"); err != nil || rb.Title != "A" {
		t.Errorf("Get(dup) = %v, %v: want the first file", rb, err)
	}
	if rb, err := lib.Get("restart-service"); err != nil || rb.Source != "builtin:restart-service.toml" {
		t.Errorf("a broken override must leave the built-in in place: %v, %v", rb, err)
	}
	for _, id := range []string{"broken", "syntax"} {
		if _, err := lib.Get(id); err == nil {
			t.Errorf("runbook %s with problems is in the library", id)
		}
	}
}

func TestLibraryUnusableInput(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"file.toml": "id = \"x\"\n"})
	cases := []struct {
		name string
		dirs []string
		want string
	}{
		{"missing directory", []string{filepath.Join(dir, "nope")}, "runbook directory " + filepath.Join(dir, "nope") + " does not exist: create it or remove it from the configuration"},
		{"a file, not a directory", []string{filepath.Join(dir, "file.toml")}, "is not a directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lib, err := LoadLibrary(c.dirs)
			var ps Problems
			if err == nil || errors.As(err, &ps) || lib != nil {
				t.Fatalf("want an unusable-input error and no library, got %v, %v", lib, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}

func TestCheckPaths(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"one.toml":  "id = \"one\"\ntitle = \"One\"\n[[steps]]\nid = \"s\"\ntitle = \"S\"\n",
		"README.md": "# not a runbook",
	})
	books, ps, err := CheckPaths([]string{dir, filepath.Join(dir, "one.toml")})
	if err != nil || len(ps) != 0 || len(books) != 2 {
		t.Fatalf("CheckPaths = %d runbooks, %v, %v", len(books), ps, err)
	}
	for _, bad := range []string{filepath.Join(dir, "README.md"), filepath.Join(dir, "missing.toml")} {
		if _, _, err := CheckPaths([]string{bad}); err == nil {
			t.Errorf("CheckPaths(%s) must be unusable input", bad)
		} else if errors.Is(err, fs.ErrNotExist) != strings.HasSuffix(bad, "missing.toml") {
			t.Errorf("CheckPaths(%s): %v", bad, err)
		}
	}
}
