package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/incident"
)

// listKeys are the incident list's keys.
type listKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Open, Filter, ClearFilter, Declare, All key.Binding
	// Handover and Trends open the shift handover and the trends across incidents.
	Handover, Trends key.Binding
}

func newListKeys() listKeys {
	return listKeys{
		Up:          key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:        key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:      key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown:    key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Top:         key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "top")),
		Bottom:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "bottom")),
		Open:        key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		ClearFilter: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		Declare:     key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "declare")),
		All:         key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "all/recent")),
		Handover:    key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "handover")),
		Trends:      key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "trends")),
	}
}

// incidentsMsg carries the incidents the list shows.
type incidentsMsg struct {
	list []incident.Summary
	err  error
}

// declaredMsg says the form declared an incident: the form closes and the new incident opens.
type declaredMsg struct {
	actionMsg
	id int64
}

// recentClosed is how many resolved or closed incidents the list shows below the open ones.
const recentClosed = 20

// listScreen is the incident list: open and recent incidents, filtered with /, declared with n.
type listScreen struct {
	c         *common
	keys      listKeys
	all       []incident.Summary // as loaded: open first, then recent others
	shown     []int
	cursor    int
	offset    int
	filter    *input
	filtering bool
	showAll   bool
	loaded    bool
	err       string
	w, h      int
}

func newListScreen(c *common) *listScreen {
	return &listScreen{c: c, keys: newListKeys(), filter: newInput("")}
}

func (l *listScreen) Init() tea.Cmd { return l.load() }

func (l *listScreen) load() tea.Cmd {
	all := l.showAll
	return l.c.read(func(ctx context.Context) tea.Msg {
		list, err := l.c.d.Incidents.List(ctx, all)
		if err != nil || all {
			return incidentsMsg{list: list, err: err}
		}
		recent, err := l.c.d.Incidents.Recent(ctx, recentClosed)
		return incidentsMsg{list: append(list, recent...), err: err}
	})
}

func (l *listScreen) Typing() bool { return l.filtering }

func (l *listScreen) SetSize(w, h int) { l.w, l.h = w, h }

func (l *listScreen) selected() (incident.Summary, bool) {
	if l.cursor < len(l.shown) {
		return l.all[l.shown[l.cursor]], true
	}
	return incident.Summary{}, false
}

func (l *listScreen) applyFilter() {
	var keep int64
	if s, ok := l.selected(); ok {
		keep = s.ID
	}
	q := strings.ToLower(strings.TrimSpace(l.filter.Value()))
	l.shown = l.shown[:0]
	for i, s := range l.all {
		if q == "" || strings.Contains(strings.ToLower(strings.Join([]string{s.Ref, s.Title, string(s.Status),
			s.Severity.String(), s.Commander, drillTag(s.Drill)}, " ")), q) {
			l.shown = append(l.shown, i)
		}
	}
	l.cursor = 0
	for j, i := range l.shown {
		if l.all[i].ID == keep {
			l.cursor = j
		}
	}
}

func drillTag(drill bool) string {
	if drill {
		return "[DRILL]"
	}
	return ""
}

func (l *listScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case incidentsMsg:
		l.loaded = true
		if msg.err != nil {
			l.err = errText(msg.err)
			return nil
		}
		l.err, l.all = "", msg.list
		l.applyFilter()
	case refreshMsg, changedMsg:
		return l.load()
	case tea.KeyMsg:
		if l.filtering {
			switch msg.Type {
			case tea.KeyEnter:
				l.filtering = false
			case tea.KeyEsc:
				l.filtering = false
				l.filter.SetValue("")
				l.applyFilter()
			case tea.KeyUp, tea.KeyDown:
				l.move(map[bool]int{true: -1, false: 1}[msg.Type == tea.KeyUp])
			default:
				if l.filter.Update(msg) {
					l.applyFilter()
				}
			}
			return nil
		}
		switch {
		case key.Matches(msg, l.keys.Up):
			l.move(-1)
		case key.Matches(msg, l.keys.Down):
			l.move(1)
		case key.Matches(msg, l.keys.PageUp):
			l.move(-max(1, l.rows()-1))
		case key.Matches(msg, l.keys.PageDown):
			l.move(max(1, l.rows()-1))
		case key.Matches(msg, l.keys.Top):
			l.cursor = 0
		case key.Matches(msg, l.keys.Bottom):
			l.cursor = max(0, len(l.shown)-1)
		case key.Matches(msg, l.keys.Filter):
			l.filtering = true
		case key.Matches(msg, l.keys.ClearFilter):
			if l.filter.Value() != "" {
				l.filter.SetValue("")
				l.applyFilter()
			}
		case key.Matches(msg, l.keys.All):
			l.showAll = !l.showAll
			return l.load()
		case key.Matches(msg, l.keys.Declare):
			return l.c.open(l.declareForm())
		case key.Matches(msg, l.keys.Handover):
			return l.c.handleNow(pushScreenMsg{newHandoverScreen(l.c)})
		case key.Matches(msg, l.keys.Trends):
			return l.c.handleNow(pushScreenMsg{newStatsScreen(l.c)})
		case key.Matches(msg, l.keys.Open):
			if s, ok := l.selected(); ok {
				return l.c.handleNow(openIncidentMsg{s.ID})
			}
		}
	}
	return nil
}

