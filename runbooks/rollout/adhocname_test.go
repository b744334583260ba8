package rollout

import "testing"

func TestAdHocName(t *testing.T) {
	for _, c := range []struct{ script, want string }{
		{"#!/bin/bash\nset -euo pipefail\n# restart it\n\nsystemctl restart nginx\n", "systemctl restart nginx"},
		{"  journalctl -u api --since -10m  ", "journalctl -u api --since -10m"},
		{"# only a comment", "ad-hoc script"},
		{"echo " + string(make([]byte, 0)) + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…"},
	} {
		if got := AdHocName(c.script); got != c.want {
			t.Errorf("AdHocName(%q) = %q, want %q", c.script, got, c.want)
		}
	}
	if d := describe(Spec{Title: "drain the queue", Script: Script{Main: "x"}}); d != `ad-hoc "drain the queue"` {
		t.Errorf("describe: %s", d)
	}
}
