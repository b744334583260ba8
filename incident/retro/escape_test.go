package retro

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
)

// exportWith is the Markdown export of a retrospective whose data text (title, people, a note, a host
// name in a run event, a run title, a step title and skip reason, a flag, an action item's text, owner
// and ticket) is data, built as Load builds it but without a database, so the fuzzer runs fast. A field
// may hold anything old data could hold, line breaks included.
func exportWith(data string) []byte {
	at := time.Date(2026, 11, 21, 1, 50, 0, 0, time.UTC)
	inc := &incident.Incident{ID: 7, Title: data, Severity: incident.SEV2, Status: incident.Resolved, DeclaredAt: at,
		DeclaredBy: "root as " + data, Roles: map[incident.Role]string{incident.Commander: data},
		Checklists: []*incident.Checklist{{Runbook: "free-disk", Title: data, Steps: []incident.ChecklistStep{
			{StepRef: incident.StepRef{ID: "look", Title: data}, State: incident.StepDone, By: "root as " + data},
			{StepRef: incident.StepRef{ID: "clean", Title: data}, State: incident.StepSkipped, By: "root", Reason: data},
		}}}}
	f := &facts{
		metrics:    Metrics{ImpactStart: at, ImpactEnd: at.Add(time.Hour), TimeToResolve: Duration(time.Hour)},
		responders: []Responder{{Person: data, Roles: []string{"commander"}, Events: 3}},
		rows: []Row{
			{Seq: 1, At: at, Actor: "root as " + data, Kind: "declared", Text: "declared SEV2: " + data},
			{Seq: 2, At: at, Actor: data, Kind: "note", Text: data},
			{Seq: 3, At: at, Actor: "firebreak", Kind: "run_finished", Text: fmt.Sprintf("RUN-1 on %s: failed", data)},
		},
		runs:     []store.RunRow{{ID: 1, Incident: 7, Title: data, Status: "failed", StartedBy: "root as " + data, ScriptHash: "h"}},
		runHosts: map[int64][]store.RunHost{1: {{Run: 1, Host: data, State: "failed"}}},
		flags:    []Flag{{Kind: FlagSameAccountApproval, Run: 1, Stage: 1, Person: data, Account: data}, {Kind: "other", Text: data}},
	}
	r := &Retro{Incident: inc, Ref: inc.Ref(), Title: inc.Title, State: incident.RetroDraft, Metrics: f.metrics,
		Responders: f.responders, Timeline: f.rows, Flags: f.flags,
		Actions: []Action{{Item: 1, Text: data, Owner: data, Ticket: data, Due: "2026-12-01", Kind: "detect"}, {Item: 2, Text: data, Done: true}}}
	drafts := prefill(inc, f)
	for _, sec := range DefaultTemplate {
		r.Sections = append(r.Sections, SectionText{Section: sec, Text: drafts[sec.Slug]})
	}
	r.Suggested = suggest(f, r.Actions)
	var b bytes.Buffer
	r.Markdown(&b)
	return b.Bytes()
}

// shape is the document's structure: every node kind in document order with its nesting depth and, for
// headings, the level. Text and String nodes are left out (escapes split text into several).
func shape(src []byte) string {
	doc := gfm.Parse(text.NewReader(src))
	var b strings.Builder
	depth := 0
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			depth--
			return ast.WalkContinue, nil
		}
		depth++
		switch n.Kind() {
		case ast.KindText, ast.KindString:
			return ast.WalkContinue, nil
		}
		fmt.Fprintf(&b, "%d:%s", depth, n.Kind())
		if h, ok := n.(*ast.Heading); ok {
			fmt.Fprintf(&b, "%d", h.Level)
		}
		b.WriteByte(' ')
		return ast.WalkContinue, nil
	})
	return b.String()
}

var placeholderShape = shape(exportWith("placeholder"))

