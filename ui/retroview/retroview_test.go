package retroview

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/retro"
	"github.com/firebreak/firebreak/ui/styles"
)

// TestAutosaveDebounce: list → editor → typing; the text is in the database 2 s after the last keystroke,
// not before, and the base moves to the saved version.
func TestAutosaveDebounce(t *testing.T) {
	e := newEnv(t)
	dr := newDriver(t, e, "alice", 80, 24)
	if dr.m.retro == nil {
		t.Fatal("not loaded")
	}
	if !strings.Contains(dr.plain(), "Summary") || !strings.Contains(dr.plain(), "prefilled draft") {
		t.Fatalf("section list:\n%s", dr.plain())
	}
	dr.open("summary")
	if !dr.m.InputFocused() {
		t.Fatal("the editor does not take the keys")
	}
	before := dr.m.ed.ta.Value()
	dr.typeText("\nThe cache expired all at once.", 100*time.Millisecond)
	want := dr.m.ed.ta.Value()
	if !strings.HasSuffix(want, "The cache expired all at once.") || want == before {
		t.Fatalf("editor text %q", want)
	}
	if s := e.section("summary"); s.Version != 0 {
		t.Fatalf("saved while typing (debounce): version %d", s.Version)
	}
	dr.advance(1900 * time.Millisecond)
	if s := e.section("summary"); s.Version != 0 {
		t.Fatalf("saved %v after the last key, before the debounce", 1900*time.Millisecond)
	}
	dr.advance(200 * time.Millisecond)
	s := e.section("summary")
	if s.Version != 1 || s.Text != want || s.Author != "ops as alice" {
		t.Fatalf("after the debounce: version %d by %q, text %q (want %q)", s.Version, s.Author, s.Text, want)
	}
	if dr.m.ed.sv.base != 1 || dr.m.ed.dirty() {
		t.Fatalf("base %d, dirty %v", dr.m.ed.sv.base, dr.m.ed.dirty())
	}
	// More typing saves as version 2 from base 1: no conflict with ourselves.
	dr.typeText(" Again.", 50*time.Millisecond)
	dr.advance(3 * time.Second)
	s = e.section("summary")
	if s.Version != 2 || s.Conflict || !strings.HasSuffix(s.Text, "Again.") || dr.m.ed.sv.base != 2 {
		t.Fatalf("second save: version %d conflict %v base %d text %q", s.Version, s.Conflict, dr.m.ed.sv.base, s.Text)
	}
	if !strings.Contains(dr.plain(), "saved v2") {
		t.Fatalf("the editor does not say it saved:\n%s", dr.plain())
	}
	// esc leaves the editor; the list shows the version and who wrote it.
	dr.keys("esc")
	if dr.m.mode != modeList || dr.m.InputFocused() {
		t.Fatal("esc did not leave the editor")
	}
	if !strings.Contains(dr.plain(), "v2 by alice") {
		t.Fatalf("list after saving:\n%s", dr.plain())
	}
}

// TestAutosaveContinuousTyping: typing without a pause is saved at most every 5 s (maxWait), not only when
// it stops.
func TestAutosaveContinuousTyping(t *testing.T) {
	e := newEnv(t)
	dr := newDriver(t, e, "alice", 80, 24)
	dr.open("impact")
	start := e.clock.Now()
	var firstSave time.Time
	for i := 0; i < 200 && firstSave.IsZero(); i++ { // a key every 100 ms: the debounce never runs out
		dr.typeText("x", 100*time.Millisecond)
		if e.section("impact").Version > 0 {
			firstSave = e.clock.Now()
		}
	}
	if firstSave.IsZero() {
		t.Fatal("nothing saved in 20 s of continuous typing")
	}
	if d := firstSave.Sub(start); d > 5200*time.Millisecond {
		t.Fatalf("first save %v after typing began", d)
	}
}

