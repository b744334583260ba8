package runview

import (
	"io"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/rollout"
)

// TestGoldenLiveTable60 is the live table at 60×20: nothing wraps mid-value, the columns stay aligned.
func TestGoldenLiveTable60(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	e := newEnv(t, incident.SEV2, "")
	m := syntheticRun(t, e)
	tm := teatest.NewTestModel(t, program{m}, teatest.WithInitialTermSize(60, 20))
	tm.Send(batch(m,
		rollout.Update{Kind: rollout.UpdateStarted, Run: 7, Text: "restart-web/restart"},
		rollout.Update{Kind: rollout.UpdateStage, Run: 7, Stage: 1},
		rollout.Update{Kind: rollout.UpdateHostRunning, Run: 7, Stage: 1, Host: "web1"},
		line("web1", "restarting nginx"), line("web1", "nginx is active"),
		done("web1", 1, rollout.Changed, 0, 1200*time.Millisecond),
	))
	tm.Send(batchMsg{gen: m.gen, pauses: []rollout.Pause{{Run: 7, Done: 1, Stages: 3, NextHosts: []string{"web2", "web3"}, NeedApproval: true}}})
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	out := tm.FinalModel(t).View()
	checkFits(t, out, 60, 20)
	golden.RequireEqual(t, []byte(out))
	if _, err := io.ReadAll(tm.FinalOutput(t)); err != nil {
		t.Fatal(err)
	}
}

// TestGoldenPlan60 is the plan preview of a real run at 60×20, every guard's line wrapped inside.
func TestGoldenPlan60(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	e := newEnv(t, incident.SEV2, "")
	now := outOfHours(t, e)
	m := e.model(Target{Command: "echo hi", AdHoc: true})
	m.now = func() time.Time { return now }
	m.SetSize(60, 20)
	runSync(m, m.Init())
	m.Update(press("enter"))
	typeText(m, "web")
	m.Update(press("ctrl+d"))
	_, cmd := m.Update(press("enter"))
	runSync(m, cmd)
	out := m.View()
	checkFits(t, out, 60, 20)
	golden.RequireEqual(t, []byte(out))
}
