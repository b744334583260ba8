package retroview

import "github.com/charmbracelet/bubbles/key"

// KeyMap is the retrospective screen's keys. Which apply depends on what is open; ShortHelp shows those.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Open, Back, Preview, Reload             key.Binding
	NextState, PrevState                    key.Binding
	AddAction, ToggleDone, RemoveAction     key.Binding
	PushTicket                              key.Binding
	SaveNow, EditorPreview                  key.Binding
	NextField, PrevField, Submit            key.Binding
	Confirm, Cancel                         key.Binding
}

// DefaultKeyMap builds the key map.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:            b("↑/k", "up", "up", "k"),
		Down:          b("↓/j", "down", "down", "j"),
		PageUp:        b("pgup", "page up", "pgup"),
		PageDown:      b("pgdn", "page down", "pgdown"),
		Top:           b("home", "top", "home", "g"),
		Bottom:        b("end", "bottom", "end", "G"),
		Open:          b("enter", "edit section / action item", "enter"),
		Back:          b("esc", "back", "esc"),
		Preview:       b("p", "preview section / whole document", "p"),
		Reload:        b("r", "reload", "r"),
		NextState:     b("s", "next state (review, publish)", "s"),
		PrevState:     b("S", "previous state", "S"),
		AddAction:     b("a", "add action item", "a"),
		ToggleDone:    b("space", "action item done/undone", " ", "space", "x"),
		RemoveAction:  b("d", "remove action item", "d", "delete"),
		PushTicket:    b("T", "create its ticket in the tracker", "T"),
		SaveNow:       b("ctrl+s", "save now", "ctrl+s"),
		EditorPreview: b("tab", "editor / preview", "tab"),
		NextField:     b("tab", "next field", "tab", "down"),
		PrevField:     b("shift+tab", "previous field", "shift+tab", "up"),
		Submit:        b("enter", "save", "enter"),
		Confirm:       b("y", "yes", "y"),
		Cancel:        b("n/esc", "no", "n", "esc"),
	}
}
