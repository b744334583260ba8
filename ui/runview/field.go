package runview

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/ui/styles"
)

// field is a one-line text input. bubbles/textinput would do, but it pulls in a clipboard module this
// project's go.sum does not carry, and a run screen needs only typing, deleting and moving the cursor.
type field struct {
	label       string
	placeholder string
	value       []rune
	cursor      int
	limit       int
}

func newField(label, placeholder string) field {
	return field{label: label, placeholder: placeholder, limit: 4096}
}

// Value is the text typed.
func (f *field) Value() string { return string(f.value) }

// SetValue replaces the text and puts the cursor at its end.
func (f *field) SetValue(s string) {
	f.value = []rune(s)
	if f.limit > 0 && len(f.value) > f.limit {
		f.value = f.value[:f.limit]
	}
	f.cursor = len(f.value)
}

// update applies a key; it reports whether the text changed.
func (f *field) update(k tea.KeyMsg) bool {
	switch k.Type {
	case tea.KeyRunes, tea.KeySpace:
		rs := k.Runes
		if k.Type == tea.KeySpace {
			rs = []rune{' '}
		}
		var clean []rune
		for _, r := range rs {
			if r == '\n' || r == '\r' || r == '\t' {
				r = ' '
			}
			if r >= 0x20 && r != 0x7f {
				clean = append(clean, r)
			}
		}
		if len(clean) == 0 || f.limit > 0 && len(f.value)+len(clean) > f.limit {
			return false
		}
		v := make([]rune, 0, len(f.value)+len(clean))
		v = append(v, f.value[:f.cursor]...)
		v = append(v, clean...)
		f.value = append(v, f.value[f.cursor:]...)
		f.cursor += len(clean)
		return true
	case tea.KeyBackspace:
		if f.cursor > 0 {
			f.value = append(f.value[:f.cursor-1], f.value[f.cursor:]...)
			f.cursor--
			return true
		}
	case tea.KeyDelete:
		if f.cursor < len(f.value) {
			f.value = append(f.value[:f.cursor], f.value[f.cursor+1:]...)
			return true
		}
	case tea.KeyLeft:
		f.cursor = max(0, f.cursor-1)
	case tea.KeyRight:
		f.cursor = min(len(f.value), f.cursor+1)
	case tea.KeyHome, tea.KeyCtrlA:
		f.cursor = 0
	case tea.KeyEnd, tea.KeyCtrlE:
		f.cursor = len(f.value)
	case tea.KeyCtrlU:
		if len(f.value) > 0 {
			f.value, f.cursor = nil, 0
			return true
		}
	case tea.KeyCtrlW:
		i := f.cursor
		for i > 0 && f.value[i-1] == ' ' {
			i--
		}
		for i > 0 && f.value[i-1] != ' ' {
			i--
		}
		if i < f.cursor {
			f.value = append(f.value[:i], f.value[f.cursor:]...)
			f.cursor = i
			return true
		}
	}
	return false
}

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
	if len(f.value) == 0 {
		ph := ansi.Truncate(f.placeholder, room-1, "…")
		if focused {
			first := " "
			rest := ph
			if ph != "" {
				first, rest = string([]rune(ph)[0]), string([]rune(ph)[1:])
			}
			return label + st.Selected.Render(first) + st.Subtle.Render(rest)
		}
		return label + st.Subtle.Render(ph)
	}
	// Scroll horizontally so the cursor stays visible.
	start := 0
	if f.cursor >= room-1 {
		start = f.cursor - (room - 2)
	}
	vis := f.value[start:]
	var b strings.Builder
	w := 0
	for i, r := range vis {
		rw := ansi.StringWidth(string(r))
		if w+rw > room-1 {
			break
		}
		w += rw
		if focused && start+i == f.cursor {
			b.WriteString(st.Selected.Render(string(r)))
		} else {
			b.WriteRune(r)
		}
	}
	if focused && f.cursor == len(f.value) {
		b.WriteString(st.Selected.Render(" "))
	}
	return label + b.String()
}
