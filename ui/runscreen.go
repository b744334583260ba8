package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/ui/deps"
	"github.com/firebreak/firebreak/ui/styles"
)

// RunTarget is what the run screen runs: a runbook's script step, or an ad-hoc script.
type RunTarget struct {
	Runbook, Step string
	Command       string
	AdHoc         bool
	// Resume or Retry names an earlier run to continue on its remaining hosts, or to rerun on its failed
	// ones, under the same plan: the screen opens on the plan preview.
	Resume, Retry int64
}

// RunScreen is the run screen (host picker, plan preview, live run) as the console drives it. ui/runview
// implements it; the console reaches it only through this seam, so the rest of the console (and its tests)
// does not depend on how runs are shown.
type RunScreen interface {
	Init() tea.Cmd
	// Update handles a message; the screen updates itself in place.
	Update(msg tea.Msg) tea.Cmd
	View() string
	SetSize(w, h int)
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	// Active reports whether a run is in progress (quitting asks first, the halt key shows).
	Active() bool
	// Closed reports whether msg is the screen saying the operator left it.
	Closed(msg tea.Msg) bool
}

// RunScreenFactory opens the run screen for an incident and a target.
type RunScreenFactory func(d deps.Deps, st *styles.Styles, inc *incident.Incident, t RunTarget) RunScreen
