package retro

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/incidenttest"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fixedClock ticks one minute per call from a fixed start, so exports are the same on every run.
func fixedClock() func() time.Time {
	t := time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Minute); return t }
}

func newRetro(t testing.TB, actor string) (*Service, *incident.Service) {
	t.Helper()
	db, err := engine.Open(context.Background(), filepath.Join(t.TempDir(), "fb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := fixedClock()
	inc := &incident.Service{DB: db, Actor: incident.ParseActor(actor), Now: clock}
	return &Service{Incidents: inc, Now: clock}, inc
}

// hostileIncident is an incident whose texts are full of Markdown metacharacters, pipes, HTML and non-ASCII.
func hostileIncident(t *testing.T) (*Service, int64) {
	ctx := context.Background()
	rs, s := newRetro(t, "root as alice")
	inc, err := s.Declare(ctx, "Checkout | p99 <b>4s</b> *après* `deploy` [link](x) # naïve", incident.SEV2, true)
	if err != nil {
		t.Fatal(err)
	}
	s.AssignRole(ctx, inc.ID, incident.Commander, "alice")
	ev, _ := s.Note(ctx, inc.ID, "error | rate <script>alert(1)</script> at 3% — ünïcödé _x_ \\ ~~y~~")
	s.Star(ctx, inc.ID, ev.Seq, true)
	s.SetMilestone(ctx, inc.ID, incident.ImpactStarted, time.Date(2026, 11, 21, 1, 50, 0, 0, time.UTC), "LB logs")
	s.SetStatus(ctx, inc.ID, incident.Monitoring)
	s.SetStatus(ctx, inc.ID, incident.Resolved)
	rs.Save(ctx, inc.ID, "summary", 0, "The cache | layer <em>stalled</em>; `redis` hit *maxmemory*.\n\n- item one\n- item two")
	rs.Save(ctx, inc.ID, "went-well", 0, "Paging worked: 2 minutes to ack. 日本語 too.")
	rs.SaveAction(ctx, inc.ID, Action{Text: "Alert on | evictions > 0 <soon>", Owner: "bob", Ticket: "OPS-12", Due: "2026-12-01", Kind: "detect"}, false)
	rs.SaveAction(ctx, inc.ID, Action{Text: "Raise maxmemory", Kind: "mitigate", Done: true}, false)
	return rs, inc.ID
}

func TestMarkdownGolden(t *testing.T) {
	rs, id := hostileIncident(t)
	r, err := rs.Load(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "hostile.md")
	if *update {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(golden, b.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if b.String() != string(want) {
		t.Fatalf("export differs from %s (go test -update rewrites it):\n%s", golden, b.String())
	}
}

// TestMarkdownParsesAsGFM parses the export with a CommonMark/GFM parser and checks its structure: the
// sections are headings, the timeline is a table with the right cells, action items are a task list, and
// hostile text stays text (no HTML, no stray formatting, no broken table).
func TestMarkdownParsesAsGFM(t *testing.T) {
	rs, id := hostileIncident(t)
	r, _ := rs.Load(context.Background(), id)
	var b bytes.Buffer
	r.Markdown(&b)
	src := b.Bytes()
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	doc := md.Parser().Parse(text.NewReader(src))

	var headings []string
	var tables []*east.Table
	var tasks []bool
	var rawHTML []string
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			headings = append(headings, cellText(n, src))
		case *east.Table:
			tables = append(tables, n)
		case *east.TaskCheckBox:
			tasks = append(tasks, n.IsChecked)
		case *ast.RawHTML, *ast.HTMLBlock:
			rawHTML = append(rawHTML, string(n.Text(src)))
		}
		return ast.WalkContinue, nil
	})
	if headings[0] != "Retrospective: INC-1 Checkout | p99 <b>4s</b> *après* `deploy` [link](x) # naïve" {
		t.Errorf("title heading %q", headings[0])
	}
	for _, sec := range DefaultTemplate {
		found := false
		for _, h := range headings {
			found = found || h == sec.Title
		}
		if !found {
			t.Errorf("no heading for section %q in %v", sec.Title, headings)
		}
	}
	// The team's own Markdown passes through as they wrote it, but its raw HTML (the summary's <em>) shows
	// as text; text that came from data (titles, notes, action items) never becomes HTML either.
	if len(rawHTML) > 0 {
		t.Errorf("raw HTML in the export: %q", rawHTML)
	}
	if !strings.Contains(b.String(), "layer &lt;em>stalled&lt;/em>;") {
		t.Error("the summary's <em> is not shown as text")
	}
	// Tables: the facts, the metrics, the timeline. The timeline row keeps the note's text in one cell.
	var timeline *east.Table
	for _, tb := range tables {
		if h := tb.FirstChild(); h != nil && strings.Contains(string(h.Text(src)), "Who") {
			timeline = tb
		}
	}
	if timeline == nil {
		t.Fatalf("no timeline table among %d tables", len(tables))
	}
	// The starred note's row, among the key events around it.
	var whats []string
	for row := timeline.FirstChild().NextSibling(); row != nil; row = row.NextSibling() {
		if row.ChildCount() != 3 {
			t.Fatalf("timeline row has %d cells, want 3", row.ChildCount())
		}
		whats = append(whats, cellText(row.LastChild(), src))
	}
	if !slices.Contains(whats, `error | rate <script>alert(1)</script> at 3% — ünïcödé _x_ \ ~~y~~`) {
		t.Errorf("timeline cells %q: the note is not one of them as written", whats)
	}
	if len(tasks) != 2 || tasks[0] || !tasks[1] {
		t.Errorf("task list checkboxes %v: want the two action items, open then done", tasks)
	}
	if !strings.Contains(b.String(), "**DRILL**") {
		t.Error("a drill is not labelled")
	}
}

// cellText is a cell's text with escapes resolved, as a reader sees it.
func cellText(n ast.Node, src []byte) string {
	var b strings.Builder
	ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			if t, ok := c.(*ast.Text); ok {
				b.Write(t.Segment.Value(src))
				if t.SoftLineBreak() {
					b.WriteByte(' ')
				}
			}
			if s, ok := c.(*ast.String); ok {
				b.Write(s.Value)
			}
		}
		return ast.WalkContinue, nil
	})
	return string(util.UnescapePunctuations([]byte(b.String())))
}

