package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
)

// runsKeys are the runs pane's keys.
type runsKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom, Open, Close, Resume, Retry key.Binding
}

func newRunsKeys() runsKeys {
	return runsKeys{
		Resume:   key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "continue (resume) a halted run")),
		Retry:    key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "retry its failed hosts")),
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "first host")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "last host")),
		Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "approve / details")),
		Close:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close details")),
	}
}

// hostsMsg carries one run's hosts.
type hostsMsg struct {
	run   int64
	hosts []store.RunHost
	err   error
}

// runsPane lists the incident's runs: status, stage, and whether one waits for an approval. Enter on a run
// waiting for someone else's approval approves it (rollout.Approve, after a confirmation); on any other run
// it shows the run's hosts.
type runsPane struct {
	cp     *cockpit
	keys   runsKeys
	cursor int
	offset int
	w, h   int

	detail int64 // the run whose hosts show (0: the list)
	hosts  []store.RunHost
	first  int // the first host shown: only the rows that fit are drawn, of however many thousands
	err    string
}

func newRunsPane(cp *cockpit) *runsPane { return &runsPane{cp: cp, keys: newRunsKeys()} }

func (r *runsPane) Title() string {
	if n := len(r.cp.runs); n > 0 {
		return fmt.Sprintf("Runs %d", n)
	}
	return "Runs"
}

func (r *runsPane) Typing() bool       { return false }
func (r *runsPane) consumesBack() bool { return r.detail != 0 }
func (r *runsPane) SetSize(w, h int)   { r.w, r.h = w, h }
func (r *runsPane) loadHosts() tea.Cmd {
	run := r.detail
	return r.cp.c.read(func(ctx context.Context) tea.Msg {
		hosts, err := r.cp.c.d.DB.RunHosts(ctx, run)
		return hostsMsg{run: run, hosts: hosts, err: err}
	})
}

func (r *runsPane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case runsMsg:
		r.cursor = min(r.cursor, max(0, len(r.cp.runs)-1))
	case hostsMsg:
		if msg.run == r.detail {
			r.hosts, r.err = msg.hosts, ""
			if msg.err != nil {
				r.err = errText(msg.err)
			}
		}
	case refreshMsg, changedMsg:
		if r.detail != 0 {
			return r.loadHosts()
		}
	case tea.KeyMsg:
		if r.detail != 0 {
			page := max(1, r.hostRows())
			switch {
			case key.Matches(msg, r.keys.Close):
				r.detail, r.hosts, r.first = 0, nil, 0
			case key.Matches(msg, r.keys.Up):
				r.first--
			case key.Matches(msg, r.keys.Down):
				r.first++
			case key.Matches(msg, r.keys.PageUp):
				r.first -= page
			case key.Matches(msg, r.keys.PageDown):
				r.first += page
			case key.Matches(msg, r.keys.Top):
				r.first = 0
			case key.Matches(msg, r.keys.Bottom):
				r.first = len(r.hosts)
			}
			r.first = max(0, min(r.first, len(r.hosts)-page))
			return nil
		}
		switch {
		case key.Matches(msg, r.keys.Up):
			r.cursor = max(0, r.cursor-1)
		case key.Matches(msg, r.keys.Down):
			r.cursor = min(max(0, len(r.cp.runs)-1), r.cursor+1)
		case key.Matches(msg, r.keys.Open):
			return r.open()
		case key.Matches(msg, r.keys.Resume), key.Matches(msg, r.keys.Retry):
			if r.cursor >= len(r.cp.runs) {
				return nil
			}
			run := r.cp.runs[r.cursor]
			t := RunTarget{Resume: run.ID}
			if key.Matches(msg, r.keys.Retry) {
				t = RunTarget{Retry: run.ID}
			}
			inc := r.cp.inc
			return r.cp.c.handleNow(openRunMsg{inc: inc, target: t})
		}
	}
	return nil
}

// open approves the selected run when it waits for an approval that this person may give, else shows it.
func (r *runsPane) open() tea.Cmd {
	if r.cursor >= len(r.cp.runs) {
		return nil
	}
	run := r.cp.runs[r.cursor]
	c := r.cp.c
	if rollout.MayApprove(c.d.Policy, run, c.d.Actor.String()) == nil {
		// The approver sees what they approve (script, diff from the dry run, next hosts, results so far),
		// and the approval binds to that plan: if it changed meanwhile, the approval is refused.
		ctx, cancel := context.WithTimeout(c.ctx, opTimeout)
		brief, err := rollout.BriefOf(ctx, c.d.DB, run.ID)
		cancel()
		if err != nil {
			r.err = errText(err)
			return nil
		}
		approve := c.act(nil, rollout.RunRef(run.ID)+" approved", func(ctx context.Context) error {
			_, err := rollout.Approve(ctx, c.d.DB, c.d.Policy, run.ID, c.d.Actor.String(), brief.PlanHash, c.d.Notify)
			return err
		})
		return c.open(newBriefConfirm(c.st, brief.Lines(), fmt.Sprintf("Approve %s (%s, started by %s) to go on to stage %d of %d?",
			rollout.RunRef(run.ID), runWhat(run), run.StartedBy, brief.NextStage, run.Stages), approve))
	}
	r.detail, r.hosts, r.err, r.first = run.ID, nil, "", 0
	return r.loadHosts()
}

