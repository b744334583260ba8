package runbooks

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// good is a small valid runbook the malformed cases are variations of.
const good = `id = "demo"
title = "Demo"
symptoms = ["x"]
tags = ["t"]

[vars]
SERVICE = "app"

[[steps]]
id = "look"
title = "Look"
details = "Look *first*."

[[steps]]
id = "fix"
title = "Fix"
script = "echo fix"
check = "true"
verify = "true"
rollback = "echo undo"
dry_run = "echo would fix"
targets = "web"
stages = [1, 5, "25%"]
max_fail = "10%"
timeout = "90s"
concurrency = 3
`

func TestParseGood(t *testing.T) {
	rb, err := Parse("demo.toml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if rb.ID != "demo" || rb.Title != "Demo" || rb.Vars["SERVICE"] != "app" || len(rb.Steps) != 2 {
		t.Fatalf("unexpected runbook %+v", rb)
	}
	if rb.Source != "demo.toml" || rb.Raw != good {
		t.Errorf("source %q or raw text not kept", rb.Source)
	}
	look, ok := rb.Step("look")
	if !ok || look.IsScript() || look.Details != "Look *first*." {
		t.Errorf("manual step: %+v %v", look, ok)
	}
	fix, ok := rb.Step("fix")
	if !ok || !fix.IsScript() {
		t.Fatalf("script step missing: %+v", fix)
	}
	if fix.Stages.String() != "1,5,25%" || fix.MaxFail == nil || fix.MaxFail.String() != "10%" ||
		fix.Timeout != 90*time.Second || fix.Concurrency != 3 || fix.Targets != "web" {
		t.Errorf("script step fields: %+v", fix)
	}
	if got := len(fix.Fragments()); got != 5 {
		t.Errorf("fix has %d fragments, want 5", got)
	}
	if _, ok := rb.Step("nope"); ok {
		t.Error("Step(nope) found a step")
	}
}

// TestParseMalformed checks that every kind of malformed runbook is reported, each problem with its
// file:line:col, and that one file's problems are all reported, not just the first.
func TestParseMalformed(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []string // each a prefix "f.toml:L:C: " plus a substring of the message
	}{
		{"syntax error", "id = \"demo\n", []string{"f.toml:1:"}},
		{"unknown key rolback", strings.Replace(good, "rollback =", "rolback =", 1),
			[]string{`f.toml:20:1: unknown key "rolback" in [steps]: did you mean "rollback"?`}},
		{"missing runbook id", strings.Replace(good, "id = \"demo\"\n", "", 1),
			[]string{"f.toml:1:1: missing runbook id"}},
		{"missing title", strings.Replace(good, "title = \"Demo\"\n", "", 1),
			[]string{"f.toml:1:1: missing runbook title"}},
		{"missing step id", strings.Replace(good, "id = \"look\"\n", "", 1),
			[]string{"f.toml:9:1: step #1 has no id"}},
		{"missing step title", strings.Replace(good, "title = \"Fix\"\n", "", 1),
			[]string{"f.toml:14:1: step fix has no title"}},
		{"duplicate step id", strings.Replace(good, `id = "fix"`, `id = "look"`, 1),
			[]string{`f.toml:15:6: duplicate step id "look" (first used on line 10)`}},
		{"bad stages", strings.Replace(good, `stages = [1, 5, "25%"]`, `stages = "0,abc"`, 1),
			[]string{`f.toml:23:10: stages: stage 1 of "0,abc": "0": a stage needs at least one host`}},
		{"bad stage in array", strings.Replace(good, `stages = [1, 5, "25%"]`, `stages = [1, "x"]`, 1),
			[]string{`f.toml:23:10: stages: stage 2: "x" is neither`}},
		{"bad stages type", strings.Replace(good, `stages = [1, 5, "25%"]`, `stages = 5`, 1),
			[]string{`f.toml:23:10: stages: a int64 is not a stage list`}},
		{"bad duration", strings.Replace(good, `timeout = "90s"`, `timeout = "ninety"`, 1),
			[]string{`f.toml:25:11: timeout "ninety" is not a duration`}},
		{"negative duration", strings.Replace(good, `timeout = "90s"`, `timeout = "-1s"`, 1),
			[]string{`f.toml:25:11: timeout "-1s" must be positive`}},
		{"bad percent", strings.Replace(good, `max_fail = "10%"`, `max_fail = "150%"`, 1),
			[]string{`f.toml:24:12: max_fail "150%": a percentage must be from 0% to 100%`}},
		{"negative max_fail", strings.Replace(good, `max_fail = "10%"`, `max_fail = -2`, 1),
			[]string{`f.toml:24:12: max_fail -2 must not be negative`}},
		{"bad secret_vars name", strings.Replace(good, "title = \"Demo\"\n", "title = \"Demo\"\nsecret_vars = [\"OK_NAME\", \"not a name\"]\n", 1),
			[]string{`f.toml:3:27: secret_vars: "not a name" is not a shell variable name`}},
		{"zero concurrency", strings.Replace(good, `concurrency = 3`, `concurrency = 0`, 1),
			[]string{`f.toml:26:15: concurrency 0: it must be at least 1`}},
		{"wrong type", strings.Replace(good, `concurrency = 3`, `concurrency = "3"`, 1),
			[]string{`f.toml:26:15: steps.concurrency: incompatible types`}},
		{"script fields on a manual step", strings.Replace(good, `details = "Look *first*."`, "details = \"x\"\nverify = \"true\"\ntimeout = \"1m\"", 1),
			[]string{`f.toml:13:10: verify on manual step look: only script steps take verify`,
				`f.toml:14:11: timeout on manual step look: only script steps take timeout`}},
		{"bad ids", strings.Replace(strings.Replace(good, `id = "demo"`, `id = "Demo Book"`, 1), `id = "fix"`, `id = "fix it"`, 1),
			[]string{`f.toml:1:6: runbook id "Demo Book"`, `f.toml:15:6: step id "fix it"`}},
		{"bad var name", strings.Replace(good, `SERVICE = "app"`, `"MY-VAR" = "app"`, 1),
			[]string{`f.toml:7:12: variable "MY-VAR" is not a shell variable name`}},
		{"no steps", "id = \"a\"\ntitle = \"A\"\n", []string{`f.toml:1:1: runbook "a" has no steps`}},
		{"every problem, not just the first",
			strings.NewReplacer(`timeout = "90s"`, `timeout = "soon"`, `concurrency = 3`, `concurrency = -1`, `id = "look"`, `id = ""`).Replace(good),
			[]string{"f.toml:10:6: step #1 has no id", `f.toml:25:11: timeout "soon"`, `f.toml:26:15: concurrency -1`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rb, err := Parse("f.toml", []byte(c.src))
			if rb != nil {
				t.Errorf("Parse returned a runbook along with problems")
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("want Problems, got %T %v", err, err)
			}
			if len(ps) != len(c.want) {
				t.Fatalf("want %d problems, got %d:\n%v", len(c.want), len(ps), err)
			}
			for i, w := range c.want {
				if !strings.HasPrefix(ps[i].Error(), w) && !strings.Contains(ps[i].Error(), w) {
					t.Errorf("problem %d:\n got %q\nwant %q", i, ps[i].Error(), w)
				}
				if !strings.HasPrefix(ps[i].Error(), w[:strings.Index(w, ": ")+2]) {
					t.Errorf("problem %d %q is not at %q", i, ps[i].Error(), w[:strings.Index(w, ": ")])
				}
			}
		})
	}
}