func TestSaveKeepsBothTextsOnConflict(t *testing.T) {
	ctx := context.Background()
	alice, s := newRetro(t, "root as alice")
	inc, _ := s.Declare(ctx, "t", incident.SEV3, false)
	bob := &Service{Incidents: &incident.Service{DB: s.DB, Actor: incident.ParseActor("root as bob")}}
	// Both open the prefilled draft (version 0); alice saves first, then bob.
	if res, err := alice.Save(ctx, inc.ID, "trigger", 0, "A cron job rotated the keys."); err != nil || res.Conflict || res.Version != 1 {
		t.Fatalf("alice: %+v %v", res, err)
	}
	res, err := bob.Save(ctx, inc.ID, "trigger", 0, "The key rotation at 02:00.")
	if err != nil || !res.Conflict || res.Other != "root as alice" || res.Version != 2 {
		t.Fatalf("bob: %+v %v", res, err)
	}
	r, _ := alice.Load(ctx, inc.ID)
	sec, _ := r.Section("trigger")
	if !sec.Conflict || !strings.Contains(sec.Text, "A cron job rotated the keys.") || !strings.Contains(sec.Text, "The key rotation at 02:00.") {
		t.Fatalf("conflict version: %+v", sec)
	}
	// Merging from the newest version is an ordinary save; every version stays.
	if res, _ := alice.Save(ctx, inc.ID, "trigger", sec.Version, "The 02:00 cron job rotated the keys."); res.Conflict {
		t.Fatal("a save from the newest version is not a conflict")
	}
	hist, _ := s.DB.RetroHistory(ctx, inc.ID, "trigger")
	if len(hist) != 3 {
		t.Fatalf("%d versions, want 3 (nothing typed is lost)", len(hist))
	}
	if _, err := alice.Save(ctx, inc.ID, "nope", 0, "x"); err == nil {
		t.Fatal("an unknown section was accepted")
	}
}

func TestPrefillAndStates(t *testing.T) {
	ctx := context.Background()
	rs, s := newRetro(t, "root as alice")
	inc, _ := s.Declare(ctx, "empty", incident.SEV4, false)
	r, err := rs.Load(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing but the declaration: every section exists, the timeline has the declaration, export works.
	if len(r.Sections) != len(DefaultTemplate) || len(r.Timeline) != 1 || r.State != "draft" {
		t.Fatalf("%+v", r)
	}
	var b bytes.Buffer
	if err := r.Markdown(&b); err != nil || !strings.Contains(b.String(), "## Action items") {
		t.Fatalf("export of an empty incident: %v\n%s", err, b.String())
	}
	var j map[string]any
	b.Reset()
	r.JSON(&b)
	if err := json.Unmarshal(b.Bytes(), &j); err != nil || j["incident"] != "INC-1" {
		t.Fatalf("json: %v %v", err, j["incident"])
	}
	if err := rs.SetState(ctx, inc.ID, "published", false); err == nil {
		t.Fatal("draft -> published skipped review")
	}
	rs.SetState(ctx, inc.ID, "review", false)
	rs.Save(ctx, inc.ID, "went-wrong", 0, "It was careless.")
	if err := rs.SetState(ctx, inc.ID, "published", false); err == nil {
		t.Fatal("published despite a blameless finding")
	}
	rs.Save(ctx, inc.ID, "went-wrong", 1, "The config had no validation.")
	if err := rs.SetState(ctx, inc.ID, "published", false); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx, inc.ID)
	if got.RetroState != "published" {
		t.Fatalf("state %q", got.RetroState)
	}
}

