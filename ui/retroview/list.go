package retroview

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/retro"
)

// The list's rows are the sections, then the action items, then the suggested ones.
func (m *Model) rows() int {
	if m.retro == nil {
		return 0
	}
	return len(m.retro.Sections) + len(m.retro.Actions) + len(m.retro.Suggested)
}

// selected says what the cursor is on: a section, an action item, or a suggestion.
func (m *Model) selected() (sec *retro.SectionText, act *retro.Action, sug *retro.Action) {
	if m.retro == nil {
		return nil, nil, nil
	}
	i := m.cursor
	if i < len(m.retro.Sections) {
		return &m.retro.Sections[i], nil, nil
	}
	i -= len(m.retro.Sections)
	if i < len(m.retro.Actions) {
		return nil, &m.retro.Actions[i], nil
	}
	i -= len(m.retro.Actions)
	if i < len(m.retro.Suggested) {
		return nil, nil, &m.retro.Suggested[i]
	}
	return nil, nil, nil
}

func (m *Model) listKey(k tea.KeyMsg) tea.Cmd {
	keys := m.keys
	if m.retro == nil {
		switch {
		case key.Matches(k, keys.Back):
			return closed
		case key.Matches(k, keys.Reload):
			return m.loadCmd()
		}
		return nil
	}
	n := m.rows()
	page := max(m.listRoom()-1, 1)
	switch {
	case key.Matches(k, keys.Up):
		m.cursor = max(m.cursor-1, 0)
	case key.Matches(k, keys.Down):
		m.cursor = min(m.cursor+1, max(n-1, 0))
	case key.Matches(k, keys.PageUp):
		m.cursor = max(m.cursor-page, 0)
	case key.Matches(k, keys.PageDown):
		m.cursor = min(m.cursor+page, max(n-1, 0))
	case key.Matches(k, keys.Top):
		m.cursor = 0
	case key.Matches(k, keys.Bottom):
		m.cursor = max(n-1, 0)
	case key.Matches(k, keys.Back):
		return tea.Batch(m.Flush(), closed)
	case key.Matches(k, keys.Reload):
		m.msg = ""
		return m.loadCmd()
	case key.Matches(k, keys.Preview):
		m.openPreview(modeList, false)
	case key.Matches(k, keys.NextState):
		return m.moveState(+1)
	case key.Matches(k, keys.PrevState):
		return m.moveState(-1)
	case key.Matches(k, keys.AddAction):
		m.openForm(retro.Action{})
	case key.Matches(k, keys.Open):
		sec, act, sug := m.selected()
		switch {
		case sec != nil:
			return m.openEditor(*sec)
		case act != nil:
			m.openForm(*act)
		case sug != nil:
			m.openForm(retro.Action{Text: sug.Text, Kind: sug.Kind}) // adopt the suggestion
		}
	case key.Matches(k, keys.ToggleDone):
		if _, act, _ := m.selected(); act != nil {
			a := *act
			a.Done = !a.Done
			return m.saveAction(a, false)
		}
	case key.Matches(k, keys.PushTicket):
		return m.pushSelected()
	case key.Matches(k, keys.RemoveAction):
		if _, act, _ := m.selected(); act != nil {
			a := *act
			m.confirm = &confirm{text: fmt.Sprintf("Remove action item %d %q?", a.Item, a.Text), yes: m.saveAction(a, true)}
		}
	}
	return nil
}

// states is the retrospective's way: draft → review → published.
var states = []string{incident.RetroDraft, incident.RetroReview, incident.RetroPublished}

// stateMsg is the result of a state change.
type stateMsg struct {
	to    string
	force bool
	err   error
}

func (m *Model) moveState(dir int) tea.Cmd {
	cur := 0
	for i, s := range states {
		if s == m.retro.State {
			cur = i
		}
	}
	next := cur + dir
	if next < 0 || next >= len(states) {
		m.setMsg(fmt.Sprintf("the retrospective is %s", m.retro.State), false)
		return nil
	}
	return m.setState(states[next], false)
}

func (m *Model) setState(to string, force bool) tea.Cmd {
	svc, id := m.svc, m.inc.ID
	flush := m.Flush() // publish what is typed, not what was saved a second ago
	return tea.Sequence(flush, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return stateMsg{to: to, force: force, err: svc.SetState(ctx, id, to, force)}
	})
}

func (m *Model) stateDone(msg stateMsg) tea.Cmd {
	if msg.err != nil {
		if errors.Is(msg.err, incident.ErrRefused) && msg.to == incident.RetroPublished && !msg.force {
			m.confirm = &confirm{text: msg.err.Error() + ". Publish anyway?", yes: m.setState(msg.to, true)}
			return nil
		}
		m.setMsg(errText("retrospective state", msg.err), true)
		return nil
	}
	m.retro.State = msg.to
	m.setMsg("the retrospective is "+msg.to, false)
	return m.loadCmd()
}

// confirm is a yes/no question in the footer.
type confirm struct {
	text string
	yes  tea.Cmd
}

func (m *Model) confirmKey(k tea.KeyMsg) tea.Cmd {
	c := m.confirm
	switch {
	case key.Matches(k, m.keys.Confirm):
		m.confirm = nil
		return c.yes
	case key.Matches(k, m.keys.Cancel):
		m.confirm = nil
		m.setMsg("cancelled", false)
	}
	return nil
}

