package runview

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks"
	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/runbooks/rollout"
)

var fixedNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// syntheticRun shows a run of restart-web/restart on web1..3 and db1..2 in stages 1,2,100%, with no engine:
// the test feeds the updates.
func syntheticRun(t testing.TB, e *env) *Model {
	t.Helper()
	m := e.model(Target{Runbook: "restart-web", Step: "restart"})
	m.now = func() time.Time { return fixedNow }
	runSync(m, m.Init())
	inv, err := e.d.Inventory(nil)
	if err != nil {
		t.Fatal(err)
	}
	hosts, _ := inv.Match("all")
	st, _ := runbooks.ParseStages("1,2,100%")
	spec := rollout.Spec{Incident: e.inc.ID, Runbook: "restart-web", Step: "restart", Hosts: hosts, Stages: st,
		Script: rollout.Script{Main: "echo", Rollback: "echo undo"}}
	plan, err := rollout.MakePlan(hosts, st)
	if err != nil {
		t.Fatal(err)
	}
	m.showRun(spec, plan)
	return m
}

func batch(m *Model, us ...rollout.Update) batchMsg {
	return batchMsg{gen: m.gen, updates: us}
}

func line(host, text string) rollout.Update {
	return rollout.Update{Kind: rollout.UpdateLine, Host: host, Line: output.Line{Text: text}}
}

func done(host string, stage int, st rollout.HostState, exit int, d time.Duration) rollout.Update {
	return rollout.Update{Kind: rollout.UpdateHostDone, Host: host, Stage: stage,
		Result: rollout.HostResult{State: st, ExitCode: exit, Phase: "script", Duration: d}}
}

// feedStageTwo brings the synthetic run into its second stage: web1 done, web2 running, web3 failed.
func feedStageTwo(m *Model) {
	m.Update(batch(m,
		rollout.Update{Kind: rollout.UpdateStarted, Run: 7, Text: "restart-web/restart"},
		rollout.Update{Kind: rollout.UpdateStage, Run: 7, Stage: 1},
		rollout.Update{Kind: rollout.UpdateHostRunning, Run: 7, Stage: 1, Host: "web1"},
		line("web1", "restarting nginx"), line("web1", "ok"),
		done("web1", 1, rollout.Changed, 0, 1200*time.Millisecond),
		rollout.Update{Kind: rollout.UpdateStage, Run: 7, Stage: 2},
		rollout.Update{Kind: rollout.UpdateHostRunning, Run: 7, Stage: 2, Host: "web2"},
		rollout.Update{Kind: rollout.UpdateHostRunning, Run: 7, Stage: 2, Host: "web3"},
		line("web2", "restarting nginx"), line("web3", "nginx: [emerg] bind() failed"),
		done("web3", 2, rollout.Failed, 1, 800*time.Millisecond),
	))
}

func TestLiveTableFollowsUpdates(t *testing.T) {
	e := newEnv(t, incident.SEV3, "")
	m := syntheticRun(t, e)
	if !m.Active() {
		t.Fatal("a shown run is not active")
	}
	feedStageTwo(m)
	v := ansi.Strip(m.View())
	for _, want := range []string{"RUN-7 REAL restart-web/restart · stage 2/3 · running",
		"stage 1 ", "1/1", "stage 2 ", "1/2 1 failed", "web1 1   changed", "1.2s  ok",
		"web2 2   running", "restarting nginx", "web3 2   failed", "db1  3   pending", "output of web2"} {
		if !strings.Contains(v, want) {
			t.Errorf("live view lacks %q:\n%s", want, v)
		}
	}
	// The selection follows the first running host until the operator moves it.
	m.Update(press("down"))
	if v := ansi.Strip(m.View()); !strings.Contains(v, "output of web3") || !strings.Contains(v, "nginx: [emerg] bind() failed") {
		t.Errorf("selecting web3 does not show its output:\n%s", v)
	}
	// A finished run is no longer active, and says how it ended.
	m.Update(batch(m, rollout.Update{Kind: rollout.UpdateFinished, Run: 7, Status: "failed", Text: "RUN-7 failed"}))
	m.Update(runDoneMsg{gen: m.gen, sum: &rollout.Summary{Run: 7, Status: "failed", Reason: "1 hosts failed"}})
	if m.Active() || !strings.Contains(ansi.Strip(m.View()), "RUN-7 failed: 1 hosts failed") {
		t.Errorf("finished run:\n%s", ansi.Strip(m.View()))
	}
	_, cmd := m.Update(press("esc"))
	if m.phase != phasePick || cmd != nil {
		t.Errorf("esc after the run: phase %d", m.phase)
	}
	_, cmd = m.Update(press("esc"))
	if cmd == nil {
		t.Fatal("esc in the picker did not close")
	}
	if _, ok := cmd().(ClosedMsg); !ok {
		t.Error("esc did not send ClosedMsg")
	}
}