// writeFiles writes name -> content under dir, creating subdirectories.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRunbookJSON(t *testing.T) {
	rb, err := Parse("demo.toml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(rb)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"id":"demo"`, `"source":"demo.toml"`, `"stages":"1,5,25%"`, `"max_fail":"10%"`, `"timeout":"1m30s"`, `"concurrency":3`, `"vars":{"SERVICE":"app"}`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("JSON lacks %s:\n%s", want, data)
		}
	}
	if strings.Contains(string(data), "Raw") || strings.Count(string(data), `"timeout"`) != 1 {
		t.Errorf("JSON carries the raw text or two timeouts:\n%s", data)
	}
}

// TestParseCRLFScripts checks that a runbook saved with CRLF line endings gives every script LF ones in
// each string form, so neither lint nor a run sees a \r, and that an LF file keeps a \r it asks for.
func TestParseCRLFScripts(t *testing.T) {
	src := "id = \"w\"\ntitle = \"W\"\n[[steps]]\nid = \"s\"\ntitle = \"S\"\n" +
		"script = '''\ncd /tmp\nls\n'''\n" +
		"check = \"\"\"\ntest -d /tmp\n\"\"\"\n" +
		"verify = '''true\ntrue'''\n" +
		"rollback = \"\"\"\\\n  cd /\necho 'é'\n\"\"\"\n" +
		"dry_run = \"echo hi\"\n"
	rb, err := Parse("w.toml", []byte(strings.ReplaceAll(src, "\n", "\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"script": "cd /tmp\nls\n", "check": "test -d /tmp\n", "verify": "true\ntrue",
		"rollback": "cd /\necho 'é'\n", "dry_run": "echo hi",
	}
	for _, f := range rb.Steps[0].Fragments() {
		if f.Text != want[f.Field] {
			t.Errorf("%s = %q, want %q", f.Field, f.Text, want[f.Field])
		}
		delete(want, f.Field)
	}
	if len(want) != 0 {
		t.Errorf("fragments missing: %v", want)
	}
	lf, err := Parse("lf.toml", []byte(`id = "w"
title = "W"
[[steps]]
id = "s"
title = "S"
script = "printf 'a\r\n'"
`))
	if err != nil || lf.Steps[0].Script != "printf 'a\r\n'" {
		t.Errorf("an LF file's escaped \\r\\n must stay: %q %v", lf.Steps[0].Script, err)
	}
}
