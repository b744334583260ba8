package runview

import (
	"github.com/charmbracelet/x/ansi"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/ui/styles"
	"github.com/firebreak/firebreak/ui/textfield"
)

// field is a labelled one-line text input (textfield, that is bubbles/textinput).
type field struct {
	label       string
	placeholder string
	text        textfield.Field
}

func newField(label, placeholder string) field {
	return field{label: label, placeholder: placeholder, text: textfield.New(4096)}
}

// Value is the text typed.
func (f *field) Value() string { return f.text.Value() }

// SetValue replaces the text and puts the cursor at its end.
func (f *field) SetValue(s string) { f.text.SetValue(s) }

// update applies a key; it reports whether the text changed.
func (f *field) update(k tea.KeyMsg) bool { return f.text.Update(k) }

// view renders "label: text" in width cells, the cursor shown when focused, the placeholder when empty.
func (f *field) view(st *styles.Styles, width int, focused bool) string {
	label := ""
	if f.label != "" {
		label = f.label + ": "
		if focused {
			label = st.Bold.Render(f.label) + ": "
		} else {
			label = st.Subtle.Render(f.label) + ": "
		}
	}
	room := width - ansi.StringWidth(label)
	if room < 2 {
		return ansi.Truncate(label, max(width, 0), "")
	}
	return label + f.text.View(st, room, focused, f.placeholder)
}
