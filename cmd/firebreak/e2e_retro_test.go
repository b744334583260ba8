package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestE2ERetroBlameless: the blameless check with the roster of the incident catches possessive blame
// without an apostrophe and a person as the subject of a mistake, and a team's rules file extends the
// built-in rules; a malformed one is refused at its line and column.
func TestE2ERetroBlameless(t *testing.T) {
	e := newEnv(t)
	id := e.declare("checkout errors", "--as", "alice")
	e.ok("role", id, "operations", "bob", "--as", "alice")
	e.ok("retro", "set", id, "went-wrong", "It was all bobs fault.\nalice forgot the feature flag.\nbob fixed the broken replica.", "--as", "alice")
	stdout, _, code := e.fb("retro", "check", id, "--json")
	if code != 1 {
		t.Fatalf("retro check: exit %d, want 1", code)
	}
	var fs []struct {
		Section, Text, Rule string
		Line                int
	}
	if err := json.Unmarshal([]byte(stdout), &fs); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	got := map[string]int{}
	for _, f := range fs {
		if f.Section == "went-wrong" {
			got[f.Rule] = f.Line
		}
	}
	if len(got) != 2 || got["fault"] != 1 || got["person-subject"] != 2 {
		t.Errorf("findings %+v, want fault on line 1 and person-subject on line 2, nothing on line 3", fs)
	}

	// A team's rules: one more rule, one default rule disabled.
	mustWriteFile(t, filepath.Join(e.work, "firebreak.toml"), []byte("[retro]\nblameless_rules = \"blameless.toml\"\n"))
	mustWriteFile(t, filepath.Join(e.work, "blameless.toml"), []byte(`disable = ["fault"]

[[rule]]
id = "cowboy"
pattern = '\bcowboy\b'
message = "judges a change"
suggestion = "describe the change"
`))
	e.ok("retro", "set", id, "went-wrong", "A cowboy change.\nIt was all bobs fault.", "--as", "alice")
	stdout, _, code = e.fb("retro", "check", id)
	// The disabled fault rule says nothing; bob, on the roster, is still caught by person-possessive.
	if code != 1 || !strings.Contains(stdout, `went-wrong:1:3: "cowboy": judges a change`) || strings.Contains(stdout, "assigns fault") ||
		!strings.Contains(stdout, `went-wrong:2:12: "bobs fault": names a person as the owner of a mistake`) {
		t.Errorf("with the team's rules: exit %d\n%s", code, stdout)
	}
	// A malformed file: the first problem at its line and column, exit 2.
	mustWriteFile(t, filepath.Join(e.work, "blameless.toml"), []byte(`[[rule]]
id = "broken"
message = "m"
pattern = '(unclosed'
suggestion = "s"
`))
	stdout, stderr, code := e.fb("retro", "check", id)
	wantError(t, "a malformed rules file", stdout, stderr, code, 2, "blameless.toml:4:11: rule.pattern: not a regular expression")
	mustWriteFile(t, filepath.Join(e.work, "blameless.toml"), []byte("[[rule]]\nid = \"x\"\npatern = 'y'\n"))
	stdout, stderr, code = e.fb("retro", "show", id)
	wantError(t, "a rules file with a typo", stdout, stderr, code, 2, "blameless.toml:3:1:", `did you mean "pattern"?`)
}