// TestEscSavesAtOnce: esc from the editor saves without waiting for the debounce.
func TestEscSavesAtOnce(t *testing.T) {
	e := newEnv(t)
	dr := newDriver(t, e, "alice", 80, 24)
	dr.open("trigger")
	dr.typeText("A config push.", 10*time.Millisecond)
	dr.keys("esc")
	if s := e.section("trigger"); s.Version != 1 || !strings.HasSuffix(s.Text, "A config push.") {
		t.Fatalf("after esc: version %d text %q", s.Version, s.Text)
	}
	if _, ok := dr.m.editors["trigger"]; ok {
		t.Fatal("a saved editor is kept after esc")
	}
}

// TestFlush: the root's Flush saves what is typed now, in the command it returns.
func TestFlush(t *testing.T) {
	e := newEnv(t)
	dr := newDriver(t, e, "alice", 80, 24)
	dr.open("lucky")
	dr.typeText("It happened at 3 pm, not 3 am.", 10*time.Millisecond)
	cmd := dr.m.Flush()
	if cmd == nil {
		t.Fatal("Flush with unsaved text returned no command")
	}
	cmd() // the root quits after this: the save must be done by now
	if s := e.section("lucky"); s.Version != 1 || !strings.HasSuffix(s.Text, "not 3 am.") {
		t.Fatalf("after Flush: version %d text %q", s.Version, s.Text)
	}
	if dr.m.Flush() != nil {
		t.Fatal("a second Flush has something to save")
	}
}

// TestConflictKeepsBoth: alice and bob edit the same section from the same version; bob saves second,
// sees the conflict loudly, and gets both texts to merge; his merge saves without a new conflict.
func TestConflictKeepsBoth(t *testing.T) {
	e := newEnv(t)
	alice := newDriver(t, e, "alice", 80, 24)
	bob := newDriver(t, e, "bob", 80, 24)
	alice.open("contributing-factors")
	bob.open("contributing-factors")
	alice.keys("ctrl+u") // clear the prompt line
	bob.keys("ctrl+u")
	alice.typeText("The TTLs were identical.", 10*time.Millisecond)
	bob.typeText("No jitter on cache expiry.", 10*time.Millisecond)
	alice.advance(3 * time.Second)
	if s := e.section("contributing-factors"); s.Version != 1 || s.Conflict {
		t.Fatalf("alice's save: version %d conflict %v", s.Version, s.Conflict)
	}
	bob.advance(3 * time.Second)
	s := e.section("contributing-factors")
	if s.Version != 2 || !s.Conflict || !strings.Contains(s.Text, "The TTLs were identical.") || !strings.Contains(s.Text, "No jitter on cache expiry.") {
		t.Fatalf("bob's save: version %d conflict %v text %q", s.Version, s.Conflict, s.Text)
	}
	view := bob.plain()
	if !strings.Contains(view, "CONFLICT") || !strings.Contains(view, "ops as alice saved") {
		t.Fatalf("bob's screen does not say who saved first:\n%s", view)
	}
	if got := bob.m.ed.ta.Value(); got != s.Text {
		t.Fatalf("bob's editor was not reloaded with both texts:\n%q\nwant\n%q", got, s.Text)
	}
	// bob merges: keeps both sentences, drops the markers.
	bob.m.ed.ta.SetValue("The TTLs were identical. No jitter on cache expiry.")
	bob.keys(" ")
	bob.advance(3 * time.Second)
	s = e.section("contributing-factors")
	if s.Version != 3 || s.Conflict || s.Text != "The TTLs were identical. No jitter on cache expiry. " {
		t.Fatalf("bob's merge: version %d conflict %v text %q", s.Version, s.Conflict, s.Text)
	}
	bob.keys("esc")
	if !strings.Contains(bob.plain(), "v3 by bob") {
		t.Fatalf("list after the merge:\n%s", bob.plain())
	}
	// alice's list shows the conflict version after a reload.
	alice.keys("esc", "r")
	if !strings.Contains(alice.plain(), "v3 by bob") {
		t.Fatalf("alice's list:\n%s", alice.plain())
	}
}

