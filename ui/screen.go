package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// screen is one full screen of the console: the incident list, the cockpit, the run screen. The root
// model routes messages to the active one after its global keys.
type screen interface {
	Init() tea.Cmd
	Update(msg tea.Msg) tea.Cmd
	View() string
	SetSize(w, h int)
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	// Typing reports whether a text field of the screen has the keyboard.
	Typing() bool
}

// openIncidentMsg opens an incident's cockpit.
type openIncidentMsg struct{ id int64 }

// backMsg leaves the active screen for the one before it.
type backMsg struct{}

func back() tea.Msg { return backMsg{} }
