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

// program is a minimal root: sizes flow down through SetSize, everything else goes to the run screen.
type program struct{ m *Model }

func (p program) Init() tea.Cmd { return nil }
func (p program) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if s, ok := msg.(tea.WindowSizeMsg); ok {
		p.m.SetSize(s.Width, s.Height)
		return p, nil
	}
	if k, ok := msg.(tea.KeyMsg); ok && k.String() == "ctrl+c" {
		return p, tea.Quit
	}
	_, cmd := p.m.Update(msg)
	return p, cmd
}
func (p program) View() string { return p.m.View() }

// TestGoldenLiveTable renders the live table of fixed data in a pinned 80x24 ASCII terminal.
// Update with: go test ./ui/runview/ -run Golden -update
func TestGoldenLiveTable(t *testing.T) { goldenLiveTable(t, 80, 24) }

// goldenLiveTable renders the live table of fixed data at w×h and compares it with the test's golden file.
func goldenLiveTable(t *testing.T, w, h int) {
	lipgloss.SetColorProfile(termenv.Ascii)
	e := newEnv(t, incident.SEV2, "")
	m := syntheticRun(t, e)
	tm := teatest.NewTestModel(t, program{m}, teatest.WithInitialTermSize(w, h))
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
	checkFits(t, out, w, h)
	golden.RequireEqual(t, []byte(out))
	if _, err := io.ReadAll(tm.FinalOutput(t)); err != nil {
		t.Fatal(err)
	}
}
