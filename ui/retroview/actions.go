package retroview

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/retro"
	"github.com/firebreak/firebreak/ui/styles"
)

// actionForm adds or changes an action item: text, owner, ticket, due date and kind.
type actionForm struct {
	item   retro.Action // Item 0: a new one
	fields []textinput.Model
	focus  int
}

const (
	fieldText = iota
	fieldOwner
	fieldTicket
	fieldDue
	fieldKind
)

func newActionForm(st *styles.Styles, a retro.Action, w int) *actionForm {
	f := &actionForm{item: a}
	mk := func(label, placeholder, value string) textinput.Model {
		t := textinput.New()
		t.Prompt = label + ": "
		t.PromptStyle = st.Prompt
		t.PlaceholderStyle = st.Subtle
		t.Cursor.Style = st.Cursor
		t.Cursor.SetMode(cursor.CursorStatic)
		t.Placeholder = placeholder
		t.SetValue(value)
		t.CharLimit = 500
		return t
	}
	f.fields = []textinput.Model{
		mk("Action", "what will be done", a.Text),
		mk("Owner ", "who owns it", a.Owner),
		mk("Ticket", "PROJ-123 or a URL", a.Ticket),
		mk("Due   ", "YYYY-MM-DD", a.Due),
		mk("Kind  ", strings.Join(retro.ActionKinds, " | ")+" (←/→ cycles)", a.Kind),
	}
	f.resize(w)
	f.fields[0].Focus()
	return f
}

func (f *actionForm) resize(w int) {
	for i := range f.fields {
		f.fields[i].Width = max(w-10, 1)
	}
}

func (m *Model) openForm(a retro.Action) {
	m.form = newActionForm(m.st, a, m.w)
	m.mode = modeAction
	m.msg = ""
}

func (m *Model) formKey(k tea.KeyMsg) tea.Cmd {
	f := m.form
	move := func(d int) tea.Cmd {
		f.fields[f.focus].Blur()
		f.focus = (f.focus + d + len(f.fields)) % len(f.fields)
		return f.fields[f.focus].Focus()
	}
	switch {
	case k.Type == tea.KeyEsc:
		m.form, m.mode = nil, modeList
		return nil
	case k.Type == tea.KeyEnter:
		a := f.item
		a.Text = strings.TrimSpace(f.fields[fieldText].Value())
		a.Owner = strings.TrimSpace(f.fields[fieldOwner].Value())
		a.Ticket = strings.TrimSpace(f.fields[fieldTicket].Value())
		a.Due = strings.TrimSpace(f.fields[fieldDue].Value())
		a.Kind = strings.ToLower(strings.TrimSpace(f.fields[fieldKind].Value()))
		return m.saveAction(a, false)
	case key.Matches(k, m.keys.NextField):
		return move(1)
	case key.Matches(k, m.keys.PrevField):
		return move(-1)
	case f.focus == fieldKind && (k.Type == tea.KeyLeft || k.Type == tea.KeyRight):
		kinds := append([]string{""}, retro.ActionKinds...)
		cur := 0
		for i, kd := range kinds {
			if kd == f.fields[fieldKind].Value() {
				cur = i
			}
		}
		d := 1
		if k.Type == tea.KeyLeft {
			d = -1
		}
		f.fields[fieldKind].SetValue(kinds[(cur+d+len(kinds))%len(kinds)])
		return nil
	}
	var cmd tea.Cmd
	f.fields[f.focus], cmd = f.fields[f.focus].Update(k)
	return cmd
}

// actionMsg is the result of saving an action item.
type actionMsg struct {
	a      retro.Action
	remove bool
	item   int
	err    error
}

func (m *Model) saveAction(a retro.Action, remove bool) tea.Cmd {
	svc, id := m.svc, m.inc.ID
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		n, err := svc.SaveAction(ctx, id, a, remove)
		return actionMsg{a: a, remove: remove, item: n, err: err}
	}
}

func (m *Model) actionDone(msg actionMsg) tea.Cmd {
	if msg.err != nil {
		m.setMsg(errText("action item", msg.err), true)
		return nil // the form stays open with what was typed
	}
	switch {
	case msg.remove:
		m.setMsg(fmt.Sprintf("action item %d removed", msg.item), false)
	case msg.a.Item == 0:
		m.setMsg(fmt.Sprintf("action item %d added", msg.item), false)
	default:
		m.setMsg(fmt.Sprintf("action item %d saved", msg.item), false)
	}
	if m.mode == modeAction {
		m.form, m.mode = nil, modeList
	}
	return m.loadCmd()
}

// formView is the form's fields, one a line.
func (m *Model) formView(room int) []string {
	f := m.form
	title := "New action item"
	if f.item.Item != 0 {
		title = fmt.Sprintf("Action item %d", f.item.Item)
	}
	out := []string{m.st.Title.Render(title), ""}
	for _, t := range f.fields {
		out = append(out, t.View())
	}
	return append(out, "", m.st.Subtle.Render("tab: next field · enter: save · esc: cancel"))
}

// pushMsg is the result of pushing an action item to the tracker.
type pushMsg struct {
	item    int
	results []retro.PushResult
	err     error
}

// pushSelected asks, then pushes the selected action item to the tracker with retro.Service.Push, the code
// `firebreak retro action push` runs. An item whose earlier push has an unknown outcome is pushed again
// only when the person says they checked the tracker.
func (m *Model) pushSelected() tea.Cmd {
	_, act, _ := m.selected()
	if act == nil {
		return nil
	}
	if act.Ticket != "" {
		m.setMsg(fmt.Sprintf("action item %d has ticket %s already", act.Item, act.Ticket), false)
		return nil
	}
	opts := m.d.Tracker
	opts.Item = act.Item
	text := fmt.Sprintf("Create a ticket in the tracker for action item %d %q?", act.Item, act.Text)
	if m.pushUnknown[act.Item] {
		opts.Retry = true
		text = fmt.Sprintf("The last push of action item %d has an unknown outcome: a ticket may exist. Checked the tracker? Push it again?", act.Item)
	}
	svc, id, n := m.svc, m.inc.ID, act.Item
	push := func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), opts.Tracker.TimeoutOrDefault()+time.Minute)
		defer cancel()
		res, err := svc.Push(ctx, id, opts)
		return pushMsg{item: n, results: res, err: err}
	}
	started := func() tea.Msg { return pushStartedMsg{item: n} }
	m.confirm = &confirm{text: text, yes: tea.Sequence(started, push)}
	return nil
}

// pushStartedMsg says the tracker is running for an item (it may take up to its timeout).
type pushStartedMsg struct{ item int }

func (m *Model) pushDone(msg pushMsg) tea.Cmd {
	if m.pushUnknown == nil {
		m.pushUnknown = map[int]bool{}
	}
	delete(m.pushUnknown, msg.item)
	switch {
	case msg.err != nil:
		m.setMsg(incident.FoldLine(errText("push", msg.err)), true)
		return nil
	case len(msg.results) == 0:
		return m.loadCmd()
	}
	r := msg.results[0]
	text := r.Message(m.inc.Ref())
	if r.State == retro.PushUnknown || r.State == retro.PushUnfinished {
		m.pushUnknown[r.Item] = true
		text = fmt.Sprintf("action item %d: %s: a ticket may exist; check the tracker, then T pushes it again", r.Item, r.Error)
	}
	m.setMsg(incident.FoldLine(text), !r.OK())
	return m.loadCmd()
}
