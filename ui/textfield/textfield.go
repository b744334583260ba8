// Package textfield is the console's one-line text field: bubbles/textinput for the editing (typing,
// deleting, words, moving the cursor, scrolling in a fixed width), plus the two rules the console adds: a
// prefilled value can be a suggestion that the first typed character replaces, and the field is drawn in
// whatever width its screen has at View time.
package textfield

import (
	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/ui/styles"
)

// Field is a one-line text field. Its zero value is not ready; make one with New.
type Field struct {
	ti textinput.Model
	// fresh says the text is a prefilled suggestion, shown selected: typing replaces it, backspace or delete
	// clears it, moving the cursor keeps it for editing.
	fresh bool
}

// New makes an empty field that takes at most limit characters (no limit if limit <= 0).
func New(limit int) Field {
	ti := textinput.New()
	ti.Prompt = ""
	ti.CharLimit = limit
	// ctrl+v would read the clipboard in a command whose result the screens do not route back to the field;
	// a terminal paste arrives as typed runes (bracketed paste) and needs no binding.
	ti.KeyMap.Paste.SetEnabled(false)
	// A steady cursor: no blink timer to run, and views (and golden files) do not depend on the clock.
	ti.Cursor.SetMode(cursor.CursorStatic)
	// The field always takes keys it is given; which field has the keyboard is the screen's business, and
	// View draws the cursor only for the focused one.
	ti.Focus()
	return Field{ti: ti}
}

// Value is the text typed.
func (f *Field) Value() string { return f.ti.Value() }

// SetValue replaces the text (control characters dropped, tabs and newlines made spaces) and puts the
// cursor at its end.
func (f *Field) SetValue(s string) {
	f.ti.SetValue(s)
	f.ti.CursorEnd()
	f.fresh = false
}

// Suggest sets s as a suggestion: shown selected until a key edits it (see Update).
func (f *Field) Suggest(s string) {
	f.SetValue(s)
	f.fresh = s != ""
}

// Update applies a key and reports whether the text changed. Typed and pasted control characters are
// dropped, tabs and newlines become spaces; ctrl+u clears, ctrl+w deletes a word, home/end/ctrl+a/ctrl+e
// move (textinput's key map).
func (f *Field) Update(k tea.KeyMsg) bool {
	before := f.ti.Value()
	if f.fresh {
		f.fresh = false
		switch {
		case k.Type == tea.KeyRunes || k.Type == tea.KeySpace: // typing replaces the suggestion
			f.ti.Reset()
		case key.Matches(k, f.ti.KeyMap.DeleteCharacterBackward, f.ti.KeyMap.DeleteCharacterForward):
			f.ti.Reset()
			return before != ""
		}
	}
	if k.Type == tea.KeySpace { // a space may come without its rune (tests, some terminals)
		k.Runes = []rune{' '}
	}
	f.ti, _ = f.ti.Update(k) // no command: the cursor is steady and the clipboard binding is off
	return f.ti.Value() != before
}

// View renders the text in w cells, scrolled so the cursor shows. A focused field shows the cursor (on the
// placeholder's first character when empty) or, for a suggestion, the whole text selected; an empty field
// shows the placeholder.
func (f *Field) View(st *styles.Styles, w int, focused bool, placeholder string) string {
	if w <= 0 {
		return ""
	}
	if f.fresh && focused {
		return ansi.Truncate(st.Selected.Render(f.ti.Value()), w, "…")
	}
	f.fit(max(w-1, 1)) // textinput draws Width cells of text and one more for the cursor
	ti := f.ti
	ti.Placeholder = placeholder
	ti.PlaceholderStyle = st.Subtle
	ti.Cursor.Style = st.Cursor
	if !focused {
		ti.Blur()
	}
	return ansi.Truncate(ti.View(), w, "")
}

// fit sets the width textinput scrolls in. textinput keeps its scroll window between keys, so a new width
// lays the text out afresh with the cursor where it was.
func (f *Field) fit(w int) {
	if f.ti.Width == w {
		return
	}
	v, pos := f.ti.Value(), f.ti.Position()
	f.ti.Width = w
	f.ti.Reset()
	f.ti.SetValue(v)
	f.ti.SetCursor(pos)
}
