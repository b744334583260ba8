package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/ui/styles"
)

// textViewKeys are the keys of a text view.
type textViewKeys struct{ Up, Down, PageUp, PageDown, Close key.Binding }

func newTextViewKeys() textViewKeys {
	return textViewKeys{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d", " "), key.WithHelp("pgdn", "page down")),
		Close:    key.NewBinding(key.WithKeys("esc", "enter", "q"), key.WithHelp("esc", "close")),
	}
}

// textView shows a text whole, wrapped to the width and scrolled: what a row had to cut short (a long
// note, an event's data, a reason) opens here.
type textView struct {
	st     *styles.Styles
	keys   textViewKeys
	title  string
	text   string
	offset int
	rows   int // lines visible at the last View
	lines  int // wrapped lines at the last View
	// wrapped is text wrapped to wrapW, kept between frames: a stage of 10,000 hosts is wrapped once per
	// width, not on every key.
	wrapped []string
	wrapW   int
}

func newTextView(st *styles.Styles, title, text string) *textView {
	return &textView{st: st, keys: newTextViewKeys(), title: title, text: text}
}

func (v *textView) Typing() bool { return false }

func (v *textView) Update(msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return false, nil
	}
	page := max(1, v.rows-1)
	switch {
	case key.Matches(k, v.keys.Close):
		return true, nil
	case key.Matches(k, v.keys.Up):
		v.offset--
	case key.Matches(k, v.keys.Down):
		v.offset++
	case key.Matches(k, v.keys.PageUp):
		v.offset -= page
	case key.Matches(k, v.keys.PageDown):
		v.offset += page
	}
	v.offset = max(0, min(v.offset, v.lines-v.rows))
	return false, nil
}

// Height takes the whole screen: the point is to see all of it.
func (v *textView) Height(avail int) int { return avail }

func (v *textView) View(w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	if v.wrapped == nil || v.wrapW != w {
		v.wrapped, v.wrapW = nil, w
		for _, l := range strings.Split(v.text, "\n") {
			v.wrapped = append(v.wrapped, strings.Split(ansi.Wrap(l, w, " "), "\n")...)
		}
	}
	lines := v.wrapped
	v.rows, v.lines = max(1, h-2), len(lines)
	v.offset = max(0, min(v.offset, v.lines-v.rows))
	end := min(len(lines), v.offset+v.rows)
	info := ""
	if len(lines) > v.rows {
		info = v.st.Subtle.Render(fmt.Sprintf("  lines %d–%d of %d", v.offset+1, end, len(lines)))
	}
	out := []string{clip(v.st.Bold.Render(v.title)+info, w)}
	out = append(out, lines[v.offset:end]...)
	return fit(strings.Join(out, "\n"), w, h)
}

func (v *textView) ShortHelp() []key.Binding {
	return []key.Binding{v.keys.Close, v.keys.Up, v.keys.Down, v.keys.PageDown}
}
func (v *textView) FullHelp() [][]key.Binding { return [][]key.Binding{v.ShortHelp()} }
