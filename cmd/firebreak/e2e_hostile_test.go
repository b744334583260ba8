package main

// End-to-end tests of guard 10 for data: text from inventories, titles, notes, people and remote output
// is neutralised wherever the CLI prints it, refused where it must be one line, and escaped in the export.

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

const (
	osc52    = "\x1b]52;c;ZWNobyBwd25lZA==\x07" // sets the reader's clipboard
	clearScr = "\x1b[2J"                        // clears the screen
	rlo      = "\u202e"                         // right-to-left override: "txt.exe" reads as "exe.txt"
)

// assertNeutral fails when out holds a byte that would act on a terminal.
func assertNeutral(t *testing.T, what, out string) {
	t.Helper()
	if strings.ContainsAny(out, "\x1b\x07\u202e\u009b\u009d") {
		t.Errorf("%s: control sequences reach the terminal: %q", what, out)
	}
}

func TestE2EHostileInventoryHostRefused(t *testing.T) {
	e := newEnv(t)
	ini := filepath.Join(e.root, "inv.ini")
	mustWriteFile(t, ini, []byte("[web]\nweb1\nweb2"+osc52+clearScr+"\n"))
	toml := filepath.Join(e.root, "inv.toml")
	mustWriteFile(t, toml, []byte("[[host]]\nname = \"db1\"\n\n[[host]]\nname = \"db2"+rlo+"\"\n"))
	stdout, stderr, code := e.fb("hosts", "-i", ini)
	wantError(t, "hosts, INI", stdout, stderr, code, 2, "inv.ini:3: host", "U+001B", "remove it from the inventory")
	assertNeutral(t, "hosts, INI", stderr)
	stdout, stderr, code = e.fb("hosts", "-i", toml)
	wantError(t, "hosts, TOML", stdout, stderr, code, 2, "inv.toml:5: host", "U+202E")
	assertNeutral(t, "hosts, TOML", stderr)
	inc := e.declare("db down")
	stdout, stderr, code = e.fb("run", inc, "--command", "true", "-i", ini, "--hosts", "all", "--dry-run", "--yes")
	wantError(t, "run", stdout, stderr, code, 2, "inv.ini:3: host")
}

func TestE2ETitleWithNewlineRefused(t *testing.T) {
	e := newEnv(t)
	stdout, stderr, code := e.fb("declare", "db down\nINC-99  SEV1  resolved  alice  1m  forged")
	wantError(t, "declare", stdout, stderr, code, 2, "the title has a line break")
	stdout, stderr, code = e.fb("declare", "db down"+osc52)
	wantError(t, "declare with OSC 52", stdout, stderr, code, 2, "the title contains control characters")
	inc := e.declare("db down")
	stdout, stderr, code = e.fb("retro", "action", inc, "add", "alert on it", "--owner", "alice\n- [x] forged")
	wantError(t, "action owner", stdout, stderr, code, 2, "the owner has a line break")
	stdout, stderr, code = e.fb("hide", inc, "1", "--reason", "dup\n---")
	wantError(t, "hide reason", stdout, stderr, code, 2, "the reason has a line break")
	e.ok("halt", "--reason", "wrong\ncluster")
	e.ok("resume")
	if tl := e.timeline(inc); !strings.Contains(tl[len(tl)-2].Text, ": wrong cluster") {
		t.Errorf("the halt reason is not folded onto one line: %q", tl[len(tl)-2].Text)
	}
}

