package lint

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// stepHead is a runbook up to its one step's fields: the step's first field is on line 7.
const stepHead = "id = \"p\"\ntitle = \"P\"\n\n[[steps]]\nid = \"s\"\ntitle = \"S\"\n"

// TestLintPositionsExact checks FILE:LINE:COL of ShellCheck findings against the real ShellCheck, for every
// way a fragment's characters and the file's can drift apart. A column counts characters (a tab is one);
// SC2154 points at the $ of $u, SC1047 and SC1072 ("Expected 'fi'", "Expected a command") at the end of
// the script, which must be the string's closing delimiter. It fails (never skips) when ShellCheck is
// missing.
func TestLintPositionsExact(t *testing.T) {
	if _, err := exec.LookPath(ShellCheck); err != nil {
		t.Fatalf("ShellCheck is required for this test: apt-get install shellcheck (%v)", err)
	}
	cases := []struct {
		name, toml string
		want       string // LINE:COL CODE
	}{
		// Characters, not bytes, before the finding.
		{"literal é", stepHead + `script = 'echo "é" $u'` + "\n", "7:20 SC2154"},
		{"literal 日本", stepHead + `script = 'echo 日本 $u'` + "\n", "7:19 SC2154"},
		{"literal emoji", stepHead + `script = 'echo 🙂 $u'` + "\n", "7:18 SC2154"},
		{"literal tabs", stepHead + "script = '\techo\t$u'\n", "7:17 SC2154"},
		{"multi-line literal after quotes", stepHead + "script = '''é $u'''\n", "7:15 SC2154"},
		{"multi-line literal, later line", stepHead + "script = '''\ntrue\n\t日本=1; echo 🙂 $u\n'''\n", "9:15 SC2154"},
		{"non-ASCII before the value", "id = \"p\"\ntitle = \"P\"\nsteps = [{ id = \"s\", title = \"日本é\", script = 'echo $u' }]\n", "3:52 SC2154"},
		// Basic strings: escapes are longer in the file than in the script.
		{"basic \\t", stepHead + `script = "echo\t$u"` + "\n", "7:17 SC2154"},
		{"basic \\u00e9", stepHead + `script = "echo \u00e9 $u"` + "\n", "7:23 SC2154"},
		{"basic \\\" and é", stepHead + `script = "echo \"é\" $u"` + "\n", "7:22 SC2154"},
		{"basic \\n then é", stepHead + `script = "true\necho é\t$u"` + "\n", "7:25 SC2154"},
		{"multi-line basic, line-ending backslash", stepHead + "script = \"\"\"\necho \\\n  é $u\"\"\"\n", "9:5 SC2154"},
		{"multi-line basic, \\t and \\u", stepHead + "script = \"\"\"\ntrue\n\\t\\u65e5 é $u\n\"\"\"\n", "9:12 SC2154"},
		// Findings after the last character point at the closing delimiter, never past the end of the file.
		{"end of basic", stepHead + `script = "if true; then echo"`, "7:29 SC1047"},
		{"end of basic with escapes", stepHead + `script = "if true; then\n  echo é\n"`, "7:36 SC1047"},
		{"end of literal", stepHead + `script = 'if true; then'`, "7:24 SC1072"},
		{"end of multi-line basic", stepHead + "script = \"\"\"\nif true; then\n  echo é\n\"\"\"", "10:1 SC1047"},
		{"end of multi-line basic on its last line", stepHead + "script = \"\"\"\nif true; then\n  echo \\u00e9\"\"\"", "9:14 SC1047"},
		{"end of multi-line literal", stepHead + "script = '''\nif true; then\n  echo é\n'''", "10:1 SC1047"},
		{"end of multi-line literal on its last line", stepHead + "script = '''\nif true; then\n  echo é'''", "9:9 SC1047"},
		{"end of multi-line literal with quotes in it", stepHead + "script = '''\nif true; then echo ''''", "8:21 SC1072"},
		// A file saved with CRLF line endings: no \r reaches ShellCheck, positions as in an LF file.
		{"CRLF literal", crlf(stepHead + "script = '''\ntrue\necho é $u\n'''\n"), "9:8 SC2154"},
		{"CRLF basic", crlf(stepHead + "script = \"\"\"\ntrue\\t\necho \\\n  é $u\n\"\"\"\n"), "10:5 SC2154"},
		{"CRLF end of literal", crlf(stepHead + "script = '''\nif true; then\n  echo é\n'''\n"), "10:1 SC1047"},
		{"CRLF end of basic", crlf(stepHead + "rollback = \"\"\"\nif true; then\n  echo é\n\"\"\"\nscript = 'true'\n"), "10:1 SC1047"},
	}
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, fmt.Sprintf("case%d.toml", i))
			if err := os.WriteFile(p, []byte(c.toml), 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := Paths(context.Background(), []string{p})
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(c.toml, "\n")
			var got []string
			for _, f := range r.Findings {
				got = append(got, fmt.Sprintf("%d:%d %s", f.Line, f.Col, f.Code))
				if f.Code == "" || f.Code == "SC1017" {
					t.Errorf("finding %s", f) // a format problem, or a carriage return ShellCheck saw
				}
				if f.Line > len(lines) || f.Col > len([]rune(lines[f.Line-1]))+1 {
					t.Errorf("finding past the end of its line or file: %s", f)
				}
			}
			for _, g := range got {
				if g == c.want {
					return
				}
			}
			t.Errorf("want a finding at %s, got %v", c.want, got)
		})
	}
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// TestTextMapEnd pins where positions past the text go: the closing delimiter.
func TestTextMapEnd(t *testing.T) {
	m := newTextMap([]byte(`"a\nb" # c`), 3, 10, "a\nb")
	for _, c := range []struct{ in, want position }{
		{position{1, 1}, position{3, 11}}, {position{2, 1}, position{3, 14}}, {position{2, 2}, position{3, 15}},
		{position{3, 1}, position{3, 15}}, {position{9, 9}, position{3, 15}},
	} {
		if got := m.at(c.in.line, c.in.col); got != c.want {
			t.Errorf("at %v = %v, want %v", c.in, got, c.want)
		}
	}
	if newTextMap([]byte(`"ab"`), 1, 1, "xy") != nil {
		t.Error("a value that does not match the text must not be mapped")
	}
}
