package runview

import (
	"encoding/json"
	"strings"
	"testing"

	udiff "github.com/aymanbagabas/go-udiff"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/incident"
)

func TestAdhocVersionsAreHashedDiffedAndRecorded(t *testing.T) {
	e := newEnv(t, incident.SEV2, "")
	m := e.model(Target{AdHoc: true})
	runSync(m, m.Init())
	if v := ansi.Strip(m.View()); !strings.Contains(v, "No script yet. e opens $EDITOR") {
		t.Fatalf("empty script view:\n%s", v)
	}
	if cmd := m.applyEdit("script", "   \n"); cmd != nil || m.script.current() != nil {
		t.Fatal("an empty script became a version")
	}
	v1 := "systemctl restart nginx\necho done\n"
	runSync(m, m.applyEdit("script", v1))
	runSync(m, m.applyEdit("script", v1)) // unchanged: no new version
	v2 := "set -eu\nsystemctl restart nginx\necho restarted\n"
	runSync(m, m.applyEdit("script", v2))
	if n := len(m.script.versions); n != 2 {
		t.Fatalf("%d versions", n)
	}
	view := ansi.Strip(m.View())
	for _, want := range []string{"Ad-hoc script v2 of 2", "sha256 " + hashText(v2)[:12], "diff to v1 (3 lines changed)",
		"+set -eu", "-echo done", "+echo restarted", " systemctl restart nginx"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	m.Update(press("left"))
	if v := ansi.Strip(m.View()); !strings.Contains(v, "Ad-hoc script v1 of 2") {
		t.Errorf("left does not show v1:\n%s", v)
	}
	evs := kinds(t, e, KindScriptSaved)
	if len(evs) != 2 {
		t.Fatalf("%d script_saved events", len(evs))
	}
	if !strings.Contains(evs[1].Text, "v2 saved (sha256 "+hashText(v2)[:12]+", 3 lines changed from v1)") {
		t.Errorf("event text %q", evs[1].Text)
	}
	var raw map[string]any
	if err := json.Unmarshal(evs[1].Data, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["hash"] != hashText(v2) || raw["text"] != v2 || raw["previous_hash"] != hashText(v1) ||
		!strings.Contains(raw["diff"].(string), "--- v1\n+++ v2\n@@ -1,2 +1,3 @@\n+set -eu\n systemctl restart nginx\n-echo done\n+echo restarted\n") {
		t.Errorf("event data %s", evs[1].Data)
	}
	// Saving needs a successful run first.
	m.Update(press("W"))
	if m.script.save != nil || !strings.Contains(m.msg, "save it when it worked") {
		t.Errorf("saved before it worked: %q", m.msg)
	}
	checkFits(t, m.View(), 80, 24)
	m.SetSize(40, 10)
	checkFits(t, m.View(), 40, 10)
}

func TestScriptDiff(t *testing.T) {
	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n"
	b := "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n"
	got, n := scriptDiff("a", "b", a, b)
	want := "--- a\n+++ b\n@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n@@ -10,3 +10,4 @@\n 10\n 11\n 12\n+13\n"
	if got != want || n != 3 {
		t.Errorf("diff (%d changed):\n%s\nwant (3 changed):\n%s", n, got, want)
	}
	if got, n := scriptDiff("a", "b", a, a); got != "" || n != 0 {
		t.Errorf("identical texts differ: %d %q", n, got)
	}
	if got, n := scriptDiff("a", "b", "", "x\n"); got != "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n" || n != 1 {
		t.Errorf("from empty: %d %q", n, got)
	}
	// A missing last newline is no changed line.
	if got, n := scriptDiff("a", "b", "echo one", "echo one\necho two"); got != "--- a\n+++ b\n@@ -1 +1,2 @@\n echo one\n+echo two\n" || n != 1 {
		t.Errorf("without the last newline: %d %q", n, got)
	}
	if _, n := scriptDiff("a", "b", "x\ny\n", "x\ny"); n != 0 {
		t.Errorf("only the last newline differs: %d changed", n)
	}
	// The line edits turn the one text into the other, whatever the lines.
	for _, p := range [][2]string{{"a\nb\nc\n", "c\nb\na\n"}, {"é\nß\n", "ß\né\nö\n"}, {"x\n", ""}, {"a\na\na\n", "a\n"}} {
		if got, err := udiff.Apply(p[0], lineEdits(p[0], p[1])); err != nil || got != p[1] {
			t.Errorf("%q to %q gave %q, %v", p[0], p[1], got, err)
		}
	}
}

// TestAdhocScriptBelongsToTheIncident: leaving the ad-hoc screen and coming back finds the script where it
// was, numbered on; saving the same text again is no new version.
func TestAdhocScriptBelongsToTheIncident(t *testing.T) {
	e := newEnv(t, incident.SEV3, "")
	m := e.model(Target{AdHoc: true})
	runSync(m, m.Init())
	runSync(m, m.newVersion("echo one"))
	runSync(m, m.newVersion("echo two"))
	runSync(m, m.newVersion("echo two")) // unchanged: no v3
	if n := len(m.script.versions); n != 2 {
		t.Fatalf("%d versions, want 2", n)
	}
	again := e.model(Target{AdHoc: true}) // the screen left and opened again
	runSync(again, again.Init())
	if v := again.script.current(); v == nil || v.n != 2 || v.text != "echo two" {
		t.Fatalf("back on the screen: %+v", v)
	}
	runSync(again, again.newVersion("echo three"))
	if v := again.script.current(); v.n != 3 {
		t.Fatalf("numbering restarted: v%d", v.n)
	}
}

// TestNewVersionStartsThePickerFresh: the host pattern and the real-run mode chosen for v1 do not carry
// over to v2.
func TestNewVersionStartsThePickerFresh(t *testing.T) {
	e := newEnv(t, incident.SEV3, "")
	m := e.model(Target{Command: "echo v1", AdHoc: true})
	runSync(m, m.Init())
	m.Update(press("enter"))
	typeText(m, "web")
	m.Update(press("ctrl+d"))
	if m.pick.dry || m.pick.pattern.Value() != "web" {
		t.Fatalf("setup: dry %v pattern %q", m.pick.dry, m.pick.pattern.Value())
	}
	runSync(m, m.newVersion("echo v2"))
	if !m.pick.dry || m.pick.pattern.Value() != "" || !m.pick.ready {
		t.Fatalf("after v2: dry %v pattern %q ready %v", m.pick.dry, m.pick.pattern.Value(), m.pick.ready)
	}
}

// TestAdhocNoEditor: where no editor may run (a console served over SSH), e, k and b say why and open
// nothing.
func TestAdhocNoEditor(t *testing.T) {
	e := newEnv(t, incident.SEV2, "")
	e.d.NoEditor = "no editor over SSH"
	m := e.model(Target{AdHoc: true})
	runSync(m, m.Init())
	for _, k := range []string{"e", "k", "b"} {
		m.msg = ""
		if _, cmd := m.Update(press(k)); cmd != nil {
			t.Errorf("%s returned a command (an editor?)", k)
		}
		if m.msg != "no editor over SSH" || !m.msgErr {
			t.Errorf("%s: message %q", k, m.msg)
		}
	}
}
