package runview

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks"
	"github.com/firebreak/firebreak/runbooks/rollout"
)

// fleetHosts is the fleet of the run screen's benchmarks: the target is 10,000 hosts.
const fleetHosts = 10_000

// fleetRun is a run of fleetHosts hosts (host00001…) in stages 1,5%,25%,100%, not yet shown.
func fleetRun(tb testing.TB, n int) (*Model, rollout.Spec, rollout.Plan) {
	tb.Helper()
	var ini strings.Builder
	ini.WriteString("[fleet]\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&ini, "host%05d ansible_host=10.%d.%d.%d\n", i, i>>16&255, i>>8&255, i&255)
	}
	path := filepath.Join(tb.TempDir(), "fleet.ini")
	if err := os.WriteFile(path, []byte(ini.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	e := newEnv(tb, incident.SEV2, path)
	m := e.model(Target{Runbook: "restart-web", Step: "restart"})
	m.now = func() time.Time { return fixedNow }
	m.SetSize(120, 40)
	inv, err := e.d.Inventory(nil)
	if err != nil {
		tb.Fatal(err)
	}
	hosts, _ := inv.Match("all")
	st, _ := runbooks.ParseStages("1,5%,25%,100%")
	spec := rollout.Spec{Incident: e.inc.ID, Runbook: "restart-web", Step: "restart", Hosts: hosts, Stages: st,
		Script: rollout.Script{Main: "systemctl restart nginx"}}
	plan, err := rollout.MakePlan(hosts, st)
	if err != nil {
		tb.Fatal(err)
	}
	return m, spec, plan
}

// midRun brings a shown fleet run into its last stage: the first three stages done (a few failed), 200
// hosts of the last running with some output.
func midRun(m *Model, plan rollout.Plan) {
	us := []rollout.Update{{Kind: rollout.UpdateStarted, Run: 7}}
	for si, stage := range plan.Stages {
		us = append(us, rollout.Update{Kind: rollout.UpdateStage, Run: 7, Stage: si + 1})
		for hi, h := range stage {
			us = append(us, rollout.Update{Kind: rollout.UpdateHostRunning, Run: 7, Stage: si + 1, Host: h.Name})
			if si < len(plan.Stages)-1 || hi < 200 {
				if si < len(plan.Stages)-1 {
					st := rollout.Changed
					if hi%97 == 3 {
						st = rollout.Failed
					}
					us = append(us, done(h.Name, si+1, st, 0, time.Second))
				}
				us = append(us, line(h.Name, "restarting nginx on "+h.Name))
			}
			if si == len(plan.Stages)-1 && hi >= 200 {
				break
			}
		}
	}
	m.Update(batch(m, us...))
}

// BenchmarkRunScreenFirstFrame is the run screen's first frame of a run of 10,000 hosts: the live view
// built from the plan and rendered once (target: < 150 ms).
func BenchmarkRunScreenFirstFrame(b *testing.B) {
	m, spec, plan := fleetRun(b, fleetHosts)
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		m.showRun(spec, plan)
		_ = m.View()
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N)/1000, "ms/frame")
}

// BenchmarkRunScreenFrame is a frame of the run screen on a run of 10,000 hosts in its last stage: a key
// (down, up: the selected host moves and its output is shown) or a batch of updates (hosts done and
// started, output lines), then View (target: < 5 ms).
func BenchmarkRunScreenFrame(b *testing.B) {
	m, spec, plan := fleetRun(b, fleetHosts)
	m.showRun(spec, plan)
	midRun(m, plan)
	_ = m.View()
	last := plan.Stages[len(plan.Stages)-1]
	b.Run("key", func(b *testing.B) {
		b.ReportAllocs()
		keys := []string{"down", "down", "up"}
		i := 0
		start := time.Now()
		for b.Loop() {
			m.Update(press(keys[i%len(keys)]))
			i++
			_ = m.View()
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N)/1000, "ms/frame")
	})
	b.Run("update", func(b *testing.B) {
		b.ReportAllocs()
		next := 200
		start := time.Now()
		for b.Loop() {
			// A frame's worth of a busy run: 20 hosts done, 20 started, 300 lines of output.
			var us []rollout.Update
			for range 20 {
				h := last[(next-200)%len(last)].Name
				us = append(us, done(h, len(plan.Stages), rollout.Changed, 0, time.Second))
				n := last[next%len(last)].Name
				us = append(us, rollout.Update{Kind: rollout.UpdateHostRunning, Run: 7, Stage: len(plan.Stages), Host: n})
				next++
			}
			bm := batch(m, us...)
			for j := range 300 {
				bm.lines = append(bm.lines, outLine{host: last[(next-1-j%200)%len(last)].Name, text: "compressing /var/log/nginx/access.log.1"})
			}
			m.Update(bm)
			_ = m.View()
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N)/1000, "ms/frame")
	})
}

// BenchmarkPickerFrame is a frame of the host picker on an inventory of 10,000 hosts: a key in the list,
// or a character typed in the pattern (which selects the hosts again), then View (target: < 5 ms).
func BenchmarkPickerFrame(b *testing.B) {
	m, _, _ := fleetRun(b, fleetHosts)
	runSync(m, m.Init())
	m.pick.pattern.SetValue("fleet")
	m.pick.match()
	m.pick.focus = focusHosts
	_ = m.View()
	if n := len(m.pick.sel.Hosts); n != fleetHosts {
		b.Fatalf("%d hosts matched, want %d", n, fleetHosts)
	}
	b.Run("key", func(b *testing.B) {
		b.ReportAllocs()
		keys := []string{"down", "down", "space", "up"}
		i := 0
		start := time.Now()
		for b.Loop() {
			m.Update(press(keys[i%len(keys)]))
			i++
			_ = m.View()
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N)/1000, "ms/frame")
	})
	b.Run("filter", func(b *testing.B) {
		b.ReportAllocs()
		m.pick.focus = focusPattern
		start := time.Now()
		i := 0
		for b.Loop() {
			if i%2 == 0 {
				m.Update(press("backspace"))
			} else {
				m.Update(press("t"))
			}
			i++
			_ = m.View()
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N)/1000, "ms/frame")
	})
}

// BenchmarkPlanFrame is the plan preview of a run of 10,000 hosts (target: < 5 ms).
func BenchmarkPlanFrame(b *testing.B) {
	m, spec, plan := fleetRun(b, fleetHosts)
	m.phase = phasePlan
	m.plan.spec, m.plan.plan = spec, plan
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		_ = m.View()
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N)/1000, "ms/frame")
}
