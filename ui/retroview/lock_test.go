package retroview

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/retro"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/ui/styles"
)

// TestPublishedIsLocked: a published retrospective's sections do not open for editing; the screen says
// why and what reopens it, and S (back to review, recorded) opens them again.
func TestPublishedIsLocked(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rs := &retro.Service{Incidents: e.service("alice")}
	for _, st := range []string{incident.RetroReview, incident.RetroPublished} {
		if err := rs.SetState(ctx, e.inc.ID, st, false); err != nil {
			t.Fatal(err)
		}
	}
	dr := newDriver(t, e, "alice", 80, 24)
	dr.m.cursor = 0 // summary
	dr.keys("enter")
	if dr.m.mode != modeList {
		t.Fatal("a section of a published retrospective opened for editing")
	}
	if !dr.m.msgErr || !strings.Contains(dr.m.msg, "published and its text is locked") || !strings.Contains(dr.m.msg, "firebreak retro state INC-1 review") {
		t.Fatalf("message %q", dr.m.msg)
	}
	if !strings.Contains(dr.plain(), "published and its text is locked") {
		t.Errorf("the screen does not say the text is locked:\n%s", dr.plain())
	}
	dr.keys("S")
	if dr.m.retro.State != incident.RetroReview {
		t.Fatalf("S: state %s", dr.m.retro.State)
	}
	events, err := e.db.Events(ctx, store.EventQuery{Incident: e.inc.ID, Kinds: []string{incident.KindRetroState}})
	if err != nil || len(events) != 3 || events[2].Text != "retrospective published → review" {
		t.Fatalf("reopening is not on the timeline: %v %+v", err, events)
	}
	dr.open("summary")
	dr.typeText(" Reworded.", 0)
	dr.keys("ctrl+s")
	if s := e.section("summary"); s.Version != 1 || !strings.HasSuffix(s.Text, "Reworded.") {
		t.Fatalf("after reopening: %+v", s)
	}
}

// TestPreviewNotWritten: an empty section previews as the export shows it, "Not written.", with its
// prompt as a quote for the writer; the whole document has no prompts.
func TestPreviewNotWritten(t *testing.T) {
	e := newEnv(t)
	dr := newDriver(t, e, "alice", 100, 40)
	for i, s := range dr.m.retro.Sections {
		if s.Slug == "trigger" {
			dr.m.cursor = i
		}
	}
	dr.keys("p")
	if v := dr.plain(); !strings.Contains(v, "Not written.") || !strings.Contains(v, "What set it off?") {
		t.Errorf("the trigger's preview:\n%s", v)
	}
	dr.keys("p") // the whole document
	md, _ := dr.m.markdownSource()
	if !strings.Contains(md, "## Trigger\n\n_Not written._") || strings.Contains(md, "What set it off?") {
		t.Errorf("the whole document's preview source:\n%s", md)
	}
}

// TestRulesFileErrorShown: a team's rules file that is not right does not stop the screen: it says what
// is wrong and checks with the built-in rules.
func TestRulesFileErrorShown(t *testing.T) {
	e := newEnv(t)
	d := e.deps("alice")
	d.RetroRulesErr = errors.New("team.toml:4:11: rule.pattern: not a regular expression")
	m := New(d, styles.New(), e.inc)
	if !m.msgErr || !strings.Contains(m.msg, "team.toml:4:11") {
		t.Errorf("message %q", m.msg)
	}
	if fs := m.check("summary", "It was all bobs fault"); len(fs) != 1 || fs[0].Rule != "fault" {
		t.Errorf("findings with the built-in rules: %+v", fs)
	}
}
