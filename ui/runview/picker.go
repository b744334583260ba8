package runview

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/runbooks"
	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/rollout"
)

// The picker's focusable parts, in tab order.
const (
	focusPattern = iota
	focusHosts
	focusStages
	focusConcurrency
	focusMaxFail
	focusTimeout
	focusCount
)

// picker chooses the hosts and the settings of a run.
type picker struct {
	ready bool
	inv   *inventory.Inventory
	err   error
	step  *runbooks.Step

	pattern field
	focus   int
	sel     inventory.Selection
	selErr  error
	out     map[string]bool // matched hosts the operator toggled out
	counts  *pickCounts     // nil when the selection changed since they were counted
	cursor  int
	offset  int
	dry     bool

	stages, concurrency, maxFail, timeout field
}

func newPicker() picker {
	return picker{
		pattern: newField("hosts", "a pattern: web, web:&eu, web[0:2], ~db\\d+, all"),
		out:     map[string]bool{}, dry: true,
		stages:      newField("stages", "default"),
		concurrency: newField("concurrency", "default"),
		maxFail:     newField("max_fail", "default"),
		timeout:     newField("timeout", "default"),
	}
}

// loadedMsg carries the inventory and the step.
type loadedMsg struct {
	inv  *inventory.Inventory
	err  error
	step *runbooks.Step
}

func (m *Model) loadCmd() tea.Cmd {
	d, t := m.d, m.target
	return func() tea.Msg {
		var msg loadedMsg
		if d.Inventory == nil {
			msg.err = fmt.Errorf("no inventory configured")
			return msg
		}
		msg.inv, msg.err = d.Inventory(nil)
		if msg.err == nil && t.Runbook != "" && d.Library != nil {
			lib, err := d.Library()
			if err != nil {
				msg.err = err
				return msg
			}
			rb, err := lib.Get(t.Runbook)
			if err != nil {
				msg.err = err
				return msg
			}
			st, ok := rb.Step(t.Step)
			if !ok {
				msg.err = fmt.Errorf("runbook %s has no step %q", rb.ID, t.Step)
				return msg
			}
			msg.step = &st
		}
		return msg
	}
}

func (p *picker) loaded(msg loadedMsg, t Target) {
	p.ready, p.inv, p.err, p.step = true, msg.inv, msg.err, msg.step
	if s := p.step; s != nil {
		if s.Targets != "" && p.pattern.Value() == "" {
			p.pattern.SetValue(s.Targets)
		}
		if len(s.Stages) > 0 {
			p.stages.placeholder = "step: " + s.Stages.String()
		}
		if s.Concurrency > 0 {
			p.concurrency.placeholder = "step: " + strconv.Itoa(s.Concurrency)
		}
		if s.MaxFail != nil {
			p.maxFail.placeholder = "step: " + s.MaxFail.String()
		}
		if s.Timeout > 0 {
			p.timeout.placeholder = "step: " + s.Timeout.String()
		}
	}
	p.match()
}

// match re-selects the hosts for the pattern typed.
func (p *picker) match() {
	p.sel, p.selErr = inventory.Selection{}, nil
	p.changed()
	if p.inv == nil || strings.TrimSpace(p.pattern.Value()) == "" {
		return
	}
	p.sel, p.selErr = p.inv.Select(p.pattern.Value())
	if n := len(p.rows()); p.cursor >= n {
		p.cursor = max(0, n-1)
	}
}

// pickCounts are the picker's rows and how many hosts are selected, counted once per change of the
// selection rather than on every frame: with 10,000 hosts, a frame that walks them all is slow.
type pickCounts struct {
	rows          []row
	selected      int
	groupIn, size map[string]int
}

// changed forgets the counts after a change of the matched or the toggled hosts.
func (p *picker) changed() { p.counts = nil }

func (p *picker) count() *pickCounts {
	if p.counts != nil {
		return p.counts
	}
	c := &pickCounts{groupIn: map[string]int{}, size: map[string]int{}}
	for _, h := range p.sel.Hosts {
		in := !p.out[h.Name]
		if in {
			c.selected++
		}
		for _, g := range h.Groups {
			c.size[g]++
			if in {
				c.groupIn[g]++
			}
		}
	}
	c.rows = make([]row, 0, len(c.size)+len(p.sel.Hosts))
	if len(p.sel.Hosts) > 1 {
		for _, g := range sortedGroups(c.size) {
			c.rows = append(c.rows, row{group: g})
		}
	}
	for _, h := range p.sel.Hosts {
		c.rows = append(c.rows, row{host: h})
	}
	p.counts = c
	return c
}

// row is a line of the picker's list: a group of matched hosts, or a host.
type row struct {
	group string
	host  *inventory.Host
}

