package main

// End-to-end tests of the runbook library and of checklists through the real binary (issue 3): runbook
// list, show and lint (the CI gate), the library's directories and overrides, and attach, tick, untick,
// skip and assign on an incident, including two people ticking at once from many processes.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// builtinRunbooks are the runbooks embedded in the binary (README "The library").
var builtinRunbooks = []string{"blue-green-switch", "check-integrity", "free-disk", "isolate-host",
	"restart-service", "restore-database", "revert-config", "scale-service"}

// rbWrite writes a file, creating its directory.
func rbWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rbLineOf is the 1-based line of the first line of content containing marker.
func rbLineOf(t *testing.T, content, marker string) int {
	t.Helper()
	for i, l := range strings.Split(content, "\n") {
		if strings.Contains(l, marker) {
			return i + 1
		}
	}
	t.Fatalf("marker %q not in the file", marker)
	return 0
}

// rbColOf is the 1-based byte column of sub in the line of content containing marker.
func rbColOf(t *testing.T, content, marker, sub string) int {
	t.Helper()
	line := strings.Split(content, "\n")[rbLineOf(t, content, marker)-1]
	i := strings.Index(line, sub)
	if i < 0 {
		t.Fatalf("%q not in line %q", sub, line)
	}
	return i + 1
}

// rbListItem is one entry of `runbook list --json`.
type rbListItem struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Source string `json:"source"`
	Steps  int    `json:"steps"`
}

func (e *fbEnv) runbookList() []rbListItem {
	e.t.Helper()
	out := e.ok("runbook", "list", "--json")
	var items []rbListItem
	if err := json.Unmarshal([]byte(out), &items); err != nil {
		e.t.Fatalf("runbook list --json: %v\n%s", err, out)
	}
	return items
}

// rbShowJSON is what `runbook show --json` says.
type rbShowJSON struct {
	ID     string            `json:"id"`
	Title  string            `json:"title"`
	Source string            `json:"source"`
	Vars   map[string]string `json:"vars"`
	Steps  []rbStepJSON      `json:"steps"`
}

type rbStepJSON struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Details  string `json:"details"`
	Script   string `json:"script"`
	Check    string `json:"check"`
	DryRun   string `json:"dry_run"`
	Verify   string `json:"verify"`
	Rollback string `json:"rollback"`
}

func (e *fbEnv) runbookShow(id string) rbShowJSON {
	e.t.Helper()
	out := e.ok("runbook", "show", id, "--json")
	var rb rbShowJSON
	if err := json.Unmarshal([]byte(out), &rb); err != nil {
		e.t.Fatalf("runbook show %s --json: %v\n%s", id, err, out)
	}
	return rb
}

