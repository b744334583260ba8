package incident

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestOneLineFieldsRefuseLineBreaks: a title, a person, a skip/hide/milestone reason and a step's assignee
// are one line: a line break (which would forge a row in `list` or a heading in the export), a tab, an
// escape sequence or a bidi override is refused with one line saying which field.
func TestOneLineFieldsRefuseLineBreaks(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	for _, title := range []string{"db down\n## Root cause: alice", "db\rdown", "db\x1b]52;c;eA==\x07down", "db \u202edown", "a\tb"} {
		_, err := s.Declare(ctx, title, SEV2, false)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "the title") || strings.Contains(err.Error(), "\n") {
			t.Errorf("Declare(%q): %v, want a one-line ErrInvalid naming the title", title, err)
		}
	}
	if _, err := s.Declare(ctx, "db\ndown", SEV2, false); err == nil || !strings.Contains(err.Error(), "has a line break") {
		t.Errorf("Declare with a newline: %v", err)
	}
	inc, err := s.Declare(ctx, "  db down  ", SEV2, false)
	if err != nil || inc.Title != "db down" {
		t.Fatalf("Declare: %v, %q", err, inc.Title)
	}
	bad := "alice\nbob"
	if _, _, err := s.AssignRole(ctx, inc.ID, Commander, bad); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "the person") {
		t.Errorf("AssignRole: %v", err)
	}
	if _, _, err := s.Hide(ctx, inc.ID, 1, "dup\n---"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "the reason") {
		t.Errorf("Hide: %v", err)
	}
	if _, _, err := s.SetMilestone(ctx, inc.ID, Detected, time.Now().Add(-time.Hour), "pager\n# fired"); !errors.Is(err, ErrInvalid) {
		t.Errorf("SetMilestone: %v", err)
	}
	if _, _, err := s.Attach(ctx, inc.ID, sampleRunbook("v")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.MarkStep(ctx, inc.ID, "free-disk", "look", Skip, "not needed\n| x | y |"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "--reason") {
		t.Errorf("Skip: %v", err)
	}
	if _, _, err := s.MarkStep(ctx, inc.ID, "free-disk", "look", Assign, "bob\x1b[2J"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Assign: %v", err)
	}
	// Notes stay multi-line.
	if _, err := s.Note(ctx, inc.ID, "line one\nline two"); err != nil {
		t.Errorf("Note: %v", err)
	}
}

func TestFoldLine(t *testing.T) {
	for in, want := range map[string]string{
		"wrong cluster":             "wrong cluster",
		" wrong\ncluster\r\n\tnow ": "wrong cluster now",
		"a\x1b[2Jb\u202ec":          "a[2Jbc",
		"bad\xffutf8":               "bad\ufffdutf8",
		"":                          "",
	} {
		if got := FoldLine(in); got != want {
			t.Errorf("FoldLine(%q) = %q, want %q", in, got, want)
		}
	}
}
