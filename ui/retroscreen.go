package ui

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/ui/retroview"
)

// openRetroMsg opens the retrospective of an incident.
type openRetroMsg struct{ inc *incident.Incident }

// retroScreen adapts *retroview.Model, whose Update returns the model, to the console's screens.
type retroScreen struct{ *retroview.Model }

func (r *retroScreen) Update(msg tea.Msg) tea.Cmd {
	if _, ok := msg.(changedMsg); ok { // another console's or command's write: follow it
		return r.Model.Changed()
	}
	var cmd tea.Cmd
	r.Model, cmd = r.Model.Update(msg)
	return cmd
}

// Typing reports whether the editor or a form has the keyboard (so q, ! and ? are text there).
func (r *retroScreen) Typing() bool { return r.InputFocused() }

func (r *retroScreen) closed(msg tea.Msg) bool {
	_, ok := msg.(retroview.ClosedMsg)
	return ok
}

// quit saves what is still unsaved in every retrospective on the stack, then quits.
func (m *Model) quit() tea.Cmd {
	var flushes []tea.Cmd
	for _, s := range m.screens {
		if r, ok := s.(*retroScreen); ok {
			if f := r.Flush(); f != nil {
				flushes = append(flushes, f)
			}
		}
	}
	if len(flushes) == 0 {
		return tea.Quit
	}
	return tea.Sequence(append(flushes, tea.Quit)...)
}
