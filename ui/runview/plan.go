package runview

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/ui/deps"
)

// guardLevel is how a guard stands for the planned run.
type guardLevel int

const (
	guardOK     guardLevel = iota // passes
	guardInfo                     // applies; the run will ask or wait
	guardWarn                     // applies and needs something from the operator
	guardRefuse                   // will refuse the run as it stands
	guardOff                      // does not apply to this run
)

// guardLine is one guard in the plan preview: its name, how it stands, and why.
type guardLine struct {
	name  string
	level guardLevel
	why   string
}

// planState is the plan preview.
type planState struct {
	loading   bool
	gen       int
	spec      rollout.Spec
	plan      rollout.Plan
	err       error
	guards    []guardLine
	outOfHrs  bool // a real run outside working hours: starting it needs the typed incident id
	overrides rollout.Overrides
	refusals  []rollout.Refusal
}

// planMsg is a resolved spec with its plan and guards.
type planMsg struct {
	gen    int
	spec   rollout.Spec
	plan   rollout.Plan
	guards []guardLine
	outHrs bool
	err    error
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
	return resolveCmd(m.d, m.inc, req, m.script, m.plan.gen, m.now())
}

func resolveCmd(d deps.Deps, inc *incident.Incident, req deps.RunRequest, script *adhoc, gen int, now time.Time) tea.Cmd {
	var check, rollback string
	if script != nil {
		check, rollback = script.check, script.rollback
	}
	return func() tea.Msg {
		msg := planMsg{gen: gen}
		if d.ResolveRun == nil {
			msg.err = errors.New("runs are not wired in this console")
			return msg
		}
		spec, err := d.ResolveRun(inc, req)
		if err != nil {
			msg.err = err
			return msg
		}
		if req.Command != "" {
			spec.Script.Check, spec.Script.Rollback = check, rollback
		}
		spec.Overrides = req.Overrides
		msg.spec = spec
		if msg.plan, msg.err = rollout.MakePlan(spec.Hosts, spec.Stages); msg.err != nil {
			return msg
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		msg.guards, msg.outHrs = previewGuards(ctx, d, inc, spec, msg.plan, now)
		return msg
	}
}

// previewGuards says which guards apply to the run and why, as the engine will decide them (the engine
// decides again when the run starts; this is the preview).
func previewGuards(ctx context.Context, d deps.Deps, inc *incident.Incident, spec rollout.Spec, plan rollout.Plan, now time.Time) ([]guardLine, bool) {
	var gs []guardLine
	glass := spec.Overrides.BreakGlass
	over := func(g guardLine) guardLine {
		if g.level == guardRefuse && glass != "" {
			g.level, g.why = guardWarn, g.why+"; overridden by break glass: "+glass
		}
		return g
	}
	if d.DB != nil {
		if sw, err := rollout.Halted(ctx, d.DB); err == nil && sw.Engaged {
			gs = append(gs, over(guardLine{"off-switch", guardRefuse,
				fmt.Sprintf("everything is halted (by %s: %s); firebreak resume once it is safe", sw.Actor, sw.Reason)}))
		}
	}
	findings, err := shellcheckErrors(ctx, spec.Script)
	switch {
	case err != nil:
		gs = append(gs, guardLine{"shellcheck", guardWarn, "not checked here: " + err.Error()})
	case len(findings) > 0:
		g := guardLine{"shellcheck", guardRefuse, "ShellCheck errors: " + strings.Join(findings, "; ")}
		if spec.Overrides.ShellCheck != "" {
			g = guardLine{"shellcheck", guardWarn, g.why + "; overridden: " + spec.Overrides.ShellCheck}
		}
		gs = append(gs, over(g))
	default:
		gs = append(gs, guardLine{"shellcheck", guardOK, "no ShellCheck errors"})
	}
	if spec.DryRun {
		g := guardLine{"dry run first", guardOK, "this is the dry run: the script runs with FIREBREAK_DRY_RUN=1 and changes nothing"}
		switch {
		case spec.Script.DryRun != "":
			g.why = "this is the dry run: the step's dry_run command runs instead of the script"
		case !spec.Script.HonoursDryRun():
			g.level, g.why = guardWarn, "this is the dry run, but the script neither has a dry_run nor reads FIREBREAK_DRY_RUN: only its check runs"
		}
		gs = append(gs, g)
		gs = append(gs, guardLine{"canary", guardOff, "applies to real runs only"})
		gs = append(gs, guardLine{"working hours", guardOff, "applies to real runs only"})
		gs = append(gs, guardLine{"two-person", guardOff, "applies to real runs only"})
		return gs, false
	}
	missing, err := dryRunMissing(ctx, d.DB, inc.ID, spec, plan)
	switch {
	case err != nil:
		gs = append(gs, guardLine{"dry run first", guardWarn, "not checked here: " + err.Error()})
	case len(missing) > 0:
		gs = append(gs, over(guardLine{"dry run first", guardRefuse, fmt.Sprintf(
			"no successful dry run of this script (hash %s) in %s on %s: ctrl+d/d switches to a dry run",
			spec.Script.Hash()[:12], inc.Ref(), strings.Join(missing, ", "))}))
	default:
		gs = append(gs, guardLine{"dry run first", guardOK, "a dry run of this script succeeded on the first stage's hosts"})
	}
	if first := len(plan.Stages[0]); first == 1 {
		gs = append(gs, guardLine{"canary", guardOK, "the first stage is one host: " + plan.Stages[0][0].Name})
	} else {
		g := guardLine{"canary", guardRefuse, fmt.Sprintf("the first stage has %d hosts; a real run starts with one canary: set stages to 1,…", first)}
		if spec.Overrides.NoCanary != "" {
			g = guardLine{"canary", guardWarn, g.why + "; overridden: " + spec.Overrides.NoCanary}
		}
		gs = append(gs, over(g))
	}
	outHrs := false
	if h := d.Policy.Hours; h != nil {
		if h.Within(now) {
			gs = append(gs, guardLine{"working hours", guardOK, "inside working hours (" + h.Describe() + ")"})
		} else {
			why := fmt.Sprintf("%s is outside working hours (%s)", now.In(h.Loc).Format("Mon 15:04 MST"), h.Describe())
			switch {
			case glass != "":
				gs = append(gs, guardLine{"working hours", guardWarn, why + "; overridden by break glass"})
			case spec.Overrides.OutOfHours:
				gs = append(gs, guardLine{"working hours", guardWarn, why + "; confirmed"})
			default:
				outHrs = true
				gs = append(gs, guardLine{"working hours", guardWarn, why + ": starting asks you to type " + inc.Ref()})
			}
		}
	} else {
		gs = append(gs, guardLine{"working hours", guardOff, "no working hours configured"})
	}
	sev := int(inc.Severity)
	switch {
	case !slices.Contains(d.Policy.TwoPerson, sev):
		gs = append(gs, guardLine{"two-person", guardOff, fmt.Sprintf("not required for SEV%d by the policy", sev)})
	case len(plan.Stages) < 2:
		gs = append(gs, guardLine{"two-person", guardOff, "a single stage: nothing after the canary"})
	case glass != "":
		gs = append(gs, guardLine{"two-person", guardWarn, fmt.Sprintf("SEV%d would need a second person; overridden by break glass", sev)})
	default:
		gs = append(gs, guardLine{"two-person", guardInfo, fmt.Sprintf(
			"SEV%d: after the canary the run waits for another person: firebreak approve RUN-n from their terminal", sev)})
	}
	return gs, outHrs
}

// shellcheckErrors is the ShellCheck guard's findings, as the preview lists them.
func shellcheckErrors(ctx context.Context, s rollout.Script) ([]string, error) {
	fs, err := rollout.ShellCheckErrors(ctx, s)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s line %d: %s (%s)", f.Fragment, f.Line, f.Message, f.Code))
	}
	return out, nil
}