func (l *listScreen) move(d int) {
	l.cursor = max(0, min(len(l.shown)-1, l.cursor+d))
}

// declareForm asks for what `firebreak declare` takes: a title, a severity and whether it is a drill.
func (l *listScreen) declareForm() *form {
	return newForm(l.c.st, "Declare an incident", func(f *form, v []string) tea.Cmd {
		sev, err := incident.ParseSeverity(v[1])
		if err != nil {
			return f.failed(err)
		}
		var drill bool
		switch strings.ToLower(strings.TrimSpace(v[2])) {
		case "", "n", "no":
		case "y", "yes":
			drill = true
		default:
			return f.failed(fmt.Errorf("%w: drill: answer y or n", incident.ErrInvalid))
		}
		title := v[0]
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(l.c.ctx, opTimeout)
			defer cancel()
			inc, err := l.c.d.Incidents.Declare(ctx, title, sev, drill)
			if err != nil {
				return actionMsg{from: f, err: err}
			}
			return declaredMsg{actionMsg: actionMsg{from: f, info: "declared " + inc.Ref()}, id: inc.ID}
		}
	}, field("Title", "", "what is broken, as people see it"),
		field("Severity", "3", "1 (worst) to 4"),
		field("Drill", "n", "y for a game day"))
}

func (l *listScreen) rows() int { return max(0, l.h-2) }

func (l *listScreen) View() string {
	st := l.c.st
	var b strings.Builder
	title := st.Title.Render("firebreak") + st.Subtle.Render(" · incidents")
	switch {
	case l.filtering || l.filter.Value() != "":
		title += "  " + st.Prompt.Render("/") + l.filter.View(st, max(0, l.w-30), l.filtering, "")
	}
	b.WriteString(clip(title, l.w) + "\n")
	if l.err != "" {
		b.WriteString(st.Error.Render(l.err) + "\n")
		return fit(b.String(), l.w, l.h)
	}
	if !l.loaded {
		return fit(b.String()+st.Subtle.Render("loading…"), l.w, l.h)
	}
	if len(l.shown) == 0 {
		msg := "No open incidents. n declares one."
		if len(l.all) > 0 {
			msg = "Nothing matches the filter (esc clears it)."
		}
		return fit(b.String()+st.Subtle.Render(msg), l.w, l.h)
	}
	cmdW := 10
	if l.w < 60 {
		cmdW = 0
	}
	head := fmt.Sprintf("%-8s %-4s %-13s ", "ID", "SEV", "STATUS")
	if cmdW > 0 {
		head += pad("COMMANDER", cmdW) + " "
	}
	head += fmt.Sprintf("%4s  %s", "AGE", "TITLE")
	b.WriteString(st.Subtle.Render(clip(head, l.w)) + "\n")
	rows := l.rows()
	l.offset = scrollTo(l.offset, l.cursor, rows, len(l.shown))
	now := l.c.now()
	for r := 0; r < rows && l.offset+r < len(l.shown); r++ {
		j := l.offset + r
		s := l.all[l.shown[j]]
		commander := s.Commander
		if commander == "" {
			commander = "-"
		}
		title := s.Title
		if s.Drill {
			title = "[DRILL] " + title
		}
		plain := fmt.Sprintf("%-8s %-4s %-13s ", s.Ref, s.Severity, s.Status)
		if cmdW > 0 {
			plain += pad(commander, cmdW) + " "
		}
		plain += fmt.Sprintf("%4s  %s", age(now.Sub(s.DeclaredAt)), title)
		if j == l.cursor {
			b.WriteString(st.Selected.Render(pad(plain, l.w)) + "\n")
			continue
		}
		sev := st.Severity[min(4, max(0, int(s.Severity)))].Render(fmt.Sprintf("%-4s", s.Severity))
		line := fmt.Sprintf("%-8s %s %-13s ", s.Ref, sev, s.Status)
		if !s.Status.Open() {
			line = st.Subtle.Render(fmt.Sprintf("%-8s %-4s %-13s ", s.Ref, s.Severity, s.Status))
		}
		if cmdW > 0 {
			line += pad(commander, cmdW) + " "
		}
		t := fmt.Sprintf("%4s  ", age(now.Sub(s.DeclaredAt)))
		if s.Drill {
			t += st.Warn.Render("[DRILL]") + " "
		}
		line += t + s.Title
		b.WriteString(clip(line, l.w) + "\n")
	}
	return fit(b.String(), l.w, l.h)
}

func (l *listScreen) ShortHelp() []key.Binding {
	if l.filtering {
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear"))}
	}
	return []key.Binding{l.keys.Open, l.keys.Filter, l.keys.Declare}
}

func (l *listScreen) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{l.keys.Up, l.keys.Down, l.keys.PageUp, l.keys.PageDown, l.keys.Top, l.keys.Bottom},
		{l.keys.Open, l.keys.Filter, l.keys.ClearFilter, l.keys.Declare, l.keys.All},
		{l.keys.Handover, l.keys.Trends},
	}
}
