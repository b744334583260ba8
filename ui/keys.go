package ui

import "github.com/charmbracelet/bubbles/key"

// GlobalKeys work on every screen, before the screen sees the key.
type GlobalKeys struct {
	// Halt engages the off-switch: every run stops, asking nothing.
	Halt key.Binding
	// Quit leaves the console (asking first while a run is active).
	Quit key.Binding
	// Interrupt leaves at once, like Quit.
	Interrupt key.Binding
	// Help shows or hides the full help.
	Help key.Binding
	// Background leaves the run screen while its run goes on (esc, while a run is active).
	Background key.Binding
	// Reopen brings back the run that goes on in the background.
	Reopen key.Binding
	// Resume releases the off-switch after a halt (asking first).
	Resume key.Binding
}

// NewGlobalKeys builds the global key map.
func NewGlobalKeys() GlobalKeys {
	return GlobalKeys{
		Halt:       key.NewBinding(key.WithKeys("!"), key.WithHelp("!", "HALT")),
		Quit:       key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		Interrupt:  key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Help:       key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Background: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cockpit (the run goes on)")),
		Reopen:     key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open the running run")),
		Resume:     key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "resume after a halt")),
	}
}

// ShortHelp is what the help bar always shows of the global keys.
func (k GlobalKeys) ShortHelp() []key.Binding { return []key.Binding{k.Halt, k.Help, k.Quit} }

// FullHelp is the global column of the full help.
func (k GlobalKeys) FullHelp() []key.Binding {
	return []key.Binding{k.Halt, k.Help, k.Quit, k.Interrupt}
}
