package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/glamour"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks"
)

// checklistKeys are the checklist pane's keys.
type checklistKeys struct {
	Up, Down, Tick, Skip, Assign, Details, Attach, Run, AdHoc, Close key.Binding
}

func newChecklistKeys() checklistKeys {
	return checklistKeys{
		Up:      key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:    key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Tick:    key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "tick")),
		Skip:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "skip")),
		Assign:  key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "assign")),
		Details: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Attach:  key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "attach")),
		Run:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "run")),
		AdHoc:   key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "ad-hoc")),
		Close:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
	}
}

// detailsMsg carries a step's details rendered as Markdown.
type detailsMsg struct {
	key   string // runbook/step
	width int
	text  string
	err   error
}

// stepAt locates one step of the checklists.
type stepAt struct {
	list *incident.Checklist
	step *incident.ChecklistStep
}

// checklistPane shows the attached runbooks' steps: their state, who ticked them, who they are assigned
// to. Space ticks, s skips with a reason, A assigns, enter shows a step's details, r runs a script step.
type checklistPane struct {
	cp     *cockpit
	keys   checklistKeys
	steps  []stepAt
	cursor int
	offset int
	w, h   int

	details    bool // the details view is open
	detailsKey string
	detailsMD  string
	renderedW  int // the width the details were rendered at (0: not yet)
	vp         viewport.Model
	parsed     map[string]*runbooks.Runbook // by checklist hash
}

func newChecklistPane(cp *cockpit) *checklistPane {
	return &checklistPane{cp: cp, keys: newChecklistKeys(), vp: viewport.New(0, 0), parsed: map[string]*runbooks.Runbook{}}
}

func (c *checklistPane) Title() string {
	if c.cp.inc == nil || len(c.cp.inc.Checklists) == 0 {
		return "Checklist"
	}
	done, total := 0, 0
	for _, l := range c.cp.inc.Checklists {
		d, s := l.Done()
		done, total = done+d+s, total+len(l.Steps)
	}
	return fmt.Sprintf("Checklist %d/%d", done, total)
}

func (c *checklistPane) Typing() bool { return false }

// consumesBack reports whether esc closes something of the pane rather than leaving the incident.
func (c *checklistPane) consumesBack() bool { return c.details }

func (c *checklistPane) SetSize(w, h int) {
	c.w, c.h = w, h
	c.vp.Width, c.vp.Height = w, max(0, h-1)
}

func (c *checklistPane) selected() (stepAt, bool) {
	if c.cursor < len(c.steps) {
		return c.steps[c.cursor], true
	}
	return stepAt{}, false
}

func (c *checklistPane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case incidentMsg:
		var keep string
		if s, ok := c.selected(); ok {
			keep = s.list.Runbook + "/" + s.step.ID
		}
		c.steps = c.steps[:0]
		for _, l := range msg.inc.Checklists {
			for i := range l.Steps {
				c.steps = append(c.steps, stepAt{list: l, step: &l.Steps[i]})
			}
		}
		for i, s := range c.steps {
			if s.list.Runbook+"/"+s.step.ID == keep {
				c.cursor = i
			}
		}
		c.cursor = min(c.cursor, max(0, len(c.steps)-1))
	case detailsMsg:
		if msg.key != c.detailsKey {
			return nil
		}
		c.renderedW = msg.width
		if msg.err != nil {
			c.vp.SetContent(c.cp.c.st.Error.Render(errText(msg.err)))
		} else {
			c.vp.SetContent(msg.text)
		}
		return nil
	case tea.KeyMsg:
		if c.details {
			if key.Matches(msg, c.keys.Close) {
				c.details = false
				return nil
			}
			var cmd tea.Cmd
			c.vp, cmd = c.vp.Update(msg)
			return cmd
		}
		return c.key(msg)
	case resizedMsg:
		if c.details && c.renderedW != 0 && c.renderedW != c.wrapWidth() {
			return c.render()
		}
	}
	return nil
}

