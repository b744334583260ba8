package runview

import (
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"github.com/firebreak/firebreak/incident"
)

// TestGoldenLiveTable60 is the live table at 60×20: nothing wraps mid-value, the columns stay aligned.
func TestGoldenLiveTable60(t *testing.T) { goldenLiveTable(t, 60, 20) }

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