// TestConflictWhileTyping: text typed while the conflicting save was on its way stays in the editor.
func TestConflictWhileTyping(t *testing.T) {
	e := newEnv(t)
	alice := newDriver(t, e, "alice", 80, 24)
	bob := newDriver(t, e, "bob", 80, 24)
	alice.open("trigger")
	bob.open("trigger")
	alice.typeText("A.", 10*time.Millisecond)
	alice.keys("ctrl+s")
	bob.typeText("B.", 10*time.Millisecond)
	// bob's save is sent, then he types more before its answer is applied.
	job := bob.m.dispatch(bob.m.ed)
	msg := job()
	bob.typeText(" More.", 10*time.Millisecond)
	bob.deliver(msg)
	v := bob.m.ed.ta.Value()
	if !strings.Contains(v, "B. More.") || !strings.Contains(v, "A.") || !strings.Contains(v, "<<<<<<<") {
		t.Fatalf("bob's editor after the conflict: %q", v)
	}
	bob.advance(3 * time.Second)
	s := e.section("trigger")
	if !strings.Contains(s.Text, "B. More.") || s.Version != 3 {
		t.Fatalf("the typing during the save: version %d %q", s.Version, s.Text)
	}
}

// TestFindings: a blaming sentence is marked in the editor's gutter and listed with a suggestion; the list
// counts it; the preview marks it too.
func TestFindings(t *testing.T) {
	e := newEnv(t)
	dr := newDriver(t, e, "alice", 80, 24)
	dr.open("went-wrong")
	dr.keys("ctrl+u")
	dr.typeText("The restart went fine.\nBob should have checked the dashboard.", 10*time.Millisecond)
	if len(dr.m.ed.findings) == 0 {
		t.Fatal("no findings for a blaming sentence")
	}
	view := dr.plain()
	if !strings.Contains(view, "! L2:") || !strings.Contains(view, `"should have"`) || !strings.Contains(view, "try: ") {
		t.Fatalf("findings not listed:\n%s", view)
	}
	var marked []string
	for _, l := range strings.Split(view, "\n") {
		if strings.HasPrefix(l, "! ") && !strings.HasPrefix(l, "! L") {
			marked = append(marked, l)
		}
	}
	if len(marked) != 1 || !strings.Contains(marked[0], "should have checked") {
		t.Fatalf("gutter marks %q:\n%s", marked, view)
	}
	dr.keys("tab")
	if dr.m.mode != modePreview || !strings.Contains(dr.plain(), "should have") {
		t.Fatalf("tab: preview\n%s", dr.plain())
	}
	marked = nil
	for _, l := range strings.Split(dr.plain(), "\n") {
		if strings.HasPrefix(l, "! ") && strings.Contains(l, "should have checked") {
			marked = append(marked, l)
		}
	}
	if len(marked) != 1 {
		t.Fatalf("preview gutter:\n%s", dr.plain())
	}
	dr.keys("tab", "esc")
	dr.advance(0)
	if !strings.Contains(dr.plain(), "finding") {
		t.Fatalf("list without the finding count:\n%s", dr.plain())
	}
}

// TestWrapRowsMatchesTextarea: the gutter wraps lines the way the textarea does.
func TestWrapRowsMatchesTextarea(t *testing.T) {
	e := newEnv(t)
	dr := newDriver(t, e, "alice", 40, 20)
	dr.open("summary")
	ta := &dr.m.ed.ta
	for _, s := range []string{"", "a", "short line", strings.Repeat("word ", 30), strings.Repeat("x", 100),
		"a " + strings.Repeat("y", 60) + " b", "naïve café 日本語のテキスト " + strings.Repeat("長い", 40), strings.Repeat(" ", 50)} {
		ta.SetValue(s)
		if got, want := wrapRows([]rune(s), ta.Width()), ta.LineInfo().Height; got != want {
			t.Errorf("%q: %d rows, the textarea has %d", s, got, want)
		}
	}
}

