package handover

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/rollout"
)

// Text writes the report as plain, Markdown-like text to paste into a chat or a ticket at a shift change:
// a heading per incident and a list under it. Every piece of recorded text is folded onto one line and
// stripped of control characters, so nothing in it can drive the terminal it is printed on.
func Text(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Handover, %s\n\n", stamp(r.GeneratedAt))
	if r.Halt != nil {
		reason := r.Halt.Reason
		if reason == "" {
			reason = "no reason given"
		}
		fmt.Fprintf(&b, "**OFF-SWITCH ENGAGED** by %s at %s: %s. No run starts until firebreak resume.\n\n", one(incident.ShortActor(r.Halt.By)), stamp(r.Halt.At), one(reason))
	}
	switch n := len(r.Incidents); n {
	case 0:
		b.WriteString("No open incidents.\n")
	case 1:
		b.WriteString("1 open incident.\n")
	default:
		fmt.Fprintf(&b, "%d open incidents.\n", n)
	}
	for _, inc := range r.Incidents {
		writeIncident(&b, inc, r.GeneratedAt)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeIncident(b *strings.Builder, inc Incident, now time.Time) {
	drill := ""
	if inc.Drill {
		drill = " [DRILL]"
	}
	fmt.Fprintf(b, "\n## %s %s %s%s: %s\n\n", inc.ID, inc.Severity, inc.Status, drill, one(inc.Title))
	fmt.Fprintf(b, "- Age: %s (declared %s by %s)\n", Age(time.Duration(inc.AgeSeconds)*time.Second), stamp(inc.DeclaredAt), one(incident.ShortActor(inc.DeclaredBy)))
	var roles []string
	for _, r := range incident.Roles {
		roles = append(roles, fmt.Sprintf("%s %s", r, orNobody(inc.Roles[r])))
	}
	fmt.Fprintf(b, "- Roles: %s\n", strings.Join(roles, ", "))
	if u := inc.LastUpdate; u != nil {
		fmt.Fprintf(b, "- Last update: %s ago, %s by %s (%s): %s\n", Age(now.Sub(u.At)), stamp(u.At), one(incident.ShortActor(u.Actor)), u.Kind, one(u.Text))
	} else {
		b.WriteString("- Last update: none since the declaration\n")
	}
	if len(inc.Runs) == 0 {
		b.WriteString("- Runs: none in flight or waiting\n")
	} else {
		b.WriteString("- Runs:\n")
		for _, r := range inc.Runs {
			fmt.Fprintf(b, "  - %s\n", runLine(r))
		}
	}
	if len(inc.PendingApprovals) == 0 {
		b.WriteString("- Pending approvals: none\n")
	} else {
		b.WriteString("- Pending approvals:\n")
		for _, a := range inc.PendingApprovals {
			fmt.Fprintf(b, "  - %s after stage %d, started by %s: %s may approve (%s)\n", a.Run, a.Stage, one(incident.ShortActor(a.StartedBy)), one(a.Needs), a.Command)
		}
	}
	if len(inc.OpenSteps) == 0 {
		b.WriteString("- Unticked steps: none\n")
	} else {
		b.WriteString("- Unticked steps:\n")
		for _, s := range inc.OpenSteps {
			script := ""
			if s.Script {
				script = " (script)"
			}
			fmt.Fprintf(b, "  - [ ] %s/%s: %s%s, held by %s\n", one(s.Runbook), one(s.Step), one(s.Title), script, orNobody(s.Assignee))
		}
	}
}

// runLine is one run: what it runs, where it is, and what it waits for.
func runLine(r Run) string {
	what := r.Title
	if r.Runbook != "" {
		what = r.Runbook + "/" + r.Step
	}
	mode := "real"
	if r.DryRun {
		mode = "dry run"
	}
	where := fmt.Sprintf("%s in stage %d/%d", r.Status, r.Stage, r.Stages)
	switch {
	case r.Status == rollout.StatusRunning:
		where = fmt.Sprintf("running stage %d/%d", r.Stage, r.Stages)
	case r.Status == rollout.StatusWaiting && r.Stage == 0:
		where = fmt.Sprintf("waiting before stage 1/%d", r.Stages)
	case r.Status == rollout.StatusWaiting:
		where = fmt.Sprintf("waiting after stage %d/%d", r.Stage, r.Stages)
	}
	s := fmt.Sprintf("%s %s (%s, started by %s): %s, %s", r.ID, one(what), mode, one(incident.ShortActor(r.StartedBy)), where, hostCount(r.Hosts))
	if len(r.InFlight) > 0 {
		s += "; in flight: " + one(inventory.Summarize(r.InFlight))
	}
	switch {
	case r.Waiting != "":
		s += "; waiting for " + one(r.WaitingOn)
	case r.WaitingOn != "":
		s += "; " + one(r.WaitingOn)
	}
	if len(r.NextHosts) > 0 && (r.Waiting == WaitApproval || r.Waiting == WaitContinue) {
		s += "; next: " + one(inventory.Summarize(r.NextHosts))
	}
	return s
}

func hostCount(n int) string {
	if n == 1 {
		return "1 host"
	}
	return inventory.Count(n) + " hosts"
}

// one is recorded text made safe and single-line for the report.
func one(s string) string { return incident.FoldLine(s) }

func orNobody(s string) string {
	if s == "" {
		return "nobody"
	}
	return one(s)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// Age is a duration as a handover says it: 45s, 12m, 3h05m, 2d4h.
func Age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(0, int(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd%dh", int(d.Hours()/24), int(d.Hours())%24)
	}
}