// header is the title with the state, and the metrics.
func (m *Model) header() []string {
	r := m.retro
	title := m.st.Title.Render("Retrospective " + r.Ref + ": " + r.Title)
	if r.Drill {
		title += " " + m.st.BannerWarn.Render(" DRILL ")
	}
	state := m.st.Bold.Render("[" + r.State + "]")
	if r.State == incident.RetroPublished {
		state = m.st.OK.Render("[" + r.State + "]")
	}
	mt := r.Metrics
	metrics := fmt.Sprintf("TTD %s · TTA %s · TTM %s · TTR %s · %d hosts · %d runs · %d steps done · %d skipped",
		mt.TimeToDetect, mt.TimeToAcknowledge, mt.TimeToMitigate, mt.TimeToResolve, mt.HostsTouched, mt.Runs,
		mt.StepsDone, mt.StepsSkipped)
	return []string{rightAlign(title, state, m.w), m.st.Subtle.Render(metrics)}
}

// rightAlign puts right at the end of a w-wide line after left, cutting left when they do not fit.
func rightAlign(left, right string, w int) string {
	rw := ansi.StringWidth(right)
	if rw+2 > w {
		return ansi.Truncate(right, w, "")
	}
	left = ansi.Truncate(left, w-rw-1, "…")
	return left + strings.Repeat(" ", max(w-ansi.StringWidth(left)-rw, 1)) + right
}

// listRoom is how many rows of the list fit.
func (m *Model) listRoom() int {
	return max(m.h-len(m.footer())-3-m.detailLines(), 1)
}

// detailLines is the room under the list for the selected row's prompt and findings.
func (m *Model) detailLines() int {
	if m.h < 16 {
		return 0
	}
	return min(4, m.h/5)
}

// listView is the header, the rows (only those that fit), and the selected row's details.
func (m *Model) listView(room int) []string {
	out := m.header()
	out = append(out, m.st.Border.Render(strings.Repeat("─", m.w)))
	rows := m.listRoom()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+rows {
		m.offset = m.cursor - rows + 1
	}
	m.offset = max(min(m.offset, m.rows()-rows), 0)
	for i := m.offset; i < min(m.rows(), m.offset+rows); i++ {
		out = append(out, m.rowView(i))
	}
	for len(out) < 3+rows {
		out = append(out, "")
	}
	return append(out, m.details()...)
}

// rowView is one row: a section with where its text stands, or an action item.
func (m *Model) rowView(i int) string {
	sel := i == m.cursor
	mark := "  "
	if sel {
		mark = "▸ "
	}
	ns := len(m.retro.Sections)
	var left, right string
	switch {
	case i < ns:
		s := m.retro.Sections[i]
		left = s.Title
		var parts []string
		switch {
		case s.Conflict:
			parts = append(parts, m.st.Error.Render(fmt.Sprintf("CONFLICT v%d by %s: merge", s.Version, incident.ParseActor(s.Author).Person())))
		case s.Version > 0:
			parts = append(parts, fmt.Sprintf("v%d by %s", s.Version, incident.ParseActor(s.Author).Person()))
		default:
			parts = append(parts, m.st.Subtle.Render("prefilled draft"))
		}
		if e := m.editors[s.Slug]; e != nil && (e.dirty() || e.saving) {
			parts = append(parts, m.st.Warn.Render("unsaved"))
		}
		if n := len(m.findings[s.Slug]); n > 0 {
			parts = append(parts, m.st.Warn.Render(fmt.Sprintf("! %d finding%s", n, plural(n))))
		}
		right = strings.Join(parts, "  ")
	case i < ns+len(m.retro.Actions):
		a := m.retro.Actions[i-ns]
		box := "[ ]"
		if a.Done {
			box = "[x]"
		}
		left = fmt.Sprintf("%s %d. %s", box, a.Item, a.Text)
		right = m.st.Subtle.Render(actionDetails(a))
	default:
		a := m.retro.Suggested[i-ns-len(m.retro.Actions)]
		left = m.st.Subtle.Render("suggested: " + a.Text)
		right = m.st.Subtle.Render("enter adopts")
	}
	line := rightAlign(mark+left, right, m.w)
	if sel {
		return m.st.Selected.Render(ansi.Strip(line))
	}
	return line
}

// actionDetails is "owner bob · PROJ-1 · due 2025-01-31 · prevent".
func actionDetails(a retro.Action) string {
	var parts []string
	if a.Owner != "" {
		parts = append(parts, "owner "+a.Owner)
	}
	if a.Ticket != "" {
		parts = append(parts, a.Ticket)
	}
	if a.Due != "" {
		parts = append(parts, "due "+a.Due)
	}
	if a.Kind != "" {
		parts = append(parts, a.Kind)
	}
	if len(parts) == 0 {
		return "no owner"
	}
	return strings.Join(parts, " · ")
}

// details is the selected section's prompt and findings, in the lines under the list.
func (m *Model) details() []string {
	n := m.detailLines()
	if n == 0 {
		return nil
	}
	out := []string{m.st.Border.Render(strings.Repeat("─", m.w))}
	sec, act, _ := m.selected()
	switch {
	case sec != nil:
		fs := m.findings[sec.Slug]
		if len(fs) == 0 && sec.Prompt != "" {
			out = append(out, wrap(m.st.Subtle.Render(sec.Prompt), m.w)...)
		}
		if len(fs) > 0 {
			out = append(out, findingsLines(m.st, fs, m.w, n-1, false)...)
		}
	case act != nil:
		out = append(out, m.st.Subtle.Render("space: done/undone · d: remove · enter: change · T: ticket"))
	}
	if len(out) > n {
		out = out[:n]
	}
	return out
}