func TestLiveEscDuringRunStays(t *testing.T) {
	e := newEnv(t, incident.SEV3, "")
	m := syntheticRun(t, e)
	feedStageTwo(m)
	if _, cmd := m.Update(press("esc")); cmd != nil || m.phase != phaseLive {
		t.Fatal("esc left an active run")
	}
	if !strings.Contains(m.View(), "a run is in progress") {
		t.Error("no explanation")
	}
}

// TestPauseChoicesReachAsk runs the bridge's Ask as the engine does and answers it with the keys.
func TestPauseChoicesReachAsk(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want rollout.Choice
	}{{"c", rollout.Continue}, {"n", rollout.Stop}, {"r", rollout.RollbackFailed}} {
		t.Run(tc.key, func(t *testing.T) {
			e := newEnv(t, incident.SEV3, "")
			m := syntheticRun(t, e)
			feedStageTwo(m)
			br := m.live.br
			got := make(chan rollout.Choice, 1)
			go func() {
				got <- br.ask(context.Background(), rollout.Pause{Run: 7, Done: 2, Stages: 3, NextHosts: []string{"db1", "db2"},
					Failed: []string{"web3"}, CanRollback: true})
			}()
			m.Update(br.waitFor()()) // the frame that carries the pause
			v := ansi.Strip(m.View())
			if !strings.Contains(v, "Stage 2/3 done · c continue to stage 3 (2 hosts) · n stop · r roll back 1 failed") {
				t.Fatalf("no pause prompt:\n%s", v)
			}
			m.Update(press(tc.key))
			select {
			case c := <-got:
				if c != tc.want {
					t.Errorf("Ask got %v, want %v", c, tc.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Ask never got the choice")
			}
			if m.live.pause != nil {
				t.Error("the prompt stays after the choice")
			}
		})
	}
}

func TestPauseWaitingForApproval(t *testing.T) {
	e := newEnv(t, incident.SEV1, "")
	m := syntheticRun(t, e)
	feedStageTwo(m)
	m.Update(batchMsg{gen: m.gen, pauses: []rollout.Pause{{Run: 7, Done: 1, Stages: 3, NextHosts: []string{"web2", "web3"}, NeedApproval: true}}})
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "Needs another person's approval: firebreak approve RUN-7 from their terminal") ||
		!strings.Contains(v, "waiting for approval") {
		t.Fatalf("no approval notice:\n%s", v)
	}
	m.Update(press("c"))
	if v := ansi.Strip(m.View()); !strings.Contains(v, "the next stage starts once it is approved") {
		t.Errorf("continue before approval:\n%s", v)
	}
	m.Update(batch(m, rollout.Update{Kind: rollout.UpdateApproved, Run: 7, Text: "approved by bob"},
		rollout.Update{Kind: rollout.UpdateStage, Run: 7, Stage: 2}))
	if m.live.pause != nil || m.live.approvedBy != "approved by bob" {
		t.Errorf("after approval: %+v", m.live.pause)
	}
}

func TestLiveShowsHalt(t *testing.T) {
	e := newEnv(t, incident.SEV3, "")
	m := syntheticRun(t, e)
	feedStageTwo(m)
	m.Update(runDoneMsg{gen: m.gen, sum: &rollout.Summary{Run: 7, Status: rollout.StatusHalted,
		Reason: "halted by the off-switch (by root as bob: db on fire)"}})
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "RUN-7 halted: halted by the off-switch (by root as bob: db on fire)") ||
		!strings.Contains(v, "continues it") {
		t.Errorf("halt not shown:\n%s", v)
	}
	if strings.Contains(v, "nothing runs until") {
		t.Errorf("the run screen states the off-switch, which may have been released since (the banner follows it):\n%s", v)
	}
}

