package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/ui/styles"
)

// overlay is a small modal thing over the active screen: a form, a picker or a confirmation. While one is
// open it has the keyboard (but for ctrl+c); everything else still flows to the screen underneath.
type overlay interface {
	// Update handles a message; close reports that the overlay is done.
	Update(msg tea.Msg) (close bool, cmd tea.Cmd)
	// View renders it w cells wide in at most h lines.
	View(w, h int) string
	// Height is how many lines it wants when avail are free.
	Height(avail int) int
	// Typing reports whether keys are text (so single-letter global keys type instead).
	Typing() bool
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
}

// formKeys are the keys of a form.
type formKeys struct {
	Submit, Next, Prev, Cancel key.Binding
}

func newFormKeys() formKeys {
	return formKeys{
		Submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "ok (from any field)")),
		Next:   key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab", "next field")),
		Prev:   key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab", "previous")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// formField is one labelled text field of a form.
type formField struct {
	label, hint string
	in          *input
}

// form asks for one or more lines of text. submit turns the values into the write to do; the form stays
// open (busy) until that write reports back, and shows its error so nothing typed is lost.
type form struct {
	st     *styles.Styles
	keys   formKeys
	title  string
	fields []formField
	focus  int
	busy   bool
	err    string
	submit func(f *form, vals []string) tea.Cmd
}

func newForm(st *styles.Styles, title string, submit func(f *form, vals []string) tea.Cmd, fields ...formField) *form {
	return &form{st: st, keys: newFormKeys(), title: title, fields: fields, submit: submit}
}

// field makes a form field with a starting value.
func field(label, value, hint string) formField {
	return formField{label: label, hint: hint, in: newInput(value)}
}

func (f *form) Typing() bool { return true }

func (f *form) Update(msg tea.Msg) (bool, tea.Cmd) {
	switch msg := msg.(type) {
	case actionMsg:
		if msg.from != f {
			return false, nil
		}
		f.busy = false
		if msg.err != nil {
			f.err = errText(msg.err)
			return false, nil
		}
		return true, nil
	case tea.KeyMsg:
		if f.busy {
			if key.Matches(msg, f.keys.Cancel) {
				return true, nil
			}
			return false, nil
		}
		switch {
		case key.Matches(msg, f.keys.Cancel):
			return true, nil
		case key.Matches(msg, f.keys.Submit): // from any field: submit checks the values and keeps the form open on an error
			vals := make([]string, len(f.fields))
			for i, fl := range f.fields {
				vals[i] = fl.in.Value()
			}
			f.busy, f.err = true, ""
			return false, f.submit(f, vals)
		case key.Matches(msg, f.keys.Next):
			f.focus = (f.focus + 1) % len(f.fields)
		case key.Matches(msg, f.keys.Prev):
			f.focus = (f.focus + len(f.fields) - 1) % len(f.fields)
		default:
			if f.fields[f.focus].in.Update(msg) {
				f.err = ""
			}
		}
	}
	return false, nil
}

// failed is the result of a submit that was refused before it reached the database (bad input).
func (f *form) failed(err error) tea.Cmd {
	return func() tea.Msg { return actionMsg{from: f, err: err} }
}

func (f *form) Height(avail int) int { return min(avail, len(f.fields)+2) }

func (f *form) View(w, h int) string {
	var lines []string
	title := f.st.Bold.Render(f.title)
	if f.busy {
		title += f.st.Subtle.Render("  …")
	}
	lines = append(lines, title)
	labelW := 0
	for _, fl := range f.fields {
		labelW = max(labelW, len(fl.label))
	}
	for i, fl := range f.fields {
		label := f.st.Prompt.Render(pad(fl.label, labelW) + ": ")
		avail := w - labelW - 2
		hint := ""
		if i == f.focus && fl.hint != "" && fl.in.Value() == "" {
			hint = fl.hint
		}
		lines = append(lines, label+fl.in.View(f.st, avail, i == f.focus, hint))
	}
	if f.err != "" {
		lines = append(lines, f.st.Error.Render(f.err))
	} else if hint := f.fields[f.focus].hint; hint != "" && f.fields[f.focus].in.Value() != "" {
		lines = append(lines, f.st.Subtle.Render(hint))
	} else {
		lines = append(lines, "")
	}
	return fit(strings.Join(lines, "\n"), w, h)
}

func (f *form) ShortHelp() []key.Binding {
	if len(f.fields) > 1 {
		return []key.Binding{f.keys.Submit, f.keys.Next, f.keys.Cancel}
	}
	return []key.Binding{f.keys.Submit, f.keys.Cancel}
}

func (f *form) FullHelp() [][]key.Binding {
	return [][]key.Binding{{f.keys.Submit, f.keys.Next, f.keys.Prev, f.keys.Cancel}}
}