// sortedGroups are the groups of the matched hosts (but ungrouped), by name.
func sortedGroups(seen map[string]int) []string {
	out := make([]string, 0, len(seen))
	for g := range seen {
		if g != "ungrouped" {
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out
}

func (p *picker) rows() []row { return p.count().rows }

// groupCount is how many of the group's matched hosts are selected, of how many.
func (p *picker) groupCount(g string) (in, all int) {
	c := p.count()
	return c.groupIn[g], c.size[g]
}

func hasGroup(h *inventory.Host, g string) bool {
	for _, x := range h.Groups {
		if x == g {
			return true
		}
	}
	return false
}

// toggle flips the row under the cursor: a host in or out; a group all in, or (when all in) all out.
func (p *picker) toggle() {
	rs := p.rows()
	if p.cursor >= len(rs) {
		return
	}
	r := rs[p.cursor]
	if r.host != nil {
		// One host: its counts move by one, no recount of the whole selection.
		c := p.count() // counted before the change
		out := !p.out[r.host.Name]
		p.out[r.host.Name] = out
		d := 1
		if out {
			d = -1
		}
		c.selected += d
		for _, g := range r.host.Groups {
			c.groupIn[g] += d
		}
		return
	}
	defer p.changed()
	in, all := p.groupCount(r.group)
	for _, h := range p.sel.Hosts {
		if hasGroup(h, r.group) {
			p.out[h.Name] = in == all
		}
	}
}

// selected lists the chosen hosts in inventory order.
func (p *picker) selected() []*inventory.Host {
	var out []*inventory.Host
	for _, h := range p.sel.Hosts {
		if !p.out[h.Name] {
			out = append(out, h)
		}
	}
	return out
}

// hostPattern is the pattern for the spec: the pattern typed when every match is selected, else the
// selected host names joined with commas (an explicit list).
func (p *picker) hostPattern() string {
	sel := p.selected()
	if len(sel) == len(p.sel.Hosts) {
		return strings.TrimSpace(p.pattern.Value())
	}
	names := make([]string, len(sel))
	for i, h := range sel {
		names[i] = h.Name
	}
	return strings.Join(names, ",")
}

func (p *picker) fieldAt(i int) *field {
	switch i {
	case focusPattern:
		return &p.pattern
	case focusStages:
		return &p.stages
	case focusConcurrency:
		return &p.concurrency
	case focusMaxFail:
		return &p.maxFail
	case focusTimeout:
		return &p.timeout
	}
	return nil
}

// request turns the picker's choices into the terms of `firebreak run`.
func (m *Model) request() (rollout.Request, error) {
	if m.target.again() {
		return rollout.Request{Resume: m.target.Resume, Retry: m.target.Retry}, nil
	}
	p := &m.pick
	req := rollout.Request{Runbook: m.target.Runbook, Step: m.target.Step, DryRun: p.dry,
		Stages: strings.TrimSpace(p.stages.Value()), MaxFail: strings.TrimSpace(p.maxFail.Value()),
		Timeout: strings.TrimSpace(p.timeout.Value())}
	if m.script != nil {
		v := m.script.current()
		if v == nil {
			return req, fmt.Errorf("write the script first (e)")
		}
		req.Runbook, req.Step, req.Command = "", "", v.text
		req.Check, req.Rollback, req.Title = m.script.check, m.script.rollback, m.script.title()
	}
	if c := strings.TrimSpace(p.concurrency.Value()); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 {
			return req, fmt.Errorf("concurrency %q: use a whole number of at least 1", c)
		}
		req.Concurrency = n
	}
	if len(p.sel.Hosts) == 0 {
		return req, fmt.Errorf("no host matches: type a host pattern")
	}
	if len(p.selected()) == 0 {
		return req, fmt.Errorf("no host selected: space toggles a host or group, ctrl+a selects every match")
	}
	req.Hosts = p.hostPattern()
	return req, nil
}

func (m *Model) pickKey(k tea.KeyMsg) tea.Cmd {
	p := &m.pick
	km := m.keys
	switch {
	case k.Type == tea.KeyEsc:
		return m.back()
	case k.Type == tea.KeyEnter:
		return m.toPlan()
	case k.String() == "ctrl+d":
		p.dry = !p.dry
		return nil
	case k.Type == tea.KeyTab:
		p.focus = (p.focus + 1) % focusCount
		return nil
	case k.Type == tea.KeyShiftTab:
		p.focus = (p.focus + focusCount - 1) % focusCount
		return nil
	case k.String() == "ctrl+a" && p.focus == focusHosts:
		p.out = map[string]bool{}
		p.changed()
		return nil
	case k.String() == "ctrl+x":
		for _, h := range p.sel.Hosts {
			p.out[h.Name] = true
		}
		p.changed()
		return nil
	}
	if p.focus == focusHosts {
		n := len(p.rows())
		switch {
		case keyMatches(k, km.Up) || k.String() == "k":
			if p.cursor == 0 {
				p.focus = focusPattern
			} else {
				p.cursor--
			}
		case keyMatches(k, km.Down) || k.String() == "j":
			p.cursor = min(p.cursor+1, max(n-1, 0))
		case k.Type == tea.KeyPgDown:
			p.cursor = min(p.cursor+10, max(n-1, 0))
		case k.Type == tea.KeyPgUp:
			p.cursor = max(p.cursor-10, 0)
		case keyMatches(k, km.Toggle):
			p.toggle()
		case k.Type == tea.KeyRunes || k.Type == tea.KeyBackspace:
			// Typing in the list goes on typing the pattern.
			p.focus = focusPattern
			return m.pickKey(k)
		}
		return nil
	}
	if keyMatches(k, km.Down) {
		p.focus = (p.focus + 1) % focusCount
		return nil
	}
	if keyMatches(k, km.Up) {
		p.focus = (p.focus + focusCount - 1) % focusCount
		return nil
	}
	if f := p.fieldAt(p.focus); f != nil && f.update(k) && p.focus == focusPattern {
		p.out = map[string]bool{}
		p.match()
	}
	return nil
}

func (m *Model) pickView() string {
	p := &m.pick
	st := m.st
	w := m.w
	var b []string
	mode := st.OK.Render("DRY RUN")
	if !p.dry {
		mode = st.Error.Render("REAL RUN")
	}
	b = append(b, st.Title.Render("Run "+m.what())+"  "+mode+st.Subtle.Render(" (ctrl+d)"))
	b = append(b, p.pattern.view(st, w, p.focus == focusPattern))
	switch {
	case !p.ready:
		b = append(b, st.Subtle.Render("loading the inventory…"))
	case p.err != nil:
		b = append(b, st.Error.Render(p.err.Error()))
	case p.selErr != nil:
		b = append(b, st.Error.Render(p.selErr.Error()))
	}
	for _, u := range p.sel.Unmatched {
		b = append(b, st.Warn.Render(fmt.Sprintf("warning: %q matches no host or group", u)))
	}
	b = append(b, st.Bold.Render(fmt.Sprintf("%s of %s matched hosts selected", inventory.Count(p.count().selected), inventory.Count(len(p.sel.Hosts))))+
		st.Subtle.Render(" · inventory has "+inventory.Count(m.inventorySize())))

	settings := []string{
		p.stages.view(st, (w-2)/2, p.focus == focusStages), p.concurrency.view(st, (w-2)/2, p.focus == focusConcurrency),
		p.maxFail.view(st, (w-2)/2, p.focus == focusMaxFail), p.timeout.view(st, (w-2)/2, p.focus == focusTimeout),
	}
	// The list takes what the settings leave.
	listH := m.bodyH - len(b) - 3
	rs := p.rows()
	if listH < 1 {
		listH = 1
	}
	if p.cursor < p.offset {
		p.offset = p.cursor
	}
	if p.cursor >= p.offset+listH {
		p.offset = p.cursor - listH + 1
	}
	p.offset = max(0, min(p.offset, max(len(rs)-listH, 0)))
	for i := p.offset; i < len(rs) && i < p.offset+listH; i++ {
		r := rs[i]
		var line string
		if r.host != nil {
			mark := "[x]"
			if p.out[r.host.Name] {
				mark = "[ ]"
			}
			line = fmt.Sprintf("%s %s  %s", mark, r.host.Name, st.Subtle.Render(r.host.Target()+"  "+strings.Join(r.host.Groups, ",")))
		} else {
			in, all := p.groupCount(r.group)
			mark := "[ ]"
			switch {
			case in == all:
				mark = "[x]"
			case in > 0:
				mark = "[-]"
			}
			line = fmt.Sprintf("%s group %s (%d/%d)", mark, st.Bold.Render(r.group), in, all)
		}
		if p.focus == focusHosts && i == p.cursor {
			line = st.Selected.Render(">") + " " + line
		} else {
			line = "  " + line
		}
		b = append(b, line)
	}
	if len(rs) == 0 && p.ready && p.err == nil {
		b = append(b, st.Subtle.Render("  (no host matches yet)"))
	}
	b = append(b, st.Subtle.Render("settings (empty: the step's or the configured default):"))
	b = append(b, settings[0]+"  "+settings[1])
	b = append(b, settings[2]+"  "+settings[3])
	return strings.Join(b, "\n")
}

func (m *Model) inventorySize() int {
	if m.pick.inv == nil {
		return 0
	}
	return m.pick.inv.Len()
}

// what names what runs: runbook/step, or the ad-hoc script's version.
func (m *Model) what() string {
	if m.script != nil {
		if v := m.script.current(); v != nil {
			return fmt.Sprintf("ad-hoc script v%d (%s)", v.n, v.hash[:12])
		}
		return "ad-hoc script"
	}
	switch {
	case m.target.Resume != 0:
		return "resume of " + rollout.RunRef(m.target.Resume)
	case m.target.Retry != 0:
		return "retry of " + rollout.RunRef(m.target.Retry)
	}
	return m.target.Runbook + "/" + m.target.Step
}