func TestLiveResizeKeepsLinesInside(t *testing.T) {
	e := newEnv(t, incident.SEV3, "")
	m := syntheticRun(t, e)
	feedStageTwo(m)
	m.Update(batch(m, line("web2", strings.Repeat("very long output line ", 20)+"\ttab")))
	m.Update(batchMsg{gen: m.gen, pauses: []rollout.Pause{{Run: 7, Done: 2, Stages: 3, NextHosts: []string{"db1"}, NeedApproval: true}}})
	for _, sz := range [][2]int{{80, 24}, {40, 10}, {12, 4}, {1, 1}, {200, 50}, {80, 24}} {
		m.SetSize(sz[0], sz[1])
		checkFits(t, m.View(), sz[0], sz[1])
	}
	for range 100 {
		m.Update(batch(m, line("web2", fmt.Sprintf("line %d", time.Now().UnixNano()))))
	}
	checkFits(t, m.View(), 80, 24)
	m.Update(press("pgup"))
	m.Update(tea.KeyMsg{Type: tea.KeyPgDown})
	checkFits(t, m.View(), 80, 24)
}

func TestRingKeepsTheTail(t *testing.T) {
	r := newRing(3)
	for i := range 10 {
		r.add(fmt.Sprint(i), 3)
	}
	var got []string
	r.each(func(s string) { got = append(got, s) })
	if strings.Join(got, ",") != "7,8,9" || r.last() != "9" || r.total != 10 {
		t.Errorf("ring: %v last %q total %d", got, r.last(), r.total)
	}
}

// TestLiveOutputWraps: w wraps a long output line whole instead of cutting it at the width.
func TestLiveOutputWraps(t *testing.T) {
	e := newEnv(t, incident.SEV3, "")
	m := syntheticRun(t, e)
	long := "BEGIN " + strings.Repeat("x", 150) + " END"
	m.Update(batch(m, rollout.Update{Kind: rollout.UpdateLine, Run: 7, Stage: 1, Host: "web1", Line: output.Line{Text: long}}))
	if strings.Contains(ansi.Strip(m.View()), " END") {
		t.Fatal("the long line shows whole before w: the test needs a longer one")
	}
	m.Update(press("w"))
	if v := ansi.Strip(m.View()); !strings.Contains(v, " END") || !strings.Contains(v, "BEGIN") {
		t.Fatalf("w did not wrap the line:\n%s", v)
	}
}

// TestLiveFleetNavigation: on a run of thousands of hosts the table shows a screenful around the selected
// host, g and G go to its ends, x to the next failed host, and the stage bars count what the rows say.
func TestLiveFleetNavigation(t *testing.T) {
	m, spec, plan := fleetRun(t, 2000)
	m.showRun(spec, plan)
	midRun(m, plan)
	m.Update(press("G"))
	v := ansi.Strip(m.View())
	checkFits(t, v, 120, 40)
	if !strings.Contains(v, "> ") || !strings.Contains(v, "host02000") || strings.Contains(v, "host00001 ") {
		t.Fatalf("after G:\n%s", v)
	}
	m.Update(press("g"))
	m.Update(press("x"))
	if r := m.live.rows[m.live.selected]; r.name != "host00005" || !r.state.Bad() {
		t.Fatalf("x selected %s (%s), want host00005, the first failed", r.name, r.state)
	}
	m.Update(press("x"))
	if r := m.live.rows[m.live.selected]; !r.state.Bad() || r.index <= 4 {
		t.Fatalf("x again selected %s (%s)", r.name, r.state)
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "output of "+m.live.rows[m.live.selected].name) {
		t.Fatalf("the output is not the selected host's:\n%s", v)
	}
	// A host done twice (a rollback) and a running one done: the counts follow the states.
	first := plan.Stages[3][0].Name
	m.Update(batch(m, done(first, 4, rollout.Failed, 1, time.Second), done(first, 4, rollout.RolledBack, 0, time.Second)))
	for si, c := range m.live.stages {
		want := stageCount{hosts: len(plan.Stages[si])}
		for _, h := range plan.Stages[si] {
			r := m.live.byName[h.Name]
			if finished(r.state) {
				want.done++
			}
			if r.state.Bad() {
				want.bad++
			}
		}
		if c != want {
			t.Errorf("stage %d counts %+v, want %+v", si+1, c, want)
		}
	}
}
