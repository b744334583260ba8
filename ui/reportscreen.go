package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// reportKeys are the keys of a report screen (the handover, the trends).
type reportKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom, Refresh, Back key.Binding
}

func newReportKeys() reportKeys {
	return reportKeys{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d", " "), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "top")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "bottom")),
		Refresh:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "read again")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	}
}

// reportScreen shows a report the domain builds (the handover, the trends) as lines, scrolled. It reads
// the report in the background and lays it out again for each width; it adds nothing to it.
type reportScreen struct {
	c     *common
	keys  reportKeys
	title string
	// load reads the report and returns how to lay it out at a width.
	load func(ctx context.Context) (func(w int) []string, error)
	// live reads it again whenever anyone changes anything (the handover); else only on r and on return.
	live bool

	layout  func(w int) []string
	lines   []string
	linesW  int
	offset  int
	loaded  bool
	reading bool
	again   bool // a change arrived while reading: read once more after
	err     string
	w, h    int
}

// reportMsg carries a report read for screen s.
type reportMsg struct {
	s      *reportScreen
	layout func(w int) []string
	err    error
}

func newReportScreen(c *common, title string, live bool, load func(ctx context.Context) (func(w int) []string, error)) *reportScreen {
	return &reportScreen{c: c, keys: newReportKeys(), title: title, live: live, load: load}
}

func (s *reportScreen) Init() tea.Cmd { return s.read() }

func (s *reportScreen) read() tea.Cmd {
	if s.reading {
		s.again = true
		return nil
	}
	s.reading = true
	return s.c.read(func(ctx context.Context) tea.Msg {
		layout, err := s.load(ctx)
		return reportMsg{s: s, layout: layout, err: err}
	})
}

func (s *reportScreen) Typing() bool { return false }

func (s *reportScreen) SetSize(w, h int) { s.w, s.h = w, h }

func (s *reportScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case reportMsg:
		if msg.s != s {
			return nil
		}
		s.reading, s.loaded = false, true
		if msg.err != nil {
			s.err = errText(msg.err)
		} else {
			s.err, s.layout, s.lines = "", msg.layout, nil
		}
		if s.again {
			s.again = false
			return s.read()
		}
	case changedMsg:
		if s.live {
			return s.read()
		}
	case refreshMsg:
		return s.read()
	case tea.KeyMsg:
		page := max(1, s.rows()-1)
		switch {
		case key.Matches(msg, s.keys.Back):
			return back
		case key.Matches(msg, s.keys.Refresh):
			return s.read()
		case key.Matches(msg, s.keys.Up):
			s.offset--
		case key.Matches(msg, s.keys.Down):
			s.offset++
		case key.Matches(msg, s.keys.PageUp):
			s.offset -= page
		case key.Matches(msg, s.keys.PageDown):
			s.offset += page
		case key.Matches(msg, s.keys.Top):
			s.offset = 0
		case key.Matches(msg, s.keys.Bottom):
			s.offset = len(s.lines)
		}
	}
	return nil
}

// rows are the lines of the report that show under the title.
func (s *reportScreen) rows() int { return max(0, s.h-1) }

func (s *reportScreen) View() string {
	st := s.c.st
	title := st.Title.Render("firebreak") + st.Subtle.Render(" · "+s.title)
	switch {
	case s.err != "":
		return fit(title+"\n"+st.Error.Render(s.err), s.w, s.h)
	case !s.loaded:
		return fit(title+"\n"+st.Subtle.Render("reading…"), s.w, s.h)
	}
	if s.lines == nil || s.linesW != s.w {
		s.lines, s.linesW = nil, s.w
		for _, l := range s.layout(s.w) {
			s.lines = append(s.lines, strings.Split(ansi.Wrap(l, max(1, s.w), " "), "\n")...)
		}
	}
	rows := s.rows()
	s.offset = max(0, min(s.offset, len(s.lines)-rows))
	end := min(len(s.lines), s.offset+rows)
	if len(s.lines) > rows {
		title += st.Subtle.Render(fmt.Sprintf("  lines %d–%d of %d", s.offset+1, end, len(s.lines)))
	}
	return fit(clip(title, s.w)+"\n"+strings.Join(s.lines[s.offset:end], "\n"), s.w, s.h)
}

func (s *reportScreen) ShortHelp() []key.Binding {
	return []key.Binding{s.keys.Back, s.keys.Down, s.keys.PageDown, s.keys.Refresh}
}

func (s *reportScreen) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{s.keys.Up, s.keys.Down, s.keys.PageUp, s.keys.PageDown, s.keys.Top, s.keys.Bottom},
		{s.keys.Refresh, s.keys.Back},
	}
}

// pushScreenMsg puts a screen on top of the stack.
type pushScreenMsg struct{ s screen }