// dryRunMissing is the dry-run-first guard's answer for the first stage.
func dryRunMissing(ctx context.Context, db *store.DB, inc int64, spec rollout.Spec, plan rollout.Plan) ([]string, error) {
	if db == nil {
		return nil, errors.New("no database")
	}
	return rollout.DryRunMissing(ctx, db, inc, spec.Script, plan.Stages[0])
}

func (m *Model) planned(msg planMsg) tea.Cmd {
	if msg.gen != m.plan.gen {
		return nil
	}
	p := &m.plan
	p.loading, p.spec, p.plan, p.err, p.guards, p.outOfHrs = false, msg.spec, msg.plan, msg.err, msg.guards, msg.outHrs
	return nil
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
// for a real run outside working hours.
func (m *Model) confirmStart() tea.Cmd {
	spec := m.plan.spec
	if spec.DryRun {
		return m.startRun(spec)
	}
	if m.plan.outOfHrs {
		m.ask(&prompt{kind: promptTyped, want: m.inc.Ref(),
			question: fmt.Sprintf("It is outside working hours. Type %s to start a REAL run on %d hosts:", m.inc.Ref(), len(spec.Hosts)),
			ok: func(string) tea.Cmd {
				m.plan.overrides.OutOfHours = true
				spec.Overrides.OutOfHours = true
				return m.startRun(spec)
			}})
		return nil
	}
	m.ask(&prompt{kind: promptConfirm,
		question: fmt.Sprintf("Start a REAL run of %s on %d hosts in %d stages?", m.what(), len(spec.Hosts), len(m.plan.plan.Stages)),
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
	b = append(b, mode+" "+st.Title.Render(m.what())+fmt.Sprintf(" on %d hosts in %d stages", len(s.Hosts), len(p.plan.Stages)))
	b = append(b, st.Subtle.Render(fmt.Sprintf("stages %s · concurrency %d · max_fail %s · timeout %s · pattern %s",
		orDefault(s.Stages.String(), "100%"), s.Concurrency, s.MaxFail, s.Timeout, s.Pattern)))
	if s.Overrides.BreakGlass != "" {
		b = append(b, st.Banner.Render("BREAK GLASS: "+s.Overrides.BreakGlass))
	}
	maxStages := max(1, min(len(p.plan.Stages), m.bodyH-len(p.guards)-5-len(p.refusals)*2))
	for i, hs := range p.plan.Stages {
		if i >= maxStages {
			b = append(b, st.Subtle.Render(fmt.Sprintf("  … %d more stages", len(p.plan.Stages)-i)))
			break
		}
		b = append(b, fmt.Sprintf("  stage %d  %s  %s", i+1, plural(len(hs), "host"), hostNames(hs, 8)))
	}
	b = append(b, st.Bold.Render("Guards"))
	for _, g := range p.guards {
		b = append(b, m.guardView(g)...)
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
	lines := strings.Split(ansi.Wrap(s, w, " ,"), "\n")
	if len(lines) == 1 || indent == 0 {
		return lines
	}
	rest := ansi.Wrap(strings.Join(lines[1:], " "), w-indent, " ,")
	out := []string{lines[0]}
	for _, l := range strings.Split(rest, "\n") {
		out = append(out, strings.Repeat(" ", indent)+strings.TrimLeft(l, " "))
	}
	return out
}

func (m *Model) guardView(g guardLine) []string {
	st := m.st
	mark, style := "✓", st.OK
	switch g.level {
	case guardInfo:
		mark, style = "•", st.Title
	case guardWarn:
		mark, style = "!", st.Warn
	case guardRefuse:
		mark, style = "✗", st.Error
	case guardOff:
		mark, style = "-", st.Subtle
	}
	return wrapIndent("  "+style.Render(mark+" "+pad(g.name, 13))+" "+g.why, m.w, 18)
}

// consoleFix says how to get past a refusal from the console (the engine's fix names the command's flags).
func consoleFix(r rollout.Refusal) string {
	switch r.Guard {
	case "dry-run-first":
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

func hostNames(hs []*inventory.Host, n int) string {
	names := make([]string, 0, n)
	for i, h := range hs {
		if i == n {
			return strings.Join(names, ", ") + fmt.Sprintf(" and %d more", len(hs)-n)
		}
		names = append(names, h.Name)
	}
	return strings.Join(names, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
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