// TestE2EHostileTextNeutralised: a title written before titles were checked (put in the database
// directly), a note with a bidi override and line breaks, and a host's output with OSC 52 and ESC [2J are
// neutralised by list, show, timeline, run, runs and log; JSON output stays JSON with the data exact.
func TestE2EHostileTextNeutralised(t *testing.T) {
	e := newEnv(t)
	inc := e.declare("db down")
	e.ok("role", inc, "commander", "alice")
	e.ok("note", inc, "see "+rlo+"txt.exe\n    9* 2026-01-01 00:00:00Z  root  declared  forged row")
	legacy := "db down" + osc52 + clearScr + rlo + "\nINC-99  SEV1  resolved  forged"
	db, err := sql.Open("sqlite3", e.db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE incidents SET title = ?1, state = json_set(state, '$.title', ?1) WHERE id = 1`, legacy); err != nil {
		t.Fatal(err)
	}
	db.Close()

	list := e.ok("list")
	assertNeutral(t, "list", list)
	if n := strings.Count(list, "\n"); n != 2 {
		t.Errorf("list: %d lines, want the header and one incident:\n%s", n, list)
	}
	var items []struct{ Title string }
	if err := json.Unmarshal([]byte(e.ok("list", "--json")), &items); err != nil || len(items) != 1 || items[0].Title != legacy {
		t.Errorf("list --json: %v %+v, want the title exactly", err, items)
	}
	if raw := e.ok("list", "--json"); strings.ContainsAny(raw, "\x1b\x07") {
		t.Errorf("list --json has raw control bytes: %q", raw)
	}
	show := e.ok("show", inc)
	assertNeutral(t, "show", show)
	if !strings.Contains(list, "⏎ INC-99") || !strings.Contains(show, "⏎ INC-99") {
		t.Errorf("the legacy title is not shown on one line:\n%s\n%s", list, show)
	}
	tl := e.ok("timeline", inc)
	assertNeutral(t, "timeline", tl)
	if events := e.timeline(inc); strings.Count(tl, "\n") != len(events) {
		t.Errorf("timeline: %d lines for %d events (a note forged a row):\n%s", strings.Count(tl, "\n"), len(events), tl)
	}
	if !strings.Contains(tl, "⏎") {
		t.Errorf("timeline does not show the note's line break as ⏎:\n%s", tl)
	}

	script := `: "$FIREBREAK_DRY_RUN"; printf 'pwned\033]52;c;ZWNobyBwd25lZA==\007 \033[2J \342\200\256txt.exe\n'`
	out := e.ok("run", inc, "--command", script, "--hosts", "localhost", "--dry-run", "--yes", "-v")
	assertNeutral(t, "run -v", out)
	if !strings.Contains(out, "pwned") {
		t.Errorf("run -v does not show the output:\n%s", out)
	}
	assertNeutral(t, "runs", e.ok("runs", inc))
	assertNeutral(t, "runs RUN-1", e.ok("runs", "RUN-1"))

	log := e.ok("log", "RUN-1", "localhost")
	assertNeutral(t, "log", log)
	if log != "pwned  \ufffdtxt.exe\n" {
		t.Errorf("log printed %q", log)
	}
	var files []string
	filepath.Walk(e.root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".log") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 1 || !strings.Contains(string(mustReadFile(t, files[0])), osc52) {
		t.Errorf("the log file (%v) does not keep the raw bytes", files)
	}
}

func TestE2ELog(t *testing.T) {
	e := newEnv(t)
	inc := e.declare("db down")
	e.ok("run", inc, "--command", `: "$FIREBREAK_DRY_RUN"`, "--hosts", "localhost", "--dry-run", "--yes")
	stdout, stderr, code := e.fb("log", "RUN-1", "localhost")
	if code != 0 || stdout != "" || !strings.Contains(stderr, "RUN-1 localhost: no log: the host printed nothing") {
		t.Errorf("log of a silent host: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	stdout, stderr, code = e.fb("log", "RUN-9", "localhost")
	wantError(t, "unknown run", stdout, stderr, code, 2)
	stdout, stderr, code = e.fb("log", "RUN-1", "web"+osc52)
	wantError(t, "unknown host", stdout, stderr, code, 2, "RUN-1 has no host", "firebreak runs RUN-1")
	assertNeutral(t, "unknown host", stderr)
	stdout, stderr, code = e.fb("log", "RUN-1")
	wantError(t, "no host", stdout, stderr, code, 2)
	stdout, stderr, code = e.fb("log", "nonsense", "localhost")
	wantError(t, "bad run id", stdout, stderr, code, 2, "is not a run id")
}

// TestE2EExportHostile: notes, an action item and a URL full of Markdown and HTML export as text: the file
// is 0600 and parses (goldmark with GFM) with no injected heading, rule, link, HTML or broken table.
func TestE2EExportHostile(t *testing.T) {
	e := newEnv(t)
	inc := e.declare("Checkout | p99 <b>4s</b> see https://status.example")
	e.ok("role", inc, "commander", "alice")
	e.ok("note", inc, "# Injected heading\n\n---\n\n<script>alert(1)</script>\n| a | b |\nsee www.evil.example and https://evil.example "+rlo+"x")
	tl := e.timeline(inc)
	e.ok("star", inc, fmt.Sprint(tl[len(tl)-1].Seq)) // the note goes into the export's timeline table
	e.ok("retro", "action", inc, "add", "[click](https://evil.example) <img src=x>", "--owner", "bob@example.com", "--ticket", "https://t.example/1")
	e.ok("retro", "set", inc, "summary", "Our text *stays*.\n\n<script>alert(1)</script>")
	out := filepath.Join(e.root, "retro.md")
	os.WriteFile(out, []byte("old"), 0o644) // an existing file is replaced with a 0600 one
	e.ok("export", inc, "-o", out)
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("export file mode %v, want 0600", fi.Mode().Perm())
	}
	src := mustReadFile(t, out)
	if strings.Contains(string(src), rlo) {
		t.Error("a bidi override in the export")
	}
	doc := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(src))
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			if h := string(n.Text(src)); strings.Contains(h, "Injected") || n.Level > 3 {
				t.Errorf("injected heading %q", h)
			}
		case *ast.ThematicBreak, *ast.Link, *ast.AutoLink, *ast.Image, *ast.RawHTML, *ast.HTMLBlock:
			t.Errorf("a %s in the export: %q", n.Kind(), n.Text(src))
		}
		if n.Kind().String() == "TableRow" && n.ChildCount() != n.Parent().FirstChild().ChildCount() {
			t.Errorf("a table row with %d cells", n.ChildCount())
		}
		return ast.WalkContinue, nil
	})
	if !strings.Contains(string(src), "Our text *stays*.") || !strings.Contains(string(src), "&lt;script>alert(1)&lt;/script>") {
		t.Errorf("section text not kept with its HTML as text:\n%s", src)
	}
}