// TestResize: 80x24 → 40x10 → 80x24 in every mode: no line wider than the screen, no more lines.
func TestResize(t *testing.T) {
	e := newEnv(t)
	dr := newDriver(t, e, "alice", 80, 24)
	sizes := [][2]int{{80, 24}, {40, 10}, {20, 5}, {1, 1}, {80, 24}, {40, 10}, {80, 24}}
	check := func(what string) {
		for _, s := range sizes {
			dr.m.SetSize(s[0], s[1])
			checkFits(t, dr.m.View(), s[0], s[1])
		}
		if !strings.Contains(dr.plain(), what) {
			t.Fatalf("back at 80x24, no %q:\n%s", what, dr.plain())
		}
	}
	check("Summary")
	dr.keys("p")
	check("Preview")
	dr.keys("p")
	check("whole document")
	dr.keys("esc")
	dr.open("went-wrong")
	dr.typeText("Bob should have known. "+strings.Repeat("long text ", 40), time.Millisecond)
	check("Edit")
	dr.keys("esc", "a")
	check("New action item")
}

// TestStateAndPublishWithFindings: s moves draft → review; publishing with findings asks, n keeps it in
// review, y publishes anyway.
func TestStateAndPublishWithFindings(t *testing.T) {
	e := newEnv(t)
	dr := newDriver(t, e, "alice", 80, 24)
	dr.open("went-wrong")
	dr.typeText("The deploy was careless.", time.Millisecond)
	dr.keys("esc", "s")
	if dr.m.retro.State != incident.RetroReview {
		t.Fatalf("state %s, msg %q", dr.m.retro.State, dr.m.msg)
	}
	dr.keys("s")
	if dr.m.confirm == nil || !strings.Contains(dr.plain(), "blameless findings") || !strings.Contains(dr.plain(), "Publish anyway?") {
		t.Fatalf("publishing with findings did not ask:\n%s", dr.plain())
	}
	dr.keys("n")
	if e.load().State != incident.RetroReview {
		t.Fatal("n published")
	}
	dr.keys("s", "y")
	if st := e.load().State; st != incident.RetroPublished || dr.m.retro.State != incident.RetroPublished {
		t.Fatalf("y: state %s", st)
	}
	dr.keys("S")
	if e.load().State != incident.RetroReview {
		t.Fatal("S did not reopen for review")
	}
}

// TestActionItems: add one with owner, ticket, due date and kind; toggle it done; remove it.
func TestActionItems(t *testing.T) {
	e := newEnv(t)
	dr := newDriver(t, e, "alice", 80, 24)
	dr.keys("a")
	if dr.m.mode != modeAction || !dr.m.InputFocused() {
		t.Fatal("a did not open the form")
	}
	dr.typeText("Add jitter to cache TTLs", 0)
	dr.keys("tab")
	dr.typeText("bob", 0)
	dr.keys("tab")
	dr.typeText("OPS-42", 0)
	dr.keys("tab")
	dr.typeText("2025-04-01", 0)
	dr.keys("tab")
	dr.deliver(keyRight())
	dr.keys("enter")
	r := e.load()
	if len(r.Actions) != 1 {
		t.Fatalf("actions %+v (msg %q)", r.Actions, dr.m.msg)
	}
	a := r.Actions[0]
	if a.Text != "Add jitter to cache TTLs" || a.Owner != "bob" || a.Ticket != "OPS-42" || a.Due != "2025-04-01" || a.Kind != "prevent" || a.Done {
		t.Fatalf("action %+v", a)
	}
	if dr.m.mode != modeList || !strings.Contains(dr.plain(), "[ ] 1. Add jitter") {
		t.Fatalf("list:\n%s", dr.plain())
	}
	dr.m.cursor = len(dr.m.retro.Sections)
	dr.keys("space")
	if !e.load().Actions[0].Done || !strings.Contains(dr.plain(), "[x] 1. Add jitter") {
		t.Fatalf("space did not mark it done:\n%s", dr.plain())
	}
	dr.keys("d")
	if dr.m.confirm == nil {
		t.Fatal("d did not ask")
	}
	dr.keys("y")
	if n := len(e.load().Actions); n != 0 {
		t.Fatalf("%d actions after removing", n)
	}
	// A bad due date is refused with the service's words, and the form keeps what was typed.
	dr.keys("a")
	dr.typeText("Write a runbook", 0)
	dr.keys("tab", "tab", "tab")
	dr.typeText("next week", 0)
	dr.keys("enter")
	if dr.m.mode != modeAction || !strings.Contains(dr.plain(), "YYYY-MM-DD") || !dr.m.msgErr {
		t.Fatalf("bad due date:\n%s", dr.plain())
	}
	dr.keys("esc", "esc")
}