// TestExportLargeIncident exports an incident with 200,000 events and reports how long it takes.
func TestExportLargeIncident(t *testing.T) {
	if testing.Short() {
		t.Skip("200,000 events: run without -short")
	}
	ctx := context.Background()
	rs, s := newRetro(t, "root")
	if err := incidenttest.Generate(ctx, s.DB, incidenttest.Spec{Incidents: 1, Events: 200_000, Open: 1}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r, err := rs.Load(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	t.Logf("exported a 200,000-event incident in %v (%d bytes of Markdown)", time.Since(start), b.Len())
	if r.Incident.Events < 199_000 || !strings.Contains(b.String(), "## Timeline") {
		t.Fatalf("%d events", r.Incident.Events)
	}
}

// Every saved version (a conflict included) and every action item change is on the chain: Verify finds each
// row's event, and the incident's projection still replays.
func TestSavesAreOnTheChain(t *testing.T) {
	ctx := context.Background()
	alice, is := newRetro(t, "alice")
	inc, err := is.Declare(ctx, "keys rotated", incident.SEV2, false)
	if err != nil {
		t.Fatal(err)
	}
	alice.Save(ctx, inc.ID, "trigger", 0, "A cron job.")
	alice.Save(ctx, inc.ID, "trigger", 0, "The 02:00 cron job.") // a conflict with version 1
	n, _ := alice.SaveAction(ctx, inc.ID, Action{Text: "Alert", Owner: "bob"}, false)
	alice.SaveAction(ctx, inc.ID, Action{Item: n, Text: "Alert", Done: true}, false)
	alice.SaveAction(ctx, inc.ID, Action{Item: n}, true)
	if legacy, err := Verify(ctx, is.DB, inc.ID); err != nil || legacy != 0 {
		t.Fatalf("Verify: %d legacy, %v", legacy, err)
	}
	if err := incident.VerifyProjection(ctx, is.DB, inc.ID); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	events, _ := is.DB.Events(ctx, store.EventQuery{Incident: inc.ID})
	for _, ev := range events {
		kinds[ev.Kind]++
	}
	if kinds[incident.KindRetroSaved] != 2 || kinds[incident.KindActionItem] != 3 {
		t.Errorf("event kinds %v: want 2 retro_saved and 3 action_item", kinds)
	}
}

// TestActionItemFieldsAreOneLine: an owner, ticket or text with a line break would start another item of
// the action list; it is refused.
func TestActionItemFieldsAreOneLine(t *testing.T) {
	ctx := context.Background()
	rs, s := newRetro(t, "root as alice")
	inc, err := s.Declare(ctx, "db down", incident.SEV2, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []Action{
		{Text: "add an alert", Owner: "alice\n- [x] forged item"},
		{Text: "add an alert", Ticket: "OPS-1\n\n# Heading"},
		{Text: "add an alert\n---"},
		{Text: "add an alert", Owner: "bob\x1b]52;c;eA==\x07"},
	} {
		if _, err := rs.SaveAction(ctx, inc.ID, a, false); !errors.Is(err, incident.ErrInvalid) || strings.Contains(err.Error(), "\n") {
			t.Errorf("SaveAction(%+v): %v, want a one-line ErrInvalid", a, err)
		}
	}
	if _, err := rs.SaveAction(ctx, inc.ID, Action{Text: "add an alert", Owner: " alice ", Ticket: "OPS-1"}, false); err != nil {
		t.Fatal(err)
	}
}

// TestSaveRefusesWhatIsNotText: a section is text; a NUL byte or invalid UTF-8 (a binary file piped to
// retro set -) is refused with a message, on every engine alike, and nothing is saved.
func TestSaveRefusesWhatIsNotText(t *testing.T) {
	rs, is := newRetro(t, "alice")
	ctx := context.Background()
	inc, err := is.Declare(ctx, "binary", incident.SEV3, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"a\x00b", "caf\xe9"} {
		_, err := rs.Save(ctx, inc.ID, "summary", 0, text)
		if !errors.Is(err, incident.ErrInvalid) {
			t.Errorf("Save(%q) = %v, want ErrInvalid", text, err)
		}
	}
	r, err := rs.Load(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range r.Sections {
		if sec.Version != 0 {
			t.Errorf("section %s was saved (version %d)", sec.Slug, sec.Version)
		}
	}
}

// BenchmarkExportLargeIncident loads and exports the retrospective of a 200,000-event incident with 50
// starred events (the key events plus the starred ones are read, not the whole timeline).
func BenchmarkExportLargeIncident(b *testing.B) {
	ctx := context.Background()
	rs, s := newRetro(b, "root")
	if err := incidenttest.Generate(ctx, s.DB, incidenttest.Spec{Incidents: 1, Events: 200_000, Open: 1}); err != nil {
		b.Fatal(err)
	}
	for seq := int64(1000); seq < 200_000; seq += 4000 {
		if _, _, err := s.Star(ctx, 1, seq, true); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		r, err := rs.Load(ctx, 1)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := r.Markdown(&buf); err != nil {
			b.Fatal(err)
		}
	}
}
