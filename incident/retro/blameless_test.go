package retro

import (
	"strings"
	"testing"
)

func TestBlamelessCheck(t *testing.T) {
	roster := []string{"alice", "bob", "Carol Ng"}
	bad := []struct{ text, want string }{
		{"It was Bob's fault.", "assigns fault"},
		{"The outage was the fault of the release process owner.", "assigns fault"},
		{"We should have seen the disk filling.", "hindsight"},
		{"Someone shouldn't have restarted both replicas.", "hindsight"},
		{"The on-call failed to acknowledge the page.", "personal failure"},
		{"He forgot to drain the node.", "personal failure"},
		{"A careless change to the config.", "judges a person"},
		{"That was a sloppy rollout.", "judges a person"},
		{"Root cause: human error.", "stops at a person"},
		{"Why didn't they check the dashboard?", "excuse"},
		{"alice broke the deploy.", "names a person"},
		{"The typo was Carol Ng's mistake.", "names a person"},
		{"bob ignored the alert for an hour.", "names a person"},
	}
	for _, c := range bad {
		fs := Check("went-wrong", c.text, roster)
		if len(fs) == 0 {
			t.Errorf("%q: no finding, want one that %s", c.text, c.want)
			continue
		}
		found := false
		for _, f := range fs {
			found = found || strings.Contains(f.Message, c.want)
			if f.Suggestion == "" || f.Line != 1 || f.Col < 1 {
				t.Errorf("%q: incomplete finding %+v", c.text, f)
			}
		}
		if !found {
			t.Errorf("%q: findings %v, want one that %s", c.text, fs, c.want)
		}
	}
	// Ordinary technical prose must not raise false alarms.
	good := []string{
		"The deploy pipeline let a config with an empty upstream list through.",
		"alice restarted the canary at 03:12 and the error rate dropped.",
		"Bob paged the storage team; they added capacity.",
		"The health check failed for 4 minutes before the load balancer noticed.",
		"Requests failed with 502 because the pool was exhausted.",
		"Carol Ng wrote the runbook step that rolled the change back.",
		"Replication lag grew to 40s; we should alert on it (action item 3).",
		"A bad disk on db-03 caused the I/O stalls.",
		"The error budget for the month is spent.",
		"We could reproduce it in staging within ten minutes.",
	}
	falseAlarms := 0
	for _, text := range good {
		if fs := Check("summary", text, roster); len(fs) > 0 {
			falseAlarms++
			t.Logf("false alarm on %q: %v", text, fs)
		}
	}
	// Advice ("we should alert on it"), failures of machines and names next to good work are not blame:
	// allow at most one false alarm in these ordinary sentences.
	if falseAlarms > 1 {
		t.Errorf("%d false alarms in %d ordinary sentences", falseAlarms, len(good))
	}
}

func TestCheckPositions(t *testing.T) {
	fs := Check("s", "fine line\n  It was careless.", nil)
	if len(fs) != 1 || fs[0].Line != 2 || fs[0].Col != 10 || fs[0].Text != "careless" {
		t.Fatalf("%+v", fs)
	}
	// Columns count characters, not bytes.
	fs = Check("s", "Ünïcödé: it was careless", nil)
	if len(fs) != 1 || fs[0].Col != 17 {
		t.Fatalf("%+v", fs)
	}
}
