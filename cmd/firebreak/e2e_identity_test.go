package main

import (
	"strings"
	"testing"
)

// TestE2EIdentity: the account comes from the uid, whatever $USER and $LOGNAME say, and a --as or
// FIREBREAK_USER name that could disguise who acted is refused with one line and exit code 2.
func TestE2EIdentity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	me := osUser(t)
	id := e.with("USER", "mallory").with("LOGNAME", "mallory").declare("who am I")
	e.with("USER", "mallory").ok("note", id, "still me", "--as", "alice")
	evs := e.timeline(id)
	if len(evs) != 2 || evs[0].Actor != me || evs[1].Actor != me+" as alice" {
		t.Fatalf("USER=mallory: actors %+v, want %q then %q", evs, me, me+" as alice")
	}
	cases := []struct {
		env  string // FIREBREAK_USER
		args []string
		want string
	}{
		{"", []string{"note", id, "x", "--as", "bo\u202eb"}, `--as "bo\u202eb": the name contains an invisible or direction-changing character (U+202E); use plain letters`},
		{"", []string{"note", id, "x", "--as", "bo\u200bb"}, "(U+200B)"},
		{"bo\u2066b", []string{"note", id, "x"}, "(U+2066)"},
		{"", []string{"note", id, "x", "--as", "root as alice"}, `" as "`},
		{"", []string{"note", id, "x", "--as", strings.Repeat("a", 65)}, "use at most 64"},
	}
	for _, c := range cases {
		stdout, stderr, code := e.with("FIREBREAK_USER", c.env).fb(c.args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("FIREBREAK_USER=%q firebreak %q: exit %d, stdout %q, stderr %q; want exit 2 and one line naming %s",
				c.env, c.args, code, stdout, stderr, c.want)
		}
	}
	if n := len(e.timeline(id)); n != 2 {
		t.Errorf("%d events after the refusals, want 2", n)
	}
}