// hostileData is data text that tries every way into Markdown structure and the terminal.
var hostileData = []string{
	"db down\n# Injected heading\n\n---\n\n***",
	"Title\n===",
	"- [x] forged item\n- [ ] another",
	"1. ordered\n2) ordered",
	"| a | b |\n|---|---|\n| c | d |",
	"see https://evil.example/x and www.evil.example and alice@example.com and mailto:bob@example.com",
	"<script>alert(1)</script><img src=x onerror=alert(1)>",
	"<div>\nblock\n</div>",
	"[link](https://evil.example) ![img](x.png) <https://evil.example>",
	"`code` ``more`` *em* _em_ **strong** ~~del~~ \\ & &amp; &#x3c;",
	"> quote\n    indented code\n```\nfenced\n```",
	"end with a backslash\\",
	"osc52 \x1b]52;c;ZWNobyBvd25lZA==\x07 clear \x1b[2J bidi \u202eexe.txt",
	"[x]: https://evil.example \"ref\"\n[x]",
	"=",
	"-",
	"+ plus",
	"12. dozen",
	"WWW.EVIL.EXAMPLE HTTPS://EVIL.EXAMPLE",
	":smile: [^1]\n\n[^1]: foot",
}

// TestExportDataCannotCreateStructure: with hostile text in every data field, the export parses (goldmark
// with GFM) to the same structure as with plain text: no injected heading, rule, list item, link,
// autolink, image, HTML node or table cell, and the timeline table keeps three cells a row.
func TestExportDataCannotCreateStructure(t *testing.T) {
	for _, data := range hostileData {
		src := exportWith(data)
		if got := shape(src); got != placeholderShape {
			t.Errorf("data %q changes the export's structure:\n%s", data, src)
			continue
		}
		doc := gfm.Parse(text.NewReader(src))
		ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			if !entering {
				return ast.WalkContinue, nil
			}
			switch n := n.(type) {
			case *ast.Link, *ast.AutoLink, *ast.Image, *ast.RawHTML, *ast.HTMLBlock:
				t.Errorf("data %q: a %s in the export", data, n.Kind())
			case *east.TableRow:
				if n.ChildCount() != n.Parent().FirstChild().ChildCount() {
					t.Errorf("data %q: a table row with %d cells", data, n.ChildCount())
				}
			}
			return ast.WalkContinue, nil
		})
		if bytes.ContainsAny(src, "\x1b\x07\u202e") {
			t.Errorf("data %q: control characters in the export", data)
		}
	}
}

// TestExportKeepsTextReadable: what a reader sees is the data's text, and the Markdown source is not
// littered with escapes where none is needed.
func TestExportKeepsTextReadable(t *testing.T) {
	for in, want := range map[string]string{
		"p99 over 4.5s at 12:05, see web-01": "p99 over 4.5s at 12:05, see web-01",
		"https://x.example/a":                `https\://x.example/a`,
		"www.x.example":                      `www\.x.example`,
		"ops@x.example":                      `ops\@x.example`,
		"- item":                             `\- item`,
		"2026. year":                         `2026\. year`,
		"a\nb\tc":                            "a b c",
		"<b>|x|</b>":                         `\<b\>\|x\|\</b\>`,
	} {
		if got := escapeText(in); got != want {
			t.Errorf("escapeText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSectionHTMLShownAsText: the team's section Markdown is kept, its raw HTML is shown as text, and a '<'
// inside code is left alone.
func TestSectionHTMLShownAsText(t *testing.T) {
	in := "## Notes\n\n<script>alert(1)</script>\n\nSome *text* with <b>bold</b> and `a<b>` and <https://ok.example>.\n\n```\n<pre>kept</pre>\n```\n"
	got := escapeHTML(in)
	want := "## Notes\n\n&lt;script>alert(1)&lt;/script>\n\nSome *text* with &lt;b>bold&lt;/b> and `a<b>` and <https://ok.example>.\n\n```\n<pre>kept</pre>\n```\n"
	if got != want {
		t.Fatalf("escapeHTML:\n%s\nwant:\n%s", got, want)
	}
	doc := gfm.Parse(text.NewReader([]byte(got)))
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering && (n.Kind() == ast.KindRawHTML || n.Kind() == ast.KindHTMLBlock) {
			t.Errorf("raw HTML left: %q", n.Text([]byte(got)))
		}
		return ast.WalkContinue, nil
	})
}

// FuzzExportStructure: no data text changes the structure of the exported document (see shape).
func FuzzExportStructure(f *testing.F) {
	for _, s := range hostileData {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		if len(strings.Fields(data)) == 0 {
			return // every field refuses blank text
		}
		if got := shape(exportWith(data)); got != placeholderShape {
			t.Fatalf("data %q changes the export's structure:\n%s", data, exportWith(data))
		}
	})
}