func (c *checklistPane) key(k tea.KeyMsg) tea.Cmd {
	cp := c.cp
	switch {
	case key.Matches(k, c.keys.Up):
		c.cursor = max(0, c.cursor-1)
	case key.Matches(k, c.keys.Down):
		c.cursor = min(max(0, len(c.steps)-1), c.cursor+1)
	case key.Matches(k, c.keys.Attach):
		return c.attach()
	case key.Matches(k, c.keys.AdHoc):
		if cp.inc == nil {
			return nil
		}
		inc := cp.inc
		return cp.c.handleNow(openRunMsg{inc: inc, target: RunTarget{AdHoc: true}})
	}
	s, ok := c.selected()
	if !ok {
		return nil
	}
	rb, step := s.list.Runbook, s.step.ID
	switch {
	case key.Matches(k, c.keys.Tick):
		action, what := incident.Tick, "ticked "
		if s.step.State != incident.StepOpen {
			action, what = incident.Untick, "unticked "
		}
		return cp.c.act(nil, what+rb+"/"+step, func(ctx context.Context) error {
			_, _, err := cp.c.d.Incidents.MarkStep(ctx, cp.id, rb, step, action, "")
			return err
		})
	case key.Matches(k, c.keys.Skip):
		return cp.c.open(newForm(cp.c.st, "Skip "+rb+"/"+step, func(f *form, v []string) tea.Cmd {
			return cp.c.act(f, "skipped "+rb+"/"+step, func(ctx context.Context) error {
				_, _, err := cp.c.d.Incidents.MarkStep(ctx, cp.id, rb, step, incident.Skip, v[0])
				return err
			})
		}, field("Reason", "", "why it is skipped (recorded)")))
	case key.Matches(k, c.keys.Assign):
		return cp.c.open(newForm(cp.c.st, "Assign "+rb+"/"+step, func(f *form, v []string) tea.Cmd {
			return cp.c.act(f, "assigned "+rb+"/"+step, func(ctx context.Context) error {
				_, _, err := cp.c.d.Incidents.MarkStep(ctx, cp.id, rb, step, incident.Assign, v[0])
				return err
			})
		}, field("Person", s.step.Assignee, "a name; - unassigns")))
	case key.Matches(k, c.keys.Details):
		c.details, c.detailsKey = true, rb+"/"+step
		c.detailsMD, c.renderedW = c.markdown(s), 0
		c.vp.SetContent("")
		c.vp.GotoTop()
		return c.render()
	case key.Matches(k, c.keys.Run):
		if !s.step.Script {
			return func() tea.Msg {
				return actionMsg{err: fmt.Errorf("%s/%s is a manual step: tick it with space when it is done", rb, step)}
			}
		}
		inc := cp.inc
		return cp.c.handleNow(openRunMsg{inc: inc, target: RunTarget{Runbook: rb, Step: step}})
	}
	return nil
}

// attach picks a runbook from the library and attaches it, as firebreak attach does.
func (c *checklistPane) attach() tea.Cmd {
	cp := c.cp
	p := newPicker(cp.c.st, "Attach a runbook to "+incident.Ref(cp.id), nil, nil)
	p.tall, p.loading = true, true
	p.pick = func(p *picker, it pickItem) tea.Cmd {
		return cp.c.act(p, "attached "+it.id, func(ctx context.Context) error {
			lib, err := cp.c.d.Library()
			if lib == nil {
				return err
			}
			rb, err := lib.Get(it.id)
			if err != nil {
				return err
			}
			raw, err := rb.Redacted(cp.c.d.Secrets)
			if err != nil {
				return err
			}
			cpy := incident.RunbookCopy{ID: rb.ID, Title: rb.Title, Source: rb.Source, Raw: raw}
			for _, s := range rb.Steps {
				cpy.Steps = append(cpy.Steps, incident.StepRef{ID: s.ID, Title: s.Title, Script: s.IsScript()})
			}
			_, _, err = cp.c.d.Incidents.Attach(ctx, cp.id, cpy)
			return err
		})
	}
	load := func() tea.Msg {
		lib, err := cp.c.d.Library()
		var items []pickItem
		if lib != nil {
			for _, rb := range lib.List() {
				detail := rb.Title
				if len(rb.Symptoms) > 0 {
					detail += " · " + strings.Join(rb.Symptoms, ", ")
				}
				items = append(items, pickItem{id: rb.ID, label: rb.ID, detail: detail})
			}
		}
		var ps runbooks.Problems
		if errors.As(err, &ps) && lib != nil {
			err = fmt.Errorf("%d runbooks have problems and are left out (firebreak runbook lint)", len(ps))
		}
		return itemsMsg{to: p, items: items, err: err}
	}
	return tea.Batch(cp.c.open(p), load) // the picker exists before its items arrive
}

// markdown is a step's details as Markdown: its text, then its scripts, from the runbook version attached.
func (c *checklistPane) markdown(s stepAt) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", s.step.Title)
	rb, ok := c.parsed[s.list.Hash]
	if !ok {
		rb, _ = runbooks.Parse(s.list.Source, []byte(s.list.Raw))
		c.parsed[s.list.Hash] = rb
	}
	if rb == nil {
		b.WriteString("_The attached runbook could not be read._\n")
		return b.String()
	}
	st, ok := rb.Step(s.step.ID)
	if !ok {
		return b.String()
	}
	if st.Details != "" {
		b.WriteString(st.Details + "\n\n")
	}
	for _, f := range st.Fragments() {
		fmt.Fprintf(&b, "**%s**\n\n```bash\n%s\n```\n\n", f.Field, strings.TrimRight(f.Text, "\n"))
	}
	if st.Targets != "" {
		fmt.Fprintf(&b, "Targets: `%s`\n", st.Targets)
	}
	return b.String()
}

// wrapWidth is the width Markdown is wrapped at: the pane's, less glamour's margin.
func (c *checklistPane) wrapWidth() int { return max(10, c.w-4) }