// lintJSON is `runbook lint --json`.
type lintJSON struct {
	Files     int `json:"files"`
	Runbooks  int `json:"runbooks"`
	Fragments int `json:"fragments"`
	Findings  []struct {
		File     string `json:"file"`
		Line     int    `json:"line"`
		Column   int    `json:"column"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
		Code     string `json:"code"`
		Runbook  string `json:"runbook"`
		Step     string `json:"step"`
		Fragment string `json:"fragment"`
	} `json:"findings"`
}

func TestE2ERunbookList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := e.ok("runbook", "list")
	items := e.runbookList()
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ID)
		if it.Source != "builtin:"+it.ID+".toml" || it.Steps < 2 || it.Title == "" {
			t.Errorf("runbook list --json: %+v, want a built-in source, a title and steps", it)
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(ids)), builtinRunbooks) {
		t.Fatalf("runbook list --json ids %v, want the eight built-ins %v", ids, builtinRunbooks)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(items) {
		t.Fatalf("runbook list printed %d lines, want %d:\n%s", len(lines), len(items), out)
	}
	lineRE := regexp.MustCompile(`^(\S+)\s+(\S.*)$`)
	for i, l := range lines {
		m := lineRE.FindStringSubmatch(l)
		if m == nil || m[1] != items[i].ID || strings.TrimSpace(m[2]) != items[i].Title {
			t.Errorf("runbook list line %d %q, want id %q then title %q", i+1, l, items[i].ID, items[i].Title)
		}
	}
}

func TestE2ERunbookShow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, id := range builtinRunbooks {
		rb := e.runbookShow(id)
		if rb.ID != id || rb.Title == "" || rb.Source != "builtin:"+id+".toml" || len(rb.Steps) < 2 || len(rb.Vars) == 0 {
			t.Errorf("runbook show %s --json: id %q title %q source %q, %d steps, %d vars", id, rb.ID, rb.Title, rb.Source, len(rb.Steps), len(rb.Vars))
		}
		text := e.ok("runbook", "show", id)
		if !strings.HasPrefix(text, id+": "+rb.Title+"\n") || !strings.Contains(text, "\nsource: builtin:"+id+".toml\n") {
			t.Errorf("runbook show %s starts %q, want the id, title and source", id, text[:min(len(text), 200)])
		}
		scripts := 0
		for i, st := range rb.Steps {
			kind := "manual"
			if st.Script != "" {
				kind = "script"
				scripts++
				// The script's first line is shown in the text form.
				first := strings.SplitN(strings.TrimSpace(st.Script), "\n", 2)[0]
				if !strings.Contains(text, "   | "+first) {
					t.Errorf("runbook show %s does not show %s's script line %q", id, st.ID, first)
				}
			}
			if want := fmt.Sprintf("\n%d. [%s] %s: %s\n", i+1, kind, st.ID, st.Title); !strings.Contains(text, want) {
				t.Errorf("runbook show %s lacks %q", id, want)
			}
		}
		if scripts == 0 {
			t.Errorf("built-in %s has no script step", id)
		}
	}
	// revert-config: the step with a rollback shows it in both forms.
	rb := e.runbookShow("revert-config")
	if i := slices.IndexFunc(rb.Steps, func(s rbStepJSON) bool { return s.ID == "restore" }); i < 0 || rb.Steps[i].Rollback == "" || rb.Steps[i].Check == "" || rb.Steps[i].DryRun == "" || rb.Steps[i].Verify == "" {
		t.Errorf("revert-config/restore lacks check, dry_run, verify or rollback in show --json")
	}

	for _, args := range [][]string{{"runbook", "show", "no-such-runbook"}, {"runbook", "show", "no-such-runbook", "--json"}} {
		stdout, stderr, code := e.fb(args...)
		wantError(t, strings.Join(args, " "), stdout, stderr, code, 2, "no-such-runbook")
	}
	stdout, stderr, code := e.fb("runbook", "show")
	wantError(t, "runbook show without an id", stdout, stderr, code, 2, "usage")
}

// The built-in library passes its own quality gate.
func TestE2ELintBuiltinLibraryClean(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	stdout, stderr, code := e.fb("runbook", "lint")
	if code != 0 || stdout != "" {
		t.Fatalf("runbook lint of the built-in library: exit %d, want 0 and no findings\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "lint: clean: 8 runbooks") {
		t.Errorf("runbook lint stderr %q, want the clean summary for 8 runbooks", stderr)
	}
	out := e.ok("runbook", "lint", "--json")
	var r lintJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("runbook lint --json: %v\n%s", err, out)
	}
	if r.Runbooks != 8 || r.Fragments < 16 || len(r.Findings) != 0 {
		t.Errorf("runbook lint --json: %d runbooks, %d fragments, %d findings; want 8, at least 16 and none", r.Runbooks, r.Fragments, len(r.Findings))
	}
}

const lintWarnRunbook = `id = "cache-flush"
title = "Flush the cache"

[[steps]]
id = "look"
title = "Look first"
details = "Manual: check the hit rate."

[[steps]]
id = "flush"
title = "Flush it"
check = "test -f /tmp/flushed"
script = '''
set -euo pipefail
leftover=1  # MARK-UNUSED
echo "flushing"
'''
`

// A ShellCheck warning in a script is reported at its line and column in the TOML file (exit 1).
func TestE2ELintShellCheckFindingAtTOMLLine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := filepath.Join(e.work, "ci")
	file := filepath.Join(dir, "cache.toml")
	rbWrite(t, file, lintWarnRunbook)
	wantLine := rbLineOf(t, lintWarnRunbook, "MARK-UNUSED")
	wantCol := rbColOf(t, lintWarnRunbook, "MARK-UNUSED", "leftover")

	for _, path := range []string{"ci", "ci/cache.toml", file} {
		stdout, stderr, code := e.fb("runbook", "lint", path)
		if code != 1 {
			t.Errorf("runbook lint %s: exit %d, want 1 (stderr %s)", path, code, stderr)
		}
		wantFile := "ci/cache.toml"
		if path == file {
			wantFile = file
		}
		want := fmt.Sprintf("%s:%d:%d: warning: ", wantFile, wantLine, wantCol)
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], want) || !strings.Contains(lines[0], "(SC2034)") || !strings.HasSuffix(lines[0], "[cache-flush/flush/script]") {
			t.Errorf("runbook lint %s printed %q, want one finding starting %q with SC2034 [cache-flush/flush/script]", path, stdout, want)
		}
		if !strings.HasPrefix(stderr, "firebreak: ") {
			t.Errorf("runbook lint %s: stderr %q", path, stderr)
		}
	}

	stdout, _, code := e.fb("runbook", "lint", "ci", "--json")
	if code != 1 {
		t.Errorf("runbook lint --json: exit %d, want 1", code)
	}
	var r lintJSON
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("runbook lint --json: %v\n%s", err, stdout)
	}
	if r.Files != 1 || r.Runbooks != 1 || r.Fragments != 2 || len(r.Findings) != 1 {
		t.Fatalf("runbook lint --json: %+v, want 1 file, 1 runbook, 2 fragments, 1 finding", r)
	}
	f := r.Findings[0]
	if f.File != "ci/cache.toml" || f.Line != wantLine || f.Column != wantCol || f.Severity != "warning" || f.Code != "SC2034" ||
		f.Runbook != "cache-flush" || f.Step != "flush" || f.Fragment != "script" || !strings.Contains(f.Message, "leftover") {
		t.Errorf("runbook lint --json finding %+v, want ci/cache.toml:%d:%d warning SC2034 cache-flush/flush/script", f, wantLine, wantCol)
	}

	// Fixing it makes the gate pass.
	rbWrite(t, file, strings.Replace(lintWarnRunbook, "leftover=1  # MARK-UNUSED\n", "", 1))
	if stdout, stderr, code := e.fb("runbook", "lint", "ci"); code != 0 || stdout != "" {
		t.Errorf("runbook lint of the fixed runbook: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// A shell line continuation inside a TOML multi-line basic string ("""...""") is a TOML line-ending
// backslash: the decoded script has one line fewer than the file. Findings after it must still point at
// the right line of the TOML file (issue 3: "mapping ShellCheck's lines back to lines of the TOML file").
func TestE2ELintBasicStringFindingAtTOMLLine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rb := `id = "basic-strings"
title = "Scripts in basic strings"

[[steps]]
id = "fetch"
title = "Fetch with a continued command line"
script = """
set -euo pipefail
curl -fsS \
  http://127.0.0.1:8080/health
orphan=1  # MARK-LINE
"""
`
	rbWrite(t, filepath.Join(e.work, "ci", "basic.toml"), rb)
	stdout, stderr, code := e.fb("runbook", "lint", "ci")
	if code != 1 {
		t.Fatalf("runbook lint: exit %d, want 1 (stderr %s)", code, stderr)
	}
	want := fmt.Sprintf("ci/basic.toml:%d:1: warning: orphan appears unused", rbLineOf(t, rb, "MARK-LINE"))
	if !strings.HasPrefix(stdout, want) {
		t.Errorf("runbook lint printed %q, want the finding at the line of orphan=1: %q", strings.TrimSpace(stdout), want)
	}

	// The same with escapes in a one-line basic string: \" is two characters in the file, one in the script.
	one := "id = \"one-line\"\ntitle = \"One line\"\n\n[[steps]]\nid = \"s\"\ntitle = \"S\"\nscript = \"echo \\\"hi\\\"; stray=1\"  # MARK\n"
	rbWrite(t, filepath.Join(e.work, "ci2", "one.toml"), one)
	stdout, _, _ = e.fb("runbook", "lint", "ci2")
	want = fmt.Sprintf("ci2/one.toml:%d:%d: warning: stray appears unused", rbLineOf(t, one, "MARK"), rbColOf(t, one, "MARK", "stray"))
	if !strings.HasPrefix(stdout, want) {
		t.Errorf("runbook lint printed %q, want the finding at the column of stray=1: %q", strings.TrimSpace(stdout), want)
	}
}

// Every kind of malformed runbook is reported at FILE:LINE:COL, all at once, with exit 1.
func TestE2ELintMalformedRunbooks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	type want struct {
		file, marker, sub string // the finding is at the line of marker, at the column of sub ("" : just the line)
		col               int    // or at this column
		contains          []string
	}
	files := map[string]string{
		"syntax.toml": "id = \"syntax\"\ntitle = \"unterminated # MARK\n\n[[steps]]\nid = \"a\"\ntitle = \"a\"\n",
		"typo.toml": `id = "typo"
title = "A typo in a key"

[[steps]]
id = "undo"
title = "Undo"
script = "echo undo"
rolback = "echo back"  # MARK
`,
		"noid.toml": `# no id at all
title = "Nameless"

[[steps]]
id = "a"
title = "A"
`,
		"dupstep.toml": `id = "dupstep"
title = "Two steps, one id"

[[steps]]
id = "same"
title = "First"

[[steps]]
id = "same"  # MARK
title = "Second"
`,
		"stages.toml": `id = "stages"
title = "Bad stages"

[[steps]]
id = "go"
title = "Go"
script = "true"
stages = "1,0,25%"  # MARK
`,
		"duration.toml": `id = "duration"
title = "Bad duration"

[[steps]]
id = "go"
title = "Go"
script = "true"
timeout = "5 minutes"  # MARK
`,
		"percent.toml": `id = "percent"
title = "Bad percent"

[[steps]]
id = "go"
title = "Go"
script = "true"
max_fail = "150%"  # MARK
`,
		"duprb1.toml": "id = \"twin\"\ntitle = \"One\"\n\n[[steps]]\nid = \"a\"\ntitle = \"A\"\n",
		"duprb2.toml": "id = \"twin\"  # MARK\ntitle = \"Two\"\n\n[[steps]]\nid = \"a\"\ntitle = \"A\"\n",
		"manual.toml": `id = "manual"
title = "A manual step with a check"

[[steps]]
id = "look"
title = "Look"
check = "true"  # MARK
`,
		"good.toml": `id = "good"
title = "Nothing wrong here"

[[steps]]
id = "go"
title = "Go"
script = "echo fine"
`,
	}
	wants := []want{
		{file: "syntax.toml", marker: "MARK"},
		{file: "typo.toml", marker: "MARK", sub: "rolback", contains: []string{`"rolback"`, `did you mean "rollback"`}},
		{file: "noid.toml", col: 1, contains: []string{"id"}},
		{file: "dupstep.toml", marker: "MARK", sub: `"same"`, contains: []string{`duplicate step id "same"`}},
		{file: "stages.toml", marker: "MARK", sub: `"1,0,25%"`, contains: []string{"stage"}},
		{file: "duration.toml", marker: "MARK", sub: `"5 minutes"`, contains: []string{"5 minutes", "duration"}},
		{file: "percent.toml", marker: "MARK", sub: `"150%"`, contains: []string{"150%"}},
		{file: "duprb2.toml", marker: "MARK", sub: `"twin"`, contains: []string{`duplicate runbook id "twin"`, "duprb1.toml"}},
		{file: "manual.toml", marker: "MARK", sub: `"true"`, contains: []string{"check", "manual step"}},
	}
	for name, content := range files {
		rbWrite(t, filepath.Join(e.work, "bad", name), content)
	}
	stdout, stderr, code := e.fb("runbook", "lint", "bad")
	if code != 1 {
		t.Errorf("runbook lint bad: exit %d, want 1 (stderr %s)", code, stderr)
	}
	if strings.Contains(stdout, "good.toml") {
		t.Errorf("runbook lint reports the good runbook:\n%s", stdout)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	for _, w := range wants {
		content := files[w.file]
		line := 1
		if w.marker != "" {
			line = rbLineOf(t, content, w.marker)
		}
		prefix := fmt.Sprintf("bad/%s:%d:", w.file, line)
		switch {
		case w.sub != "":
			prefix += fmt.Sprintf("%d: ", rbColOf(t, content, w.marker, w.sub))
		case w.col != 0:
			prefix += fmt.Sprintf("%d: ", w.col)
		}
		var got []string
		for _, l := range lines {
			if strings.HasPrefix(l, "bad/"+w.file+":") {
				got = append(got, l)
			}
		}
		if len(got) == 0 || !strings.HasPrefix(got[0], prefix) || !regexp.MustCompile(`^bad/[a-z0-9]+\.toml:\d+:\d+: error: `).MatchString(got[0]) {
			t.Errorf("%s: findings %q, want one at %q (FILE:LINE:COL: error: ...)", w.file, got, prefix)
			continue
		}
		for _, c := range w.contains {
			if !strings.Contains(got[0], c) {
				t.Errorf("%s: finding %q does not say %q", w.file, got[0], c)
			}
		}
	}

	// Each file alone: exit 1 too (a duplicate id needs both files).
	for _, w := range wants {
		if w.file == "duprb2.toml" {
			continue
		}
		if _, stderr, code := e.fb("runbook", "lint", filepath.Join("bad", w.file)); code != 1 {
			t.Errorf("runbook lint bad/%s: exit %d, want 1 (stderr %s)", w.file, code, stderr)
		}
	}

	// --json parses and says the same.
	out, _, code := e.fb("runbook", "lint", "bad", "--json")
	var r lintJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 1 {
		t.Fatalf("runbook lint --json: exit %d, %v\n%s", code, err, out)
	}
	if len(r.Findings) != len(lines) {
		t.Errorf("runbook lint --json has %d findings, the text form %d", len(r.Findings), len(lines))
	}
	for _, f := range r.Findings {
		if f.Line < 1 || f.Column < 1 || f.Severity != "error" || f.Message == "" {
			t.Errorf("runbook lint --json finding %+v: want a line, a column, severity error and a message", f)
		}
	}

	// Unusable input: exit 2, one line.
	for _, path := range []string{"does-not-exist", "bad/nope.toml"} {
		stdout, stderr, code := e.fb("runbook", "lint", path)
		wantError(t, "runbook lint "+path, stdout, stderr, code, 2, path)
	}
	rbWrite(t, filepath.Join(e.work, "notes.txt"), "not a runbook\n")
	stdout, stderr, code = e.fb("runbook", "lint", "notes.txt")
	wantError(t, "runbook lint notes.txt", stdout, stderr, code, 2, "notes.txt")
}

const teamRunbookTmpl = `id = %q
title = %q

[[steps]]
id = "look"
title = "Look around"

[[steps]]
id = "act"
title = "Act"
script = '''
set -euo pipefail
echo "acting"
'''
`

// ./runbooks and runbook_dirs add runbooks and override built-in ones by id, later directories winning.
func TestE2ERunbookLibraryDirectories(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	teamA, teamB := filepath.Join(e.root, "team-a"), filepath.Join(e.root, "team-b")
	rbWrite(t, filepath.Join(teamA, "free-disk.toml"), fmt.Sprintf(teamRunbookTmpl, "free-disk", "Team A free disk"))
	rbWrite(t, filepath.Join(teamA, "restart-service.toml"), fmt.Sprintf(teamRunbookTmpl, "restart-service", "Team A restart"))
	rbWrite(t, filepath.Join(teamA, "sub", "a-only.toml"), fmt.Sprintf(teamRunbookTmpl, "a-only", "Only in team A"))
	rbWrite(t, filepath.Join(teamB, "restart.toml"), fmt.Sprintf(teamRunbookTmpl, "restart-service", "Team B restart"))
	rbWrite(t, filepath.Join(e.work, "runbooks", "fd.toml"), fmt.Sprintf(teamRunbookTmpl, "free-disk", "Working dir free disk"))
	rbWrite(t, filepath.Join(e.work, "runbooks", "local.toml"), fmt.Sprintf(teamRunbookTmpl, "local-one", "Only in ./runbooks"))
	rbWrite(t, filepath.Join(e.work, "firebreak.toml"), fmt.Sprintf("runbook_dirs = [%q, %q]\n", teamA, teamB))

	wantSources := map[string]string{
		"free-disk":       "runbooks/fd.toml",
		"restart-service": filepath.Join(teamB, "restart.toml"),
		"a-only":          filepath.Join(teamA, "sub", "a-only.toml"),
		"local-one":       "runbooks/local.toml",
		"isolate-host":    "builtin:isolate-host.toml",
	}
	wantTitles := map[string]string{"free-disk": "Working dir free disk", "restart-service": "Team B restart",
		"a-only": "Only in team A", "local-one": "Only in ./runbooks"}
	items := e.runbookList()
	got := map[string]rbListItem{}
	for _, it := range items {
		if _, dup := got[it.ID]; dup {
			t.Errorf("runbook list has %s twice", it.ID)
		}
		got[it.ID] = it
	}
	if len(items) != 10 {
		t.Errorf("runbook list has %d runbooks, want 10 (8 built-in + 2 new)", len(items))
	}
	for id, src := range wantSources {
		if !strings.HasSuffix(got[id].Source, src) || (strings.HasPrefix(src, "/") && got[id].Source != src) {
			t.Errorf("runbook %s comes from %q, want %q", id, got[id].Source, src)
		}
		if wt, ok := wantTitles[id]; ok && got[id].Title != wt {
			t.Errorf("runbook %s has title %q, want %q", id, got[id].Title, wt)
		}
	}
	text := e.ok("runbook", "show", "restart-service")
	if !strings.Contains(text, "source: "+filepath.Join(teamB, "restart.toml")+"\n") || !strings.HasPrefix(text, "restart-service: Team B restart\n") {
		t.Errorf("runbook show restart-service does not show the override from team B:\n%s", text)
	}
	if rb := e.runbookShow("free-disk"); rb.Title != "Working dir free disk" || len(rb.Steps) != 2 || !strings.HasSuffix(rb.Source, "runbooks/fd.toml") {
		t.Errorf("runbook show free-disk --json: %+v, want the ./runbooks override", rb)
	}
	// The text list shows the override's title.
	if !regexp.MustCompile(`(?m)^free-disk\s+Working dir free disk$`).MatchString(e.ok("runbook", "list")) {
		t.Errorf("runbook list does not show the overriding free-disk")
	}

	// A broken team runbook is left out with a warning; the rest stays usable; lint names it (exit 1).
	rbWrite(t, filepath.Join(e.work, "runbooks", "broken.toml"), "id = \"broken\"\ntitle = \"Broken\"\n\n[[steps]]\nid = \"x\"\ntitle = \"x\"\nrolback = \"true\"\n")
	stdout, stderr, code := e.fb("runbook", "list")
	if code != 0 || strings.Contains(stdout, "broken") || !strings.Contains(stdout, "local-one") {
		t.Errorf("runbook list with a broken team runbook: exit %d, stdout:\n%s", code, stdout)
	}
	if !strings.Contains(stderr, "firebreak: warning: runbooks/broken.toml:7:1:") {
		t.Errorf("runbook list stderr %q, want a warning naming runbooks/broken.toml:7:1", stderr)
	}
	stdout, _, code = e.fb("runbook", "lint")
	if code != 1 || !strings.HasPrefix(stdout, "runbooks/broken.toml:7:1: error: ") {
		t.Errorf("runbook lint of the library with a broken runbook: exit %d, want 1 naming it:\n%s", code, stdout)
	}
}

// A configured runbook directory that does not exist is an error (exit 2), not an empty library.
func TestE2ERunbookDirMissing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	missing := filepath.Join(e.root, "no-such-dir")
	rbWrite(t, filepath.Join(e.work, "firebreak.toml"), fmt.Sprintf("runbook_dirs = [%q]\n", missing))
	inc := e.declare("library broken")
	for _, args := range [][]string{
		{"runbook", "list"}, {"runbook", "list", "--json"}, {"runbook", "show", "free-disk"}, {"runbook", "lint"},
		{"attach", inc, "free-disk"}, {"runbook", "test", "free-disk"},
	} {
		stdout, stderr, code := e.fb(args...)
		wantError(t, strings.Join(args, " "), stdout, stderr, code, 2, missing)
	}
	if n := len(e.timeline(inc)); n != 1 {
		t.Errorf("the failed attach wrote: %d events, want 1", n)
	}
}

// showChecklists is the checklist part of `show --json`.
type showChecklists struct {
	Checklists []struct {
		Runbook    string `json:"runbook"`
		Title      string `json:"title"`
		Source     string `json:"source"`
		Hash       string `json:"hash"`
		Raw        string `json:"raw"`
		AttachedBy string `json:"attached_by"`
		Steps      []struct {
			ID       string `json:"id"`
			Title    string `json:"title"`
			Script   bool   `json:"script"`
			State    string `json:"state"`
			By       string `json:"by"`
			Reason   string `json:"reason"`
			Assignee string `json:"assignee"`
		} `json:"steps"`
	} `json:"checklists"`
}

func (e *fbEnv) checklists(id string) showChecklists {
	e.t.Helper()
	out := e.ok("show", id, "--json")
	var s showChecklists
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		e.t.Fatalf("show %s --json: %v\n%s", id, err, out)
	}
	return s
}

func TestE2EChecklistWork(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	me := osUser(t)
	inc := e.declare("disk full on the log hosts")
	out := e.ok("--as", "carol", "attach", inc, "free-disk")
	if !strings.Contains(out, "attached runbook free-disk") {
		t.Errorf("attach printed %q", out)
	}
	e.ok("--as", "alice", "tick", inc, "free-disk", "diagnose")
	e.ok("--as", "bob", "skip", inc, "free-disk", "prevent", "--reason", "next sprint")
	e.ok("assign", inc, "free-disk", "delete-old", "dave")
	e.ok("--as", "bob", "tick", inc, "free-disk", "compress-rotated")
	e.ok("--as", "alice", "untick", inc, "free-disk", "compress-rotated")

	s := e.checklists(inc)
	if len(s.Checklists) != 1 {
		t.Fatalf("show --json: %d checklists, want 1", len(s.Checklists))
	}
	c := s.Checklists[0]
	if c.Runbook != "free-disk" || c.AttachedBy != me+" as carol" || c.Source != "builtin:free-disk.toml" || c.Raw == "" || len(c.Hash) != 64 {
		t.Errorf("checklist %s attached by %q from %q (hash %q), want free-disk by %q", c.Runbook, c.AttachedBy, c.Source, c.Hash, me+" as carol")
	}
	type st struct{ id, state, by, reason, assignee string }
	var got []st
	for _, s := range c.Steps {
		got = append(got, st{s.ID, s.State, s.By, s.Reason, s.Assignee})
	}
	want := []st{
		{"diagnose", "done", me + " as alice", "", ""},
		{"compress-rotated", "open", "", "", ""},
		{"delete-old", "open", "", "", "dave"},
		{"prevent", "skipped", me + " as bob", "next sprint", ""},
	}
	if !slices.Equal(got, want) {
		t.Errorf("checklist steps\n got %v\nwant %v", got, want)
	}
	text := e.ok("show", inc)
	for _, w := range []string{
		"checklist free-disk: ",
		"[x] diagnose: Find what is using the space — " + me + " as alice at ",
		"[ ] compress-rotated: ",
		"[ ] delete-old: Delete old compressed rotated logs (script) [assigned to dave]",
		"[-] prevent: Stop it from filling up again — skipped by " + me + " as bob: next sprint",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("show does not say %q:\n%s", w, text)
		}
	}
	// Every action is an event with its actor.
	var kinds []string
	for _, ev := range e.timeline(inc)[1:] {
		kinds = append(kinds, ev.Kind+" by "+ev.Actor)
	}
	wantKinds := []string{"attached by " + me + " as carol", "tick by " + me + " as alice", "skip by " + me + " as bob",
		"assign by " + me, "tick by " + me + " as bob", "untick by " + me + " as alice"}
	if !slices.Equal(kinds, wantKinds) {
		t.Errorf("timeline\n got %q\nwant %q", kinds, wantKinds)
	}
	// Doing what is already so records nothing.
	before := len(e.timeline(inc))
	e.ok("--as", "alice", "tick", inc, "free-disk", "diagnose")
	e.ok("attach", inc, "free-disk")
	if after := len(e.timeline(inc)); after != before {
		t.Errorf("a repeated tick or attach wrote %d events", after-before)
	}
	e.ok("audit", "verify", inc)
}

// Bad input to the checklist commands: exit 2, one line, and nothing written.
func TestE2EChecklistBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	inc := e.declare("checklist mistakes")
	e.ok("attach", inc, "restart-service")
	e.ok("tick", inc, "restart-service", "assess")
	before := e.ok("timeline", inc, "--json")
	cases := []struct {
		args     []string
		contains []string
	}{
		{[]string{"attach", inc, "no-such-runbook"}, []string{"no-such-runbook"}},
		{[]string{"tick", inc, "restart-service", "no-such-step"}, []string{"no-such-step"}},
		{[]string{"untick", inc, "restart-service", "no-such-step"}, []string{"no-such-step"}},
		{[]string{"assign", inc, "restart-service", "no-such-step", "bob"}, []string{"no-such-step"}},
		{[]string{"tick", inc, "free-disk", "diagnose"}, []string{"free-disk", "not attached"}},
		{[]string{"skip", inc, "free-disk", "diagnose", "--reason", "x"}, []string{"free-disk", "not attached"}},
		{[]string{"skip", inc, "restart-service", "restart"}, []string{"--reason"}},
		{[]string{"skip", inc, "restart-service", "restart", "--reason", "  "}, []string{"--reason"}},
		{[]string{"tick", inc, "restart-service"}, []string{"usage"}},
		{[]string{"tick", "INC-999", "restart-service", "assess"}, []string{"INC-999"}},
	}
	for _, c := range cases {
		stdout, stderr, code := e.fb(c.args...)
		wantError(t, strings.Join(c.args, " "), stdout, stderr, code, 2, c.contains...)
	}
	if after := e.ok("timeline", inc, "--json"); after != before {
		t.Errorf("bad checklist commands changed the timeline:\nbefore %s\nafter %s", before, after)
	}
}

// The attached version is stored: changing the file later does not change the checklist.
func TestE2EChecklistKeepsAttachedVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	file := filepath.Join(e.work, "runbooks", "team.toml")
	v1 := fmt.Sprintf(teamRunbookTmpl, "team-fix", "Team fix")
	rbWrite(t, file, v1)
	inc := e.declare("team fix needed")
	e.ok("attach", inc, "team-fix")

	v2 := strings.Replace(v1, `id = "act"`, `id = "act-now"`, 1)
	v2 = strings.Replace(v2, `title = "Act"`, `title = "Act now"`, 1)
	rbWrite(t, file, v2)
	if rb := e.runbookShow("team-fix"); len(rb.Steps) != 2 || rb.Steps[1].ID != "act-now" {
		t.Fatalf("the library does not see the change: %+v", rb.Steps)
	}
	stepIDs := func() []string {
		s := e.checklists(inc)
		if len(s.Checklists) != 1 {
			t.Fatalf("%d checklists, want 1", len(s.Checklists))
		}
		var ids []string
		for _, st := range s.Checklists[0].Steps {
			ids = append(ids, st.ID+":"+st.Title+":"+st.State)
		}
		if s.Checklists[0].Raw != v1 {
			t.Errorf("the stored runbook text changed:\n%s", s.Checklists[0].Raw)
		}
		return ids
	}
	if got := stepIDs(); !slices.Equal(got, []string{"look:Look around:open", "act:Act:open"}) {
		t.Errorf("checklist after the file changed: %v, want the attached version's steps", got)
	}
	e.ok("--as", "alice", "tick", inc, "team-fix", "act")
	if got := stepIDs(); !slices.Equal(got, []string{"look:Look around:open", "act:Act:done"}) {
		t.Errorf("checklist after ticking the old step: %v", got)
	}
	before := e.ok("timeline", inc, "--json")
	stdout, stderr, code := e.fb("tick", inc, "team-fix", "act-now")
	wantError(t, "tick of the renamed step", stdout, stderr, code, 2, "act-now")
	// Attaching the changed version over the stored one is refused; the checklist stays.
	stdout, stderr, code = e.fb("attach", inc, "team-fix")
	wantError(t, "attach of a changed runbook", stdout, stderr, code, 2, "team-fix")
	if after := e.ok("timeline", inc, "--json"); after != before {
		t.Errorf("refused commands changed the timeline")
	}
	// Even a runbook gone from disk keeps its checklist workable.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	e.ok("tick", inc, "team-fix", "look")
	if got := stepIDs(); !slices.Equal(got, []string{"look:Look around:done", "act:Act:done"}) {
		t.Errorf("checklist after the file was removed: %v", got)
	}
}

// Two people tick at once from many processes: every tick lands, credited to the right person, and the
// audit chain holds.
func TestE2EChecklistConcurrentTicks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	me := osUser(t)
	const n = 24
	var b strings.Builder
	b.WriteString("id = \"big\"\ntitle = \"Many steps\"\n")
	for i := range n {
		fmt.Fprintf(&b, "\n[[steps]]\nid = \"s%02d\"\ntitle = \"Step %d\"\n", i, i)
	}
	rbWrite(t, filepath.Join(e.work, "runbooks", "big.toml"), b.String())
	inc := e.declare("many hands")
	e.ok("attach", inc, "big")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	person := func(i int) string {
		if i%2 == 0 {
			return "alice"
		}
		return "bob"
	}
	var wg sync.WaitGroup
	errs := make(chan string, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := e.command(ctx, "--as", person(i), "tick", inc, "big", fmt.Sprintf("s%02d", i))
			<-start
			out, err := cmd.CombinedOutput()
			if err != nil {
				errs <- fmt.Sprintf("tick s%02d as %s: %v: %s", i, person(i), err, out)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}

	s := e.checklists(inc)
	if len(s.Checklists) != 1 || len(s.Checklists[0].Steps) != n {
		t.Fatalf("show --json: %+v", s)
	}
	for i, st := range s.Checklists[0].Steps {
		if want := me + " as " + person(i); st.ID != fmt.Sprintf("s%02d", i) || st.State != "done" || st.By != want {
			t.Errorf("step %s: %s by %q, want done by %q", st.ID, st.State, st.By, want)
		}
	}
	evs := e.timeline(inc)
	if len(evs) != n+2 {
		t.Errorf("timeline has %d events, want %d", len(evs), n+2)
	}
	seen := map[string]bool{}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Errorf("event %d has seq %d", i, ev.Seq)
		}
		if i >= 2 {
			var d struct{ Step string }
			_ = json.Unmarshal(ev.Data, &d)
			if ev.Kind != "tick" || seen[d.Step] {
				t.Errorf("event %d: %s %s", ev.Seq, ev.Kind, d.Step)
			}
			seen[d.Step] = true
			var idx int
			fmt.Sscanf(d.Step, "s%d", &idx)
			if ev.Actor != me+" as "+person(idx) {
				t.Errorf("event %d ticks %s by %q, want %s", ev.Seq, d.Step, ev.Actor, person(idx))
			}
			if evs[i-1].At > ev.At {
				t.Errorf("event %d is earlier (%s) than event %d (%s)", ev.Seq, ev.At, evs[i-1].Seq, evs[i-1].At)
			}
		}
	}
	stdout, stderr, code := e.fb("audit", "verify")
	if code != 0 {
		t.Errorf("audit verify after concurrent ticks: exit %d\n%s%s", code, stdout, stderr)
	}
}