func runWhat(run store.RunRow) string {
	if run.Runbook != "" {
		return run.Runbook + "/" + run.Step
	}
	return run.Title
}

func runStatus(run store.RunRow) string {
	if run.WaitingFor != "" {
		return run.Status + " (" + run.WaitingFor + ")"
	}
	return run.Status
}

func (r *runsPane) View() string {
	st := r.cp.c.st
	if r.detail != 0 {
		return r.detailView()
	}
	runs := r.cp.runs
	if len(runs) == 0 {
		return fit(st.Subtle.Render("No runs yet: r on a script step of the checklist starts one."), r.w, r.h)
	}
	var b strings.Builder
	b.WriteString(st.Subtle.Render(clip(fmt.Sprintf("%-7s %-4s %-22s %-5s %-12s %s", "RUN", "MODE", "STATUS", "STAGE", "BY", "WHAT"), r.w)) + "\n")
	rows := max(0, r.h-1)
	r.offset = scrollTo(r.offset, r.cursor, rows, len(runs))
	for i := r.offset; i < len(runs) && i-r.offset < rows; i++ {
		run := runs[i]
		mode := "real"
		if run.DryRun {
			mode = "dry"
		}
		plain := fmt.Sprintf("%-7s %-4s %-22s %-5s %-12s %s", rollout.RunRef(run.ID), mode, runStatus(run),
			fmt.Sprintf("%d/%d", run.Stage, run.Stages), clip(rollout.PersonOf(run.StartedBy), 12), runWhat(run))
		switch {
		case i == r.cursor:
			b.WriteString(st.Selected.Render(pad(plain, r.w)))
		case run.Status == rollout.StatusWaiting:
			b.WriteString(st.Warn.Render(clip(plain, r.w)))
		case run.Status == rollout.StatusFailed || run.Status == rollout.StatusHalted || run.Status == rollout.StatusInterrupted:
			b.WriteString(st.Error.Render(clip(plain, r.w)))
		default:
			b.WriteString(clip(plain, r.w))
		}
		b.WriteByte('\n')
	}
	return fit(b.String(), r.w, r.h)
}

func (r *runsPane) detailView() string {
	st := r.cp.c.st
	var run store.RunRow
	for _, x := range r.cp.runs {
		if x.ID == r.detail {
			run = x
		}
	}
	var b strings.Builder
	b.WriteString(clip(st.Bold.Render(rollout.RunRef(r.detail))+" "+runWhat(run)+st.Subtle.Render(fmt.Sprintf(" · %s · stage %d/%d · started by %s",
		runStatus(run), run.Stage, run.Stages, run.StartedBy)), r.w) + "\n")
	if r.err != "" {
		b.WriteString(st.Error.Render(r.err) + "\n")
	}
	head := fmt.Sprintf("%-5s %-20s %-12s %4s %8s  %s", "STAGE", "HOST", "STATE", "EXIT", "TIME", "ERROR")
	n := r.hostRows()
	if r.err != "" {
		n--
	}
	r.first = max(0, min(r.first, len(r.hosts)-n))
	last := min(len(r.hosts), r.first+max(n, 0))
	if len(r.hosts) > n { // more than fit: say which, the keys scroll
		head += fmt.Sprintf("  %s–%s/%s hosts", inventory.Count(r.first+1), inventory.Count(last), inventory.Count(len(r.hosts)))
	}
	b.WriteString(st.Subtle.Render(clip(head, r.w)) + "\n")
	// Only the rows that show are drawn: a run of 10,000 hosts costs a frame no more than one of ten.
	for _, h := range r.hosts[r.first:last] {
		style, ok := st.HostState[h.State]
		if !ok {
			style = st.Subtle
		}
		line := fmt.Sprintf("%-5d %-20s %s %4d %8s  %s", h.Stage, clip(h.Host, 20), style.Render(pad(h.State, 12)), h.ExitCode,
			h.Duration.Round(time.Millisecond), oneLine(h.Error))
		b.WriteString(clip(line, r.w) + "\n")
	}
	return fit(b.String(), r.w, r.h)
}

// hostRows is how many hosts the detail view shows at once: the pane less its title and header.
func (r *runsPane) hostRows() int { return r.h - 2 }

func (r *runsPane) ShortHelp() []key.Binding {
	if r.detail != 0 {
		if len(r.hosts) > r.hostRows() {
			return []key.Binding{r.keys.Down, r.keys.PageDown, r.keys.Close}
		}
		return []key.Binding{r.keys.Close}
	}
	return []key.Binding{r.keys.Open, r.keys.Resume, r.keys.Retry}
}

func (r *runsPane) FullHelp() [][]key.Binding {
	return [][]key.Binding{{r.keys.Up, r.keys.Down, r.keys.Open, r.keys.Close}, {r.keys.PageUp, r.keys.PageDown, r.keys.Top, r.keys.Bottom},
		{r.keys.Resume, r.keys.Retry}}
}
