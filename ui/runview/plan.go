package runview

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/ui/deps"
)

// guardLevel is how a guard stands for the planned run, as the engine decided it.
type guardLevel int

const (
	guardOK     guardLevel = iota // passes
	guardInfo                     // applies; the run will wait for another person
	guardWarn                     // applies and needs something from the operator, or is overridden
	guardRefuse                   // will refuse the run as it stands
	guardOff                      // does not apply to this run
)

// levelOf is how the preview draws an outcome.
func levelOf(outcome string) guardLevel {
	switch outcome {
	case rollout.Passed:
		return guardOK
	case rollout.Waits:
		return guardInfo
	case rollout.Needs, rollout.Overridden:
		return guardWarn
	case rollout.Refused:
		return guardRefuse
	}
	return guardOff
}

// planState is the plan preview.
type planState struct {
	loading  bool
	gen      int
	spec     rollout.Spec
	plan     rollout.Plan
	verdict  rollout.Verdict
	err      error
	refusals []rollout.Refusal
	// overrides are what the operator gave on this screen (break glass), bound to the plan they saw; a
	// new plan (another script version, other hosts) clears them, and every run asks again.
	overrides rollout.Overrides
	notice    string // why the overrides were cleared
	renotice  bool   // keep the notice through the preview asked for right after clearing
	// names are the stages' hosts as the preview names them, made once per plan: summarising stages of
	// thousands on every frame is what made the preview slow.
	names []string
}

// planMsg is a resolved spec with the engine's preview of it.
type planMsg struct {
	gen     int
	spec    rollout.Spec
	preview *rollout.Preview
	err     error
}

// toPlan resolves the picker's choices into a spec in the background and shows the preview.
func (m *Model) toPlan() tea.Cmd {
	req, err := m.request()
	if err != nil {
		m.setMsg(err.Error(), true)
		return nil
	}
	m.msg = ""
	m.phase = phasePlan
	m.plan.gen++
	m.plan.loading, m.plan.err, m.plan.refusals = true, nil, nil
	return resolveCmd(m.d, m.inc, req, m.plan.overrides, m.plan.gen)
}

