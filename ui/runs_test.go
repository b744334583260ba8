package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
)

// fleetHosts are the hosts of a run on n hosts, some failed.
func fleetHosts(n int) []store.RunHost {
	hosts := make([]store.RunHost, n)
	for i := range hosts {
		hosts[i] = store.RunHost{Host: fmt.Sprintf("host%05d", i+1), Stage: 1 + min(i, 3), Position: i, State: "changed",
			Duration: 1200 * time.Millisecond}
		if i%97 == 3 {
			hosts[i].State, hosts[i].ExitCode, hosts[i].Error = "failed", 1, "exit status 1"
		}
	}
	return hosts
}

// runsDetail opens the runs pane on the hosts of a run of n hosts.
func runsDetail(t *testing.T, n int) (*Model, *runsPane) {
	w := newWorld(t)
	w.fill()
	m := w.model(80, 24)
	start(t, m)
	press(t, m, "j", "enter", "tab", "tab")
	cp, ok := m.active().(*cockpit)
	if !ok {
		t.Fatalf("active %T", m.active())
	}
	rp := cp.runsPane
	rp.detail = 1
	m.Update(hostsMsg{run: 1, hosts: fleetHosts(n)})
	return m, rp
}

// TestRunsPaneScrollsThousandsOfHosts: the run's hosts show a screenful at a time, the keys scroll them,
// and the header says which of how many show.
func TestRunsPaneScrollsThousandsOfHosts(t *testing.T) {
	m, _ := runsDetail(t, 10_000)
	v := m.View()
	checkFits(t, v, 80, 24)
	if !strings.Contains(v, "host00001") || !strings.Contains(v, "1–16/10,000 hosts") || strings.Contains(v, "host09999") {
		t.Fatalf("first screen of 10,000 hosts:\n%s", v)
	}
	press(t, m, "G")
	if v = m.View(); !strings.Contains(v, "host10000") || strings.Contains(v, "host00001") {
		t.Fatalf("after G:\n%s", v)
	}
	press(t, m, "g", "down", "down")
	if v = m.View(); !strings.Contains(v, "3–") || strings.Contains(v, "host00002 ") {
		t.Fatalf("after g, down, down:\n%s", v)
	}
	press(t, m, "up", "up", "up")
	if v = m.View(); !strings.Contains(v, "host00001") {
		t.Fatalf("after up past the top:\n%s", v)
	}
}

// TestRunsPaneFewHostsUnchanged: a run whose hosts fit shows them all, with no position.
func TestRunsPaneFewHostsUnchanged(t *testing.T) {
	m, _ := runsDetail(t, 5)
	v := m.View()
	if !strings.Contains(v, "host00005") || strings.Contains(v, "/5 hosts") {
		t.Fatalf("5 hosts:\n%s", v)
	}
	press(t, m, "down", "G")
	if v2 := m.View(); v2 != v {
		t.Fatalf("keys moved hosts that fit:\n%s", v2)
	}
}

// BenchmarkRunsPaneFrame is a frame of the cockpit on the runs pane showing a run of 10,000 hosts: a key
// (down) then View.
func BenchmarkRunsPaneFrame(b *testing.B) {
	m, _ := runsDetail(&testing.T{}, 10_000)
	t := &testing.T{}
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		press(t, m, "down")
		_ = m.View()
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N)/1000, "ms/frame")
}
