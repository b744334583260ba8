package textfield

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/firebreak/firebreak/ui/styles"
)

func runes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

func keyOf(t tea.KeyType) tea.KeyMsg { return tea.KeyMsg{Type: t} }

// TestFieldEditing: what typing, pasting and the editing keys leave in the field.
func TestFieldEditing(t *testing.T) {
	for _, tc := range []struct {
		name, start string
		keys        []tea.KeyMsg
		want        string
	}{
		{"typing", "", []tea.KeyMsg{runes("ab"), keyOf(tea.KeySpace), runes("c")}, "ab c"},
		{"! q ? are characters", "", []tea.KeyMsg{runes("!"), runes("q"), runes("?")}, "!q?"},
		{"control characters dropped", "", []tea.KeyMsg{runes("a\x1b[31mb\x07c\x7f\u009bd")}, "a[31mbcd"},
		{"a paste's newlines and tabs become spaces", "", []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune("one\ntwo\tthree\r\n"), Paste: true}}, "one two three  "},
		{"backspace", "abc", []tea.KeyMsg{keyOf(tea.KeyBackspace)}, "ab"},
		{"delete at the end does nothing", "abc", []tea.KeyMsg{keyOf(tea.KeyDelete)}, "abc"},
		{"ctrl+u clears", "abc def", []tea.KeyMsg{keyOf(tea.KeyCtrlU)}, ""},
		{"ctrl+w deletes a word", "abc def  ", []tea.KeyMsg{keyOf(tea.KeyCtrlW)}, "abc "},
		{"home inserts at the start", "bc", []tea.KeyMsg{keyOf(tea.KeyHome), runes("a")}, "abc"},
		{"ctrl+a, ctrl+e", "b", []tea.KeyMsg{keyOf(tea.KeyCtrlA), runes("a"), keyOf(tea.KeyCtrlE), runes("c")}, "abc"},
		{"left, right", "ac", []tea.KeyMsg{keyOf(tea.KeyLeft), runes("b"), keyOf(tea.KeyRight), runes("d")}, "abcd"},
		{"ctrl+v does nothing", "a", []tea.KeyMsg{keyOf(tea.KeyCtrlV)}, "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := New(100)
			f.SetValue(tc.start)
			for _, k := range tc.keys {
				f.Update(k)
			}
			if got := f.Value(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestFieldReportsChanges: Update says whether the text changed, so a filter re-runs only then.
func TestFieldReportsChanges(t *testing.T) {
	f := New(3)
	if !f.Update(runes("ab")) || f.Update(keyOf(tea.KeyLeft)) || f.Update(runes("\x1b")) {
		t.Error("typing should change the text, moving and control characters not")
	}
	if !f.Update(runes("cd")) || f.Value() != "acb" {
		t.Errorf("past the limit: %q", f.Value())
	}
}

// TestSuggestion: a suggested value is replaced by typing, cleared by backspace or delete, and kept for
// editing once the cursor moves.
func TestSuggestion(t *testing.T) {
	for _, tc := range []struct {
		keys []tea.KeyMsg
		want string
	}{
		{[]tea.KeyMsg{runes("-"), runes("1")}, "-1"},
		{[]tea.KeyMsg{keyOf(tea.KeySpace)}, " "},
		{[]tea.KeyMsg{keyOf(tea.KeyBackspace)}, ""},
		{[]tea.KeyMsg{keyOf(tea.KeyDelete)}, ""},
		{[]tea.KeyMsg{keyOf(tea.KeyEnd), runes("-5m")}, "now-5m"},
		{[]tea.KeyMsg{keyOf(tea.KeyHome), keyOf(tea.KeyDelete)}, "ow"},
		{[]tea.KeyMsg{keyOf(tea.KeyLeft), keyOf(tea.KeyBackspace)}, "nw"},
	} {
		f := New(0)
		f.Suggest("now")
		for _, k := range tc.keys {
			f.Update(k)
		}
		if got := f.Value(); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.keys, got, tc.want)
		}
	}
}

// TestFieldView: the field fits its width, the cursor stays in view as the text grows past it, and an
// empty field shows its placeholder.
func TestFieldView(t *testing.T) {
	lipgloss.SetColorProfile(termenv.ANSI)
	t.Cleanup(func() { lipgloss.SetColorProfile(termenv.Ascii) })
	st := styles.New()
	cursorAt := func(view string) string { // the text in reverse video
		i := strings.Index(view, "\x1b[7m")
		if i < 0 {
			return ""
		}
		rest := view[i+len("\x1b[7m"):]
		return rest[:strings.Index(rest, "\x1b[")]
	}
	f := New(0)
	if v := f.View(st, 20, true, "a pattern"); ansi.Strip(v) != "a pattern"+strings.Repeat(" ", 10) || cursorAt(v) != "a" {
		t.Errorf("empty, focused: %q", v)
	}
	if v := f.View(st, 20, false, "a pattern"); strings.Contains(v, "\x1b[7m") || !strings.Contains(ansi.Strip(v), "a pattern") {
		t.Errorf("empty, not focused: %q", v)
	}
	for i := range 30 {
		f.Update(runes(string(rune('a' + i%26))))
		v := f.View(st, 10, true, "")
		if w := ansi.StringWidth(v); w > 10 {
			t.Fatalf("%d cells wide in 10: %q", w, v)
		}
		if cursorAt(v) != " " || !strings.HasSuffix(strings.TrimRight(ansi.Strip(v), " "), string(rune('a'+i%26))) {
			t.Fatalf("the cursor and the last character typed are out of view: %q", v)
		}
	}
	f.Update(keyOf(tea.KeyHome))
	if v := f.View(st, 10, true, ""); cursorAt(v) != "a" || !strings.HasPrefix(ansi.Strip(v), "abcdefghi") {
		t.Errorf("home: %q", v)
	}
	if v := f.View(st, 5, true, ""); ansi.StringWidth(v) > 5 || cursorAt(v) != "a" {
		t.Errorf("narrower: %q", v)
	}
	f.Suggest("now")
	if v := f.View(st, 10, true, ""); cursorAt(v) != "now" {
		t.Errorf("a suggestion is shown selected: %q", v)
	}
}
