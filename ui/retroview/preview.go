package retroview

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/glamour"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/firebreak/firebreak/incident/retro"
)

// preview is the rendered Markdown of one section or of the whole document.
type preview struct {
	whole bool
	from  mode // where esc goes back to
	slug  string
	vp    viewport.Model
	key   string // what is rendered: re-rendered when the text or the width changes
	marks int    // lines marked in the gutter
	rend  *glamour.TermRenderer
	rendW int
	fs    []retro.Finding
}

func (m *Model) openPreview(from mode, whole bool) {
	slug := ""
	if from == modeEditor && m.ed != nil {
		slug = m.ed.slug
	} else if sec, _, _ := m.selected(); sec != nil {
		slug = sec.Slug
	} else {
		whole = true
	}
	m.prev = preview{whole: whole, from: from, slug: slug, vp: viewport.New(m.w, 1), rend: m.prev.rend, rendW: m.prev.rendW}
	m.prev.vp.KeyMap = viewport.KeyMap{
		PageDown: m.keys.PageDown, PageUp: m.keys.PageUp, Down: m.keys.Down, Up: m.keys.Up,
		HalfPageDown: key.NewBinding(key.WithKeys("ctrl+d")), HalfPageUp: key.NewBinding(key.WithKeys("ctrl+u")),
	}
	m.mode = modePreview
}

func (m *Model) previewKey(k tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.Back) || k.Type == tea.KeyTab && m.prev.from == modeEditor:
		m.mode = m.prev.from
		if m.mode == modeEditor && m.ed != nil {
			return m.ed.ta.Focus()
		}
		return nil
	case key.Matches(k, m.keys.Preview):
		if m.prev.slug != "" {
			m.prev.whole = !m.prev.whole
			m.prev.key = ""
		}
		return nil
	case key.Matches(k, m.keys.Top):
		m.prev.vp.GotoTop()
		return nil
	case key.Matches(k, m.keys.Bottom):
		m.prev.vp.GotoBottom()
		return nil
	}
	var cmd tea.Cmd
	m.prev.vp, cmd = m.prev.vp.Update(k)
	return cmd
}

// markdownSource is the Markdown to preview, and the findings in it: the open editor's text as typed.
func (m *Model) markdownSource() (string, []retro.Finding) {
	r := *m.retro
	r.Sections = append([]retro.SectionText(nil), m.retro.Sections...)
	for i, s := range r.Sections {
		if e := m.editors[s.Slug]; e != nil {
			r.Sections[i].Text = e.ta.Value()
		}
	}
	var fs []retro.Finding
	if !m.prev.whole {
		for _, s := range r.Sections {
			if s.Slug == m.prev.slug {
				text := s.Text
				if strings.TrimSpace(text) == "" { // as the export says it, with the question still to answer
					text = "_" + retro.NotWritten + "_"
					if s.Prompt != "" {
						text += "\n\n> " + s.Prompt
					}
				}
				if e := m.editors[s.Slug]; e != nil {
					fs = e.findings
				} else {
					fs = m.findings[s.Slug]
				}
				return "## " + s.Title + "\n\n" + text, fs
			}
		}
	}
	var b strings.Builder
	if r.Incident != nil {
		_ = r.Markdown(&b)
	}
	for _, s := range r.Sections {
		if e := m.editors[s.Slug]; e != nil {
			fs = append(fs, e.findings...)
		} else {
			fs = append(fs, m.findings[s.Slug]...)
		}
	}
	return b.String(), fs
}

// renderer is a glamour renderer for width w, built once per width. With the ASCII profile (NO_COLOR, a
// dumb terminal, golden tests) it uses glamour's plain style so no colour reaches the screen.
func (m *Model) renderer(w int) *glamour.TermRenderer {
	if m.prev.rend != nil && m.prev.rendW == w {
		return m.prev.rend
	}
	style := m.st.Markdown // set for a terminal other than the process's own (styles.NewFor)
	if style == "" {
		style = "notty"
		if lipgloss.ColorProfile() != termenv.Ascii {
			style = "light"
			if lipgloss.HasDarkBackground() {
				style = "dark"
			}
		}
	}
	r, err := glamour.NewTermRenderer(glamour.WithStandardStyle(style), glamour.WithWordWrap(w), glamour.WithEmoji())
	if err != nil {
		return nil
	}
	m.prev.rend, m.prev.rendW = r, w
	return r
}

// previewView renders the Markdown into the viewport, marks the lines that hold a finding's words in the
// gutter, and lists the findings below.
func (m *Model) previewView(room int) []string {
	src, fs := m.markdownSource()
	what := "whole document"
	if !m.prev.whole {
		what = "section"
	}
	head := m.st.Title.Render("Preview · "+what) + "  " + m.st.Subtle.Render("p: section / whole document")
	var below []string
	if len(fs) > 0 && room >= 10 {
		below = findingsLines(m.st, fs, m.w, max(room/3, 2), m.prev.whole)
	}
	vh := max(room-1-len(below), 1)
	m.prev.vp.Width, m.prev.vp.Height = m.w, vh
	key := fmt.Sprintf("%d\x00%v\x00%s", m.w, m.prev.whole, src)
	if key != m.prev.key {
		m.prev.key = key
		m.prev.fs = fs
		m.prev.vp.SetContent(m.renderMarkdown(src, fs))
	}
	return append(append([]string{head}, strings.Split(m.prev.vp.View(), "\n")...), below...)
}

// renderMarkdown is src rendered for the screen's width less the gutter, each line that holds the words of
// a finding marked with "!".
func (m *Model) renderMarkdown(src string, fs []retro.Finding) string {
	w := max(m.w-2, 1)
	out := src
	if r := m.renderer(w); r != nil && m.w >= 10 {
		if s, err := r.Render(src); err == nil {
			out = strings.Trim(s, "\n")
		}
	}
	lines := strings.Split(out, "\n")
	mark := m.st.Warn.Render("!") + " "
	for i, l := range lines {
		plain := strings.ToLower(ansi.Strip(l))
		g := "  "
		for _, f := range fs {
			if f.Text != "" && strings.Contains(plain, strings.ToLower(f.Text)) {
				g = mark
				break
			}
		}
		lines[i] = g + l
	}
	return strings.Join(lines, "\n")
}