// resolveCmd asks the run service to resolve the request and the engine to preview it: the preview shows
// the engine's own decisions, never a copy of its rules.
func resolveCmd(d deps.Deps, inc *incident.Incident, req rollout.Request, overrides rollout.Overrides, gen int) tea.Cmd {
	return func() tea.Msg {
		msg := planMsg{gen: gen}
		if d.ResolveRun == nil || d.PreviewRun == nil {
			msg.err = errors.New("runs are not wired in this console")
			return msg
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		spec, err := d.ResolveRun(ctx, inc, req)
		if err != nil {
			msg.err = err
			return msg
		}
		spec.Overrides = overrides
		msg.spec = spec
		msg.preview, msg.err = d.PreviewRun(ctx, spec)
		return msg
	}
}

func (m *Model) planned(msg planMsg) tea.Cmd {
	if msg.gen != m.plan.gen {
		return nil
	}
	p := &m.plan
	p.loading, p.spec, p.err = false, msg.spec, msg.err
	if !p.renotice {
		p.notice = ""
	}
	p.renotice = false
	if msg.preview == nil {
		return nil
	}
	p.plan, p.verdict, p.names = msg.preview.Plan, msg.preview.Verdict, nil
	if p.overrides.Any() && p.overrides.Plan != p.verdict.PlanHash {
		// The plan changed since they were given: they are asked again for this one.
		p.overrides = rollout.Overrides{}
		p.notice, p.renotice = "the plan changed: overrides and confirmations given for the earlier plan were cleared", true
		return m.toPlan()
	}
	return nil
}

// outOfHours says the engine needs a typed confirmation before a real run starts.
func (p *planState) outOfHours() bool {
	d, ok := p.verdict.Decision(rollout.GuardHours)
	return ok && d.Outcome == rollout.Needs
}

func (m *Model) planKey(k tea.KeyMsg) tea.Cmd {
	p := &m.plan
	switch {
	case k.Type == tea.KeyEsc:
		return m.back()
	case k.String() == "ctrl+d" || k.String() == "d":
		m.pick.dry = !m.pick.dry
		return m.toPlan()
	case k.String() == "g":
		m.ask(&prompt{kind: promptReason, question: "Break glass: every guard but host keys is overridden. Reason (recorded, notified):",
			ok: func(reason string) tea.Cmd {
				m.plan.overrides.BreakGlass = reason
				m.plan.overrides.Plan = m.plan.verdict.PlanHash // given for the plan on the screen
				return m.toPlan()
			}})
		return nil
	case k.String() == "s" || k.Type == tea.KeyEnter:
		if p.loading || p.err != nil {
			return nil
		}
		return m.confirmStart()
	}
	return nil
}

// confirmStart asks what a start needs: nothing for a dry run, y/n for a real run, the typed incident id
// for a real run outside working hours. A confirmation is for this one run: it goes into this run's spec,
// bound to the plan on the screen, and the next run asks again.
func (m *Model) confirmStart() tea.Cmd {
	spec := m.plan.spec
	spec.Overrides.Plan = m.plan.verdict.PlanHash
	if spec.DryRun {
		return m.startRun(spec)
	}
	if m.plan.outOfHours() {
		m.ask(&prompt{kind: promptTyped, want: m.inc.Ref(),
			question: fmt.Sprintf("It is outside working hours. Type %s to start a REAL run on %s:", m.inc.Ref(), plural(len(spec.Hosts), "host")),
			ok: func(string) tea.Cmd {
				spec.Overrides.OutOfHours = true
				return m.startRun(spec)
			}})
		return nil
	}
	m.ask(&prompt{kind: promptConfirm,
		question: fmt.Sprintf("Start a REAL run of %s on %s in %s?", m.what(), plural(len(spec.Hosts), "host"), plural(len(m.plan.plan.Stages), "stage")),
		ok:       func(string) tea.Cmd { return m.startRun(spec) }})
	return nil
}

func (m *Model) planView() string {
	st, p := m.st, &m.plan
	var b []string
	if p.loading {
		return st.Title.Render("Plan of "+m.what()) + "\n" + st.Subtle.Render("resolving the run…")
	}
	if p.err != nil {
		return st.Title.Render("Plan of "+m.what()) + "\n" + st.Error.Render(p.err.Error()) + "\n" +
			st.Subtle.Render("esc: back to the hosts")
	}
	s := p.spec
	mode := st.OK.Render("DRY RUN")
	if !s.DryRun {
		mode = st.Error.Render("REAL RUN")
	}
	b = append(b, mode+" "+st.Title.Render(m.what())+fmt.Sprintf(" on %s in %s", plural(len(s.Hosts), "host"), plural(len(p.plan.Stages), "stage")))
	b = append(b, st.Subtle.Render(fmt.Sprintf("stages %s · concurrency %d · max_fail %s · timeout %s · pattern %s",
		orDefault(s.Stages.String(), "100%"), s.Concurrency, s.MaxFail, s.Timeout, s.Pattern)))
	if s.Overrides.BreakGlass != "" {
		b = append(b, st.Banner.Render("BREAK GLASS: "+s.Overrides.BreakGlass))
	}
	if p.notice != "" {
		b = append(b, st.Warn.Render(p.notice))
	}
	maxStages := max(1, min(len(p.plan.Stages), m.bodyH-len(p.verdict.Decisions)-5-len(p.refusals)*2))
	if len(p.names) != len(p.plan.Stages) {
		p.names = make([]string, len(p.plan.Stages))
		for i, hs := range p.plan.Stages {
			p.names[i] = hostNames(hs)
		}
	}
	for i, hs := range p.plan.Stages {
		if i >= maxStages {
			b = append(b, st.Subtle.Render(fmt.Sprintf("  … %d more stages", len(p.plan.Stages)-i)))
			break
		}
		b = append(b, fmt.Sprintf("  stage %d  %s  %s", i+1, plural(len(hs), "host"), p.names[i]))
	}
	b = append(b, st.Bold.Render("Guards"))
	for _, d := range p.verdict.Decisions {
		b = append(b, m.guardView(d)...)
	}
	if len(p.refusals) > 0 {
		b = append(b, st.Error.Render("Refused:"))
		for _, r := range p.refusals {
			b = append(b, wrapIndent(st.Error.Render("  ✗ "+r.Guard+": "+r.Message), m.w, 4)...)
			if fix := consoleFix(r); fix != "" {
				b = append(b, wrapIndent("    fix: "+fix, m.w, 9)...)
			}
		}
	}
	return strings.Join(b, "\n")
}

// wrapIndent wraps s to w cells, indenting continuation lines by indent.
func wrapIndent(s string, w, indent int) []string {
	if w-indent < 12 {
		indent = 0
	}
	if ansi.StringWidth(s) <= w || w < 12 {
		return []string{s}
	}
	// The wrapper breaks at hyphens too, which splits values (RUN-7, dry-run-first, host names): hold them
	// together with a non-breaking hyphen while wrapping.
	wrap := func(t string, w int) []string {
		t = strings.ReplaceAll(ansi.Wrap(strings.ReplaceAll(t, "-", nbHyphen), w, " ,"), nbHyphen, "-")
		return strings.Split(t, "\n")
	}
	lines := wrap(s, w)
	if len(lines) == 1 || indent == 0 {
		return lines
	}
	out := []string{lines[0]}
	for _, l := range wrap(strings.Join(lines[1:], " "), w-indent) {
		out = append(out, strings.Repeat(" ", indent)+strings.TrimLeft(l, " "))
	}
	return out
}

// nbHyphen stands in for "-" while wrapping (U+2011, as wide as a hyphen).
const nbHyphen = "\u2011"

func (m *Model) guardView(d rollout.Decision) []string {
	st := m.st
	mark, style := "✓", st.OK
	why := d.Detail
	switch {
	case d.Outcome == rollout.Overridden && strings.HasPrefix(d.Override, "break glass"):
		why += "; overridden by " + d.Override
	case d.Outcome == rollout.Overridden:
		why += "; overridden: " + d.Override
	case d.Guard == rollout.GuardHours && d.Outcome == rollout.Needs:
		why += ": starting asks you to type " + m.inc.Ref()
	case d.Guard == rollout.GuardDryRunFirst && d.Outcome == rollout.Refused:
		why += ": d switches to a dry run"
	}
	switch levelOf(d.Outcome) {
	case guardInfo:
		mark, style = "•", st.Title
	case guardWarn:
		mark, style = "!", st.Warn
	case guardRefuse:
		mark, style = "✗", st.Error
	case guardOff:
		mark, style = "-", st.Subtle
	}
	return wrapIndent("  "+style.Render(mark+" "+pad(guardName(d.Guard), 13))+" "+why, m.w, 18)
}

// guardName is how the console names a guard.
func guardName(g string) string {
	switch g {
	case rollout.GuardDryRunFirst:
		return "dry run first"
	case rollout.GuardHours:
		return "working hours"
	case rollout.GuardLogSpace:
		return "log space"
	case rollout.GuardHostKeys:
		return "host keys"
	}
	return g
}

// consoleFix says how to get past a refusal from the console (the engine's fix names the command's flags).
func consoleFix(r rollout.Refusal) string {
	switch r.Guard {
	case rollout.GuardDryRunFirst:
		return "d switches to a dry run; run it on the first stage's hosts, then the real run"
	case "canary":
		return "esc, set stages to start with 1 (e.g. 1,25%,100%), or g to break glass"
	case "working-hours":
		return "start again and type the incident id to confirm"
	case "shellcheck":
		return "fix the script (ShellCheck errors), or g to break glass"
	case "off-switch":
		return "firebreak resume, once it is safe"
	}
	return r.Fix
}

// hostNames names a stage's hosts after its count: a few, or ranges (inventory.Abbreviate).
func hostNames(hs []*inventory.Host) string {
	names := make([]string, len(hs))
	for i, h := range hs {
		names[i] = h.Name
	}
	return inventory.Abbreviate(names)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return inventory.Count(n) + " " + what + "s"
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
