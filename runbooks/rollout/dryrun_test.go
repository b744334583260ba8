package rollout

import "testing"

func TestReadsDryRun(t *testing.T) {
	cases := []struct {
		script string
		want   bool
	}{
		{`if [ "$FIREBREAK_DRY_RUN" = 1 ]; then echo would; exit 0; fi; rm -f /x`, true},
		{`[ "${FIREBREAK_DRY_RUN:-0}" = 1 ] && exit 0`, true},
		{"if (( FIREBREAK_DRY_RUN )); then exit 0; fi", true},
		{"if [[ -v FIREBREAK_DRY_RUN ]]; then exit 0; fi", true},
		{"dry=$(printenv FIREBREAK_DRY_RUN)", true},
		{"cat <<EOF\nmode $FIREBREAK_DRY_RUN\nEOF", true},
		{"x=$(( FIREBREAK_DRY_RUN + 1 ))", true},
		{"# honours FIREBREAK_DRY_RUN, honest\nrm -rf /var/tmp/cache", false},
		{"echo 'FIREBREAK_DRY_RUN is not read here'; systemctl restart x", false},
		{"echo FIREBREAK_DRY_RUN", false},
		{"FIREBREAK_DRY_RUN_X=1; echo $FIREBREAK_DRY_RUN_X", false},
		{"systemctl restart nginx", false},
		{`if [ "$FIREBREAK_DRY_RUN" = 1 ; then`, false}, // does not parse: never trusted
	}
	for _, c := range cases {
		if got := readsDryRun(c.script); got != c.want {
			t.Errorf("readsDryRun(%q) = %v, want %v", c.script, got, c.want)
		}
		if got := (Script{Main: c.script}).HonoursDryRun(); got != c.want {
			t.Errorf("HonoursDryRun(%q) = %v, want %v", c.script, got, c.want)
		}
	}
	if !(Script{Main: "rm -rf /x # FIREBREAK_DRY_RUN", DryRun: "echo dry"}).HonoursDryRun() {
		t.Error("a script with its own dry_run command honours dry runs")
	}
}
