package ui

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/ui/deps"
	"github.com/firebreak/firebreak/ui/runview"
	"github.com/firebreak/firebreak/ui/styles"
)

// defaultRunScreen is the run screen the console opens when Options.RunScreen is nil: ui/runview.
func defaultRunScreen(d deps.Deps, st *styles.Styles, inc *incident.Incident, t RunTarget) RunScreen {
	return &runviewScreen{runview.New(d, st, inc, runview.Target{Runbook: t.Runbook, Step: t.Step, Command: t.Command, AdHoc: t.AdHoc,
		Resume: t.Resume, Retry: t.Retry})}
}

// runviewScreen adapts *runview.Model, whose Update returns the model, to RunScreen.
type runviewScreen struct{ *runview.Model }

func (r *runviewScreen) Update(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	r.Model, cmd = r.Model.Update(msg)
	return cmd
}

func (r *runviewScreen) Closed(msg tea.Msg) bool {
	_, ok := msg.(runview.ClosedMsg)
	return ok
}

// InputFocused reports whether the run screen's keys are text (so q and ! type).
func (r *runviewScreen) InputFocused() bool {
	if f, ok := any(r.Model).(interface{ InputFocused() bool }); ok {
		return f.InputFocused()
	}
	return false
}
