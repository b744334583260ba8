package ui

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/ui/styles"
)

// input is a one-line text field. bubbles/textinput would do, but it pulls in a clipboard module that this
// project's go.sum does not carry; a prompt needs only typing, deleting and moving the cursor.
type input struct {
	value  []rune
	cursor int
	limit  int
	// fresh says the text is a prefilled suggestion, shown selected: typing replaces it, backspace clears
	// it, moving the cursor keeps it for editing.
	fresh bool
}

func newInput(value string) *input {
	in := &input{limit: 10000}
	in.SetValue(value)
	in.fresh = value != ""
	return in
}

// Value is the text typed.
func (in *input) Value() string { return string(in.value) }

// SetValue replaces the text and puts the cursor at its end.
func (in *input) SetValue(s string) {
	in.value = []rune(s)
	in.cursor = len(in.value)
}

// Update applies a key and reports whether the text changed.
func (in *input) Update(k tea.KeyMsg) bool {
	if in.fresh {
		in.fresh = false
		switch k.Type {
		case tea.KeyRunes, tea.KeySpace: // typing replaces the suggestion
			in.value, in.cursor = in.value[:0], 0
		case tea.KeyBackspace, tea.KeyDelete:
			in.value, in.cursor = in.value[:0], 0
			return true
		}
	}
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
			if r >= 0x20 && r != 0x7f && !(r >= 0x80 && r < 0xa0) {
				clean = append(clean, r)
			}
		}
		if len(clean) == 0 || len(in.value)+len(clean) > in.limit {
			return false
		}
		in.value = append(in.value[:in.cursor], append(clean, in.value[in.cursor:]...)...)
		in.cursor += len(clean)
		return true
	case tea.KeyBackspace:
		if in.cursor == 0 {
			return false
		}
		in.value = append(in.value[:in.cursor-1], in.value[in.cursor:]...)
		in.cursor--
		return true
	case tea.KeyDelete, tea.KeyCtrlD:
		if in.cursor >= len(in.value) {
			return false
		}
		in.value = append(in.value[:in.cursor], in.value[in.cursor+1:]...)
		return true
	case tea.KeyCtrlU:
		changed := len(in.value) > 0
		in.value, in.cursor = in.value[:0], 0
		return changed
	case tea.KeyCtrlW:
		i := in.cursor
		for i > 0 && in.value[i-1] == ' ' {
			i--
		}
		for i > 0 && in.value[i-1] != ' ' {
			i--
		}
		if i == in.cursor {
			return false
		}
		in.value = append(in.value[:i], in.value[in.cursor:]...)
		in.cursor = i
		return true
	case tea.KeyLeft, tea.KeyCtrlB:
		in.cursor = max(0, in.cursor-1)
	case tea.KeyRight, tea.KeyCtrlF:
		in.cursor = min(len(in.value), in.cursor+1)
	case tea.KeyHome, tea.KeyCtrlA:
		in.cursor = 0
	case tea.KeyEnd, tea.KeyCtrlE:
		in.cursor = len(in.value)
	}
	return false
}

// View renders the text in w cells, scrolled so the cursor shows; focused fields show the cursor.
func (in *input) View(st *styles.Styles, w int, focused bool, placeholder string) string {
	if w <= 0 {
		return ""
	}
	if len(in.value) == 0 && !focused {
		return clip(st.Subtle.Render(placeholder), w)
	}
	// Scroll: keep the cursor within the last w-1 cells.
	start := 0
	for ansi.StringWidth(string(in.value[start:in.cursor])) > w-1 {
		start++
	}
	var b strings.Builder
	if in.fresh && focused { // a suggestion: shown selected, replaced by what is typed
		return clip(st.Selected.Render(string(in.value)), w)
	}
	b.WriteString(string(in.value[start:in.cursor]))
	if focused {
		at := " "
		if in.cursor < len(in.value) {
			at = string(in.value[in.cursor])
		}
		b.WriteString(st.Cursor.Render(at))
		if in.cursor < len(in.value) {
			b.WriteString(string(in.value[in.cursor+1:]))
		}
	} else {
		b.WriteString(string(in.value[in.cursor:]))
	}
	if len(in.value) == 0 && placeholder != "" {
		b.WriteString(st.Subtle.Render(" " + placeholder))
	}
	return clip(b.String(), w)
}
