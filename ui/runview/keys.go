package runview

import "github.com/charmbracelet/bubbles/key"

// KeyMap is the run screen's keys. Which ones apply depends on the phase; ShortHelp shows only those.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom        key.Binding
	NextField, PrevField                           key.Binding
	Toggle, AllHosts, NoHosts, DryReal             key.Binding
	Plan, Start, BreakGlass, Back                  key.Binding
	Confirm, Cancel                                key.Binding
	Continue, Stop, Rollback, Follow               key.Binding
	FirstHost, LastHost, NextBad                   key.Binding
	Edit, EditCheck, EditRollback, Run, Save, Name key.Binding
	Versions                                       key.Binding
}

// DefaultKeyMap builds the key map.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:           b("↑", "up", "up", "ctrl+p"),
		Down:         b("↓", "down", "down", "ctrl+n"),
		PageUp:       b("pgup", "scroll output up", "pgup"),
		PageDown:     b("pgdn", "scroll output down", "pgdown"),
		Top:          b("home", "output top", "home"),
		Bottom:       b("end", "output end", "end"),
		NextField:    b("tab", "next field", "tab"),
		PrevField:    b("shift+tab", "previous field", "shift+tab"),
		Toggle:       b("space", "toggle host/group", " ", "space"),
		AllHosts:     b("ctrl+a", "select all matched", "ctrl+a"),
		NoHosts:      b("ctrl+x", "select none", "ctrl+x"),
		DryReal:      b("ctrl+d", "dry run / real", "ctrl+d"),
		Plan:         b("enter", "plan preview", "enter"),
		Start:        b("s", "start the run", "s", "enter"),
		BreakGlass:   b("g", "break glass", "g"),
		Back:         b("esc", "back", "esc"),
		Confirm:      b("y", "yes", "y", "enter"),
		Cancel:       b("n", "no", "n", "esc"),
		Continue:     b("c", "continue to next stage", "c"),
		Stop:         b("n", "stop here", "n"),
		Rollback:     b("r", "roll back failed hosts", "r"),
		Follow:       b("f", "follow running host", "f"),
		FirstHost:    b("g", "first host", "g"),
		LastHost:     b("G", "last host", "G"),
		NextBad:      b("x", "next failed host", "x"),
		Edit:         b("e", "edit script in $EDITOR", "e"),
		EditCheck:    b("k", "edit check", "k"),
		EditRollback: b("b", "edit rollback", "b"),
		Run:          b("enter", "pick hosts and run", "enter"),
		Save:         b("W", "write it as a runbook", "W"),
		Name:         b("n", "name it", "n"),
		Versions:     b("←/→", "older/newer version", "left", "right"),
	}
}