// TestEscCloses: esc from the list emits ClosedMsg (after saving what is unsaved).
func TestEscCloses(t *testing.T) {
	e := newEnv(t)
	dr := newDriver(t, e, "alice", 80, 24)
	_, cmd := dr.m.Update(keyMsg("esc"))
	if cmd == nil {
		t.Fatal("no command")
	}
	if msg := cmd(); msg != (ClosedMsg{}) {
		t.Fatalf("esc from the list: %T", msg)
	}
}

func keyRight() tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRight} }

// TestFollowsOtherPeoplesSaves: while alice edits a section, bob saves it from another console; the change
// feed (Changed) shows alice at once who saved a newer version, her text untouched, and her section list
// shows bob's version without pressing anything.
func TestFollowsOtherPeoplesSaves(t *testing.T) {
	e := newEnv(t)
	alice := newDriver(t, e, "alice", 100, 30)
	bob := newDriver(t, e, "bob", 100, 30)
	alice.open("summary")
	alice.keys("ctrl+u")
	alice.typeText("alice's draft", 10*time.Millisecond)
	bob.open("summary")
	bob.keys("ctrl+u")
	bob.typeText("bob's summary", 10*time.Millisecond)
	bob.advance(3 * time.Second)
	if s := e.section("summary"); s.Version != 1 {
		t.Fatalf("bob's save: version %d", s.Version)
	}
	alice.run(alice.m.Changed())
	if v := alice.plain(); !strings.Contains(v, "saved a newer version of this section (v1)") {
		t.Fatalf("alice is not told of bob's save:\n%s", v)
	}
	if got := alice.m.ed.ta.Value(); !strings.Contains(got, "alice's draft") || strings.Contains(got, "bob's summary") {
		t.Fatalf("alice's text was replaced: %q", got)
	}
}

// TestFindingsFooterListsFindings: with little room the footer still lists findings (clipped to a line
// each) before "and N more", never a count alone.
func TestFindingsFooterListsFindings(t *testing.T) {
	st := styles.New()
	var fs []retro.Finding
	for i := 0; i < 4; i++ {
		fs = append(fs, retro.Finding{Section: "summary", Line: i + 1, Text: "bob should have checked the disk before the deploy, which was careless",
			Message: "names a person next to a mistake; say what happened instead"})
	}
	out := ansi.Strip(strings.Join(findingsLines(st, fs, 40, 4, false), "\n"))
	lines := strings.Split(out, "\n")
	if len(lines) > 4 || !strings.Contains(lines[0], "4 blameless findings") || !strings.Contains(out, "and 2 more") {
		t.Fatalf("footer:\n%s", out)
	}
	for _, l := range lines[1:3] {
		if strings.Contains(l, "more") || strings.TrimSpace(l) == "" {
			t.Fatalf("the footer lists no finding:\n%s", out)
		}
	}
}