// TestE2ERetroPublishLocks: a published retrospective (of a closed incident) refuses edits with what to
// run; reopening is recorded and its export no longer says published.
func TestE2ERetroPublishLocks(t *testing.T) {
	e := newEnv(t)
	id := e.declare("checkout errors", "--as", "alice")
	e.ok("retro", "set", id, "summary", "A pool config with an empty upstream list reached production.", "--as", "alice")
	e.ok("retro", "state", id, "review")
	e.ok("retro", "state", id, "published")
	e.ok("role", id, "commander", "alice")
	e.ok("status", id, "closed") // a closed incident's published retrospective is locked too
	if md := e.ok("export", id); !strings.Contains(md, "| Retrospective | published |") || !strings.Contains(md, "| Status | closed |") {
		t.Fatalf("published export:\n%s", md)
	}
	if out := e.ok("retro", "show", id); !strings.Contains(out, "The text is locked: firebreak retro state "+id+" review") {
		t.Errorf("retro show of a published retrospective:\n%s", out)
	}
	stdout, stderr, code := e.fb("retro", "set", id, "summary", "changed after publishing")
	wantError(t, "editing a published retrospective", stdout, stderr, code, 2, "published", "locked", "firebreak retro state "+id+" review")
	e.ok("retro", "state", id, "review")
	found := false
	for _, ev := range e.timeline(id) {
		found = found || ev.Kind == "retro_state" && ev.Text == "retrospective published → review"
	}
	if !found {
		t.Error("reopening the retrospective is not on the timeline")
	}
	e.ok("retro", "set", id, "summary", "Reworded after review.")
	md := e.ok("export", id)
	if !strings.Contains(md, "| Retrospective | review |") || strings.Contains(md, "published") || !strings.Contains(md, "Reworded after review.") {
		t.Errorf("reopened export:\n%s", md)
	}
	if !strings.Contains(md, "## Contributing factors\n\n_Not written._") || strings.Contains(md, "What set it off?") {
		t.Errorf("empty sections in the export:\n%s", md)
	}
}

// TestE2ENoteAt: a backdated note is recorded with both times, sorted at its time by the timeline and the
// retrospective, and marked backdated; a future time or a bad one is refused.
func TestE2ENoteAt(t *testing.T) {
	e := newEnv(t)
	id := e.declare("checkout errors", "--as", "alice")
	out := e.ok("note", id, "--at", "-2h", "p99 crept up from 300ms to 900ms", "--as", "bob")
	if !strings.Contains(out, "backdated to ") {
		t.Errorf("note --at printed %q", out)
	}
	at := time.Now().UTC().Add(-3 * time.Hour).Format(time.RFC3339)
	e.ok("note", id, "first 502s in the LB logs", "--at", at)
	e.ok("note", id, "an ordinary note")
	var backdated []tlEvent
	for _, ev := range e.timeline(id) {
		if strings.Contains(string(ev.Data), `"at"`) {
			backdated = append(backdated, ev)
		}
	}
	if len(backdated) != 2 {
		t.Fatalf("backdated notes in timeline --json: %+v", backdated)
	}
	var d struct{ At string }
	json.Unmarshal(backdated[1].Data, &d)
	if when, _ := time.Parse(time.RFC3339Nano, d.At); when.Format(time.RFC3339) != at || backdated[1].At <= d.At {
		t.Errorf("the note is about %s (want %s), written %s", d.At, at, backdated[1].At)
	}
	lines := strings.Split(strings.TrimSpace(e.ok("timeline", id)), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "first 502s") || !strings.Contains(lines[1], "p99 crept up") ||
		!strings.Contains(lines[0], "(backdated, written ") || !strings.Contains(lines[2], "declared") {
		t.Errorf("timeline:\n%s", strings.Join(lines, "\n"))
	}
	md := e.ok("export", id)
	first := strings.Index(md, "first 502s")
	if first < 0 || first > strings.Index(md, "declared SEV") || !strings.Contains(md, "(backdated: written ") || strings.Contains(md, "an ordinary note") {
		t.Errorf("the retrospective's timeline:\n%s", md)
	}
	future := time.Now().UTC().Add(time.Hour).Format(time.RFC3339)
	stdout, stderr, code := e.fb("note", id, "from the future", "--at", future)
	wantError(t, "a note in the future", stdout, stderr, code, 2, "in the future")
	stdout, stderr, code = e.fb("note", id, "when?", "--at", "yesterday-ish")
	wantError(t, "a time that is no time", stdout, stderr, code, 2, "--at", "RFC 3339")
	if n := len(e.timeline(id)); n != 4 {
		t.Errorf("%d events after the refusals, want 4", n)
	}
}
