package retro

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/firebreak/firebreak/incident"
)

// Markdown writes the retrospective as CommonMark, with a GFM table for the timeline and a task list for
// the action items. A drill says so at the top.
func (r *Retro) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Retrospective: %s %s\n\n", r.Ref, escapeText(r.Title))
	if r.Drill {
		b.WriteString("> **DRILL**: this was a game day, not a real incident.\n\n")
	}
	inc := r.Incident
	b.WriteString("| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| Incident | %s |\n| Severity | %s |\n| Status | %s |\n| Retrospective | %s |\n", r.Ref, inc.Severity, inc.Status, r.State)
	if c := inc.Commander(); c != "" {
		fmt.Fprintf(&b, "| Commander | %s |\n", cell(c))
	}
	fmt.Fprintf(&b, "| Chain head | event %d, %s |\n", r.Head.Seq, cell(r.Head.Hash))
	b.WriteString("\n")
	flagged := false
	for _, s := range r.Sections {
		fmt.Fprintf(&b, "## %s\n\n", escapeText(s.Title))
		switch s.Slug {
		case "resolution":
			writeText(&b, s)
			if len(r.Flags) > 0 {
				b.WriteString("### Flags\n\n")
				writeFlags(&b, r.Flags)
			}
			flagged = true
		case "impact":
			writeText(&b, s)
			writeMetrics(&b, r.Metrics)
		case "timeline":
			writeText(&b, s)
			if s.Version > 0 { // the team's own text: the hidden events are still listed, after it
				writeHidden(&b, r.Timeline)
			}
		case "action-items":
			writeText(&b, s)
			writeActions(&b, r.Actions, r.Suggested)
		default:
			writeText(&b, s)
		}
	}
	if !flagged && len(r.Flags) > 0 {
		b.WriteString("## Flags\n\n") // a template without a resolution section still shows them
		writeFlags(&b, r.Flags)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeHidden lists the hidden events: who hid each and why.
func writeHidden(b *strings.Builder, rows []Row) {
	for _, r := range rows {
		if r.Hidden != nil {
			fmt.Fprintf(b, "- Event %d (%s, %s) hidden by %s: %s\n", r.Seq, cell(r.Kind), r.At.UTC().Format("2006-01-02 15:04:05"),
				cell(incident.ParseActor(r.Hidden.By).Person()), cell(r.Hidden.Reason))
		}
	}
	b.WriteString("\n")
}

// NotWritten is what the export says of a section nobody wrote: its prompt is a question for the team, not
// part of the document.
const NotWritten = "Not written."

func writeText(b *strings.Builder, s SectionText) {
	text := strings.TrimSpace(s.Text)
	if text == "" {
		if s.Slug != "action-items" { // its list says "No action items yet."
			fmt.Fprintf(b, "_%s_\n\n", NotWritten)
		}
		return
	}
	if s.Conflict {
		b.WriteString("> **Conflict**: two people edited this section at once; both texts are below for a person to merge.\n\n")
		text = "```\n" + strings.ReplaceAll(text, "```", "` ` `") + "\n```"
	}
	b.WriteString(escapeHTML(text) + "\n\n")
}

// writeFlags lists the flags. They follow the resolution text rather than being part of it, so that no
// edit of the section removes them.
func writeFlags(b *strings.Builder, flags []Flag) {
	for _, f := range flags {
		switch f.Kind {
		case FlagSameAccountApproval:
			fmt.Fprintf(b, "- **Two-person rule on one account**: Approval of RUN-%d (after stage %d) by %s was given from the same OS account (%s) as the run: the two-person rule rested on --as.\n",
				f.Run, f.Stage, escapeText(f.Person), escapeText(f.Account))
		default:
			fmt.Fprintf(b, "- %s\n", escapeText(f.Text))
		}
	}
	b.WriteString("\n")
}

func writeMetrics(b *strings.Builder, m Metrics) {
	b.WriteString("### Metrics\n\n| Metric | Value |\n|---|---|\n")
	fmt.Fprintf(b, "| Time to detect | %s |\n| Time to acknowledge | %s |\n| Time to mitigate | %s |\n| Time to resolve | %s |\n",
		m.TimeToDetect, m.TimeToAcknowledge, m.TimeToMitigate, m.TimeToResolve)
	fmt.Fprintf(b, "| Hosts touched | %d |\n| Runs (real) | %d |\n| Dry runs | %d |\n| Steps done | %d |\n| Steps skipped | %d |\n\n",
		m.HostsTouched, m.Runs, m.DryRuns, m.StepsDone, m.StepsSkipped)
}

func writeActions(b *strings.Builder, actions, suggested []Action) {
	if len(actions) == 0 && len(suggested) == 0 {
		b.WriteString("_No action items yet._\n\n")
		return
	}
	for _, a := range actions {
		mark := " "
		if a.Done {
			mark = "x"
		}
		fmt.Fprintf(b, "- [%s] %s%s\n", mark, escapeText(strings.Join(strings.Fields(a.Text), " ")), actionDetails(a))
	}
	if len(suggested) > 0 {
		if len(actions) > 0 {
			b.WriteString("\n")
		}
		b.WriteString("Suggested by firebreak (every remediation that production needed gets a CI quality gate):\n\n")
		for _, a := range suggested {
			fmt.Fprintf(b, "- [ ] %s (kind: %s)\n", escapeText(a.Text), a.Kind)
		}
	}
	b.WriteString("\n")
}

func actionDetails(a Action) string {
	var parts []string
	for _, p := range [][2]string{{"owner", a.Owner}, {"ticket", a.Ticket}, {"due", a.Due}, {"kind", a.Kind}} {
		if p[1] != "" {
			parts = append(parts, p[0]+": "+escapeText(p[1]))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// JSON writes the retrospective as one JSON document with the same content.
func (r *Retro) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		*Retro
		Severity string `json:"severity"`
		Status   string `json:"status"`
	}{r, r.Incident.Severity.String(), string(r.Incident.Status)})
}