// render renders the open step's Markdown with glamour at the pane's width, in the background.
func (c *checklistPane) render() tea.Cmd {
	md, k, w, style := c.detailsMD, c.detailsKey, c.wrapWidth(), c.cp.c.glamourStyle
	if style == "" {
		style = "notty"
	}
	return func() tea.Msg {
		r, err := glamour.NewTermRenderer(glamour.WithStandardStyle(style), glamour.WithWordWrap(w))
		if err != nil {
			return detailsMsg{key: k, err: err}
		}
		out, err := r.Render(md)
		return detailsMsg{key: k, width: w, text: strings.Trim(out, "\n"), err: err}
	}
}

func (c *checklistPane) View() string {
	st := c.cp.c.st
	inc := c.cp.inc
	if c.details {
		head := st.Subtle.Render(c.detailsKey + " · esc closes")
		body := c.vp.View()
		if c.renderedW == 0 {
			body = st.Subtle.Render("rendering…")
		}
		return fit(clip(head, c.w)+"\n"+body, c.w, c.h)
	}
	if inc == nil {
		return fit("", c.w, c.h)
	}
	if len(inc.Checklists) == 0 {
		return fit(st.Subtle.Render("No runbook attached: a attaches one from the library; x writes an ad-hoc script."), c.w, c.h)
	}
	// Lines: a heading per checklist, then its steps; the cursor row is kept on screen.
	type line struct {
		text string
		step int // -1 for a heading
	}
	var lines []line
	i := 0
	for _, l := range inc.Checklists {
		d, s := l.Done()
		lines = append(lines, line{st.Bold.Render(l.Runbook) + st.Subtle.Render(fmt.Sprintf(" · %s · %d/%d done", l.Title, d+s, len(l.Steps))), -1})
		for range l.Steps {
			lines = append(lines, line{step: i})
			i++
		}
	}
	cursorLine := 0
	for n, ln := range lines {
		if ln.step == c.cursor {
			cursorLine = n
		}
	}
	c.offset = scrollTo(c.offset, cursorLine, c.h, len(lines))
	if c.offset == 1 && lines[0].step == -1 && cursorLine < c.h {
		c.offset = 0
	}
	var b strings.Builder
	for r := 0; r < c.h && c.offset+r < len(lines); r++ {
		ln := lines[c.offset+r]
		if ln.step < 0 {
			b.WriteString(clip(ln.text, c.w) + "\n")
			continue
		}
		b.WriteString(c.stepRow(c.steps[ln.step], ln.step == c.cursor) + "\n")
	}
	return fit(b.String(), c.w, c.h)
}

// stepRight is what shows right of a step's title: who did it, and whom it is assigned to.
func stepRight(s stepAt) string {
	var right []string
	switch s.step.State {
	case incident.StepDone:
		right = append(right, fmt.Sprintf("done by %s %s", s.step.By, clock(s.step.At)))
	case incident.StepSkipped:
		right = append(right, fmt.Sprintf("skipped by %s: %s", s.step.By, s.step.Reason))
	}
	if s.step.Assignee != "" {
		right = append(right, "→ "+s.step.Assignee)
	}
	return strings.Join(right, " ")
}

// rightWidth is the width of the who/whom column: its longest entry, at most a third of the pane.
func (c *checklistPane) rightWidth() int {
	w := 0
	for _, s := range c.steps {
		w = max(w, ansi.StringWidth(stepRight(s)))
	}
	return min(w, c.w/3)
}

// stepRow renders one step: its box, title, who did it and whom it is assigned to.
func (c *checklistPane) stepRow(s stepAt, selected bool) string {
	st := c.cp.c.st
	box := map[incident.StepState]string{incident.StepOpen: "[ ]", incident.StepDone: "[x]", incident.StepSkipped: "[-]"}[s.step.State]
	title := s.step.Title
	if s.step.Script {
		title += " $"
	}
	r := stepRight(s)
	left := " " + box + " " + title
	if rw := c.rightWidth(); c.w >= 60 && rw > 0 && r != "" {
		// One column for who did it and whom it is assigned to, left-aligned, the same on every row.
		left = pad(left, max(20, c.w-rw-2)) + "  "
		r = pad(r, rw)
	} else if r != "" {
		left += "  "
	}
	plain := left + r
	if selected {
		return st.Selected.Render(pad(plain, c.w))
	}
	switch s.step.State {
	case incident.StepDone:
		return clip(st.OK.Render(left)+st.Subtle.Render(r), c.w)
	case incident.StepSkipped:
		return clip(st.Subtle.Render(plain), c.w)
	}
	return clip(left+st.Subtle.Render(r), c.w)
}

func (c *checklistPane) ShortHelp() []key.Binding {
	if c.details {
		return []key.Binding{c.keys.Up, c.keys.Down, c.keys.Close}
	}
	return []key.Binding{c.keys.Tick, c.keys.Skip, c.keys.Details, c.keys.Attach, c.keys.Run}
}

func (c *checklistPane) FullHelp() [][]key.Binding {
	return [][]key.Binding{{c.keys.Up, c.keys.Down, c.keys.Details, c.keys.Close},
		{c.keys.Tick, c.keys.Skip, c.keys.Assign, c.keys.Attach, c.keys.Run, c.keys.AdHoc}}
}
