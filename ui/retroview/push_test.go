package retroview

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firebreak/firebreak/incident/retro"
	"github.com/firebreak/firebreak/ui/styles"
)

// T on an action item asks, then pushes it with retro.Service.Push (a stand-in tracker script); an unknown
// outcome makes the next T ask whether the tracker was checked before it pushes again.
func TestPushKeyCreatesTheTicket(t *testing.T) {
	e := newEnv(t)
	rs := &retro.Service{Incidents: e.service("alice"), Now: e.clock.Now}
	for _, text := range []string{"alert on cache evictions", "rotate logs hourly"} {
		if _, err := rs.SaveAction(context.Background(), e.inc.ID, retro.Action{Text: text}, false); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	script, calls := filepath.Join(dir, "tracker.sh"), filepath.Join(dir, "calls")
	body := "#!/bin/sh\necho x >> " + calls + "\ncat > /dev/null\n" +
		"if [ -e " + filepath.Join(dir, "hang") + " ]; then sleep 10; fi\necho \"OPS-$FIREBREAK_ACTION_ITEM\"\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	count := func() int { b, _ := os.ReadFile(calls); return strings.Count(string(b), "x") }

	d := e.deps("alice")
	d.Tracker = retro.PushOptions{Tracker: retro.Tracker{Command: []string{script}, Timeout: "300ms"}}
	dr := &driver{t: t, clock: e.clock}
	dr.m = New(d, styles.New(), e.inc)
	dr.m.now = e.clock.Now
	dr.m.SetSize(100, 30)
	dr.run(dr.m.Init())

	dr.m.cursor = len(dr.m.retro.Sections) // action item 1
	dr.keys("T")
	if dr.m.confirm == nil || !strings.Contains(dr.plain(), "Create a ticket in the tracker for action item 1") {
		t.Fatalf("T did not ask:\n%s", dr.plain())
	}
	dr.keys("n")
	if count() != 0 {
		t.Fatal("n ran the tracker")
	}
	dr.keys("T", "y")
	if a := e.load().Actions[0]; a.Ticket != "OPS-1" || count() != 1 || !strings.Contains(dr.plain(), "OPS-1") {
		t.Fatalf("after T y: item %+v, %d calls, msg %q", a, count(), dr.m.msg)
	}
	dr.keys("T")
	if dr.m.confirm != nil || !strings.Contains(dr.m.msg, "has ticket OPS-1 already") || count() != 1 {
		t.Fatalf("T on a linked item: msg %q, %d calls", dr.m.msg, count())
	}

	// Item 2: the tracker hangs; the outcome is unknown and T asks before pushing again.
	os.WriteFile(filepath.Join(dir, "hang"), nil, 0o644)
	dr.m.cursor++
	dr.keys("T", "y")
	if !dr.m.msgErr || !strings.Contains(dr.m.msg, "timed out") || !strings.Contains(dr.m.msg, "T pushes it again") {
		t.Fatalf("hang: msg %q", dr.m.msg)
	}
	os.Remove(filepath.Join(dir, "hang"))
	dr.keys("T")
	if dr.m.confirm == nil || !strings.Contains(dr.plain(), "unknown outcome") {
		t.Fatalf("T after an unknown outcome did not warn:\n%s", dr.plain())
	}
	dr.keys("y")
	if a := e.load().Actions[1]; a.Ticket != "OPS-2" || count() != 3 {
		t.Fatalf("retry: item %+v, %d calls, msg %q", a, count(), dr.m.msg)
	}
}
