package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

func cmdDeclare(ctx context.Context, a *app, args []string) error {
	fs := newFlags("declare")
	sevFlag := fs.String("sev", strconv.Itoa(int(incident.DefaultSeverity)), "severity 1-4")
	drill := fs.Bool("drill", false, "a game day, not a real incident")
	pos, err := parseArgs(fs, args, 1, -1, "declare TITLE [--sev N] [--drill]")
	if err != nil {
		return err
	}
	sev, err := incident.ParseSeverity(*sevFlag)
	if err != nil {
		return err
	}
	svc, err := a.incidents(ctx)
	if err != nil {
		return err
	}
	inc, err := svc.Declare(ctx, strings.Join(pos, " "), sev, *drill)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, inc.Ref())
	return nil
}

func cmdList(ctx context.Context, a *app, args []string) error {
	fs := newFlags("list")
	all := fs.Bool("all", false, "include resolved and closed incidents")
	asJSON := fs.Bool("json", false, "JSON")
	if _, err := parseArgs(fs, args, 0, 0, "list [--all] [--json]"); err != nil {
		return err
	}
	svc, err := a.incidents(ctx)
	if err != nil {
		return err
	}
	list, err := svc.List(ctx, *all)
	if err != nil {
		return err
	}
	if *asJSON {
		if list == nil {
			list = []incident.Summary{}
		}
		return writeJSON(a, list)
	}
	if len(list) == 0 {
		if *all {
			fmt.Fprintln(a.stderr, "no incidents yet: firebreak declare TITLE")
		} else {
			fmt.Fprintln(a.stderr, "no open incidents (firebreak list --all shows resolved ones)")
		}
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEV\tSTATUS\tCOMMANDER\tAGE\tTITLE")
	now := time.Now()
	for _, s := range list {
		title := clean(s.Title)
		if s.Drill {
			title = "[DRILL] " + title
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Ref, s.Severity, s.Status, orDash(clean(s.Commander)),
			age(now.Sub(s.DeclaredAt)), title)
	}
	return tw.Flush()
}

func cmdShow(ctx context.Context, a *app, args []string) error {
	fs := newFlags("show")
	asJSON := fs.Bool("json", false, "JSON")
	pos, err := parseArgs(fs, args, 1, 1, "show ID [--json]")
	if err != nil {
		return err
	}
	svc, id, err := a.serviceFor(ctx, pos[0])
	if err != nil {
		return err
	}
	inc, err := svc.Get(ctx, id)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a, struct {
			ID string `json:"id"`
			*incident.Incident
		}{inc.Ref(), inc})
	}
	w := a.stdout
	drill := ""
	if inc.Drill {
		drill = "  [DRILL]"
	}
	fmt.Fprintf(w, "%s  %s  %s%s\n", inc.Ref(), inc.Severity, inc.Status, drill)
	fmt.Fprintf(w, "%s\n\n", clean(inc.Title))
	fmt.Fprintf(w, "declared  %s by %s (%s ago)\n", inc.DeclaredAt.Format("2006-01-02 15:04:05 UTC"), clean(inc.DeclaredBy), age(time.Since(inc.DeclaredAt)))
	fmt.Fprintln(w, "\nroles")
	for _, r := range incident.Roles {
		fmt.Fprintf(w, "  %-15s %s\n", r, orDash(clean(inc.Roles[r])))
	}
	fmt.Fprintln(w, "\nmilestones")
	for _, m := range incident.Milestones {
		at := "-"
		if t, ok := inc.Milestones[m]; ok {
			at = t.Format("2006-01-02 15:04:05 UTC")
		}
		fmt.Fprintf(w, "  %-15s %s\n", m, at)
	}
	for _, c := range inc.Checklists {
		done, skipped := c.Done()
		fmt.Fprintf(w, "\nchecklist %s: %s (%d/%d done, %d skipped; attached by %s)\n", clean(c.Runbook), clean(c.Title), done, len(c.Steps), skipped, clean(c.AttachedBy))
		for _, st := range c.Steps {
			mark := map[incident.StepState]string{incident.StepOpen: "[ ]", incident.StepDone: "[x]", incident.StepSkipped: "[-]"}[st.State]
			line := fmt.Sprintf("  %s %s: %s", mark, clean(st.ID), clean(st.Title))
			if st.Script {
				line += " (script)"
			}
			switch st.State {
			case incident.StepDone:
				line += fmt.Sprintf(" — %s at %s", clean(st.By), st.At.Format("15:04 UTC"))
			case incident.StepSkipped:
				line += fmt.Sprintf(" — skipped by %s: %s", clean(st.By), clean(st.Reason))
			}
			if st.Assignee != "" {
				line += " [assigned to " + clean(st.Assignee) + "]"
			}
			fmt.Fprintln(w, line)
		}
	}
	fmt.Fprintf(w, "\nevents    %d", inc.Events)
	if len(inc.Starred) > 0 {
		fmt.Fprintf(w, " (starred: %s)", joinInts(inc.Starred))
	}
	fmt.Fprintln(w)
	return nil
}

func cmdNote(ctx context.Context, a *app, args []string) error {
	pos, err := parseArgs(newFlags("note"), args, 2, -1, "note ID TEXT")
	if err != nil {
		return err
	}
	svc, id, err := a.serviceFor(ctx, pos[0])
	if err != nil {
		return err
	}
	ev, err := svc.Note(ctx, id, strings.Join(pos[1:], " "))
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: note added as event %d\n", incident.Ref(id), ev.Seq)
	return nil
}

func cmdStatus(ctx context.Context, a *app, args []string) error {
	pos, err := parseArgs(newFlags("status"), args, 2, 2, "status ID STATUS")
	if err != nil {
		return err
	}
	st, err := incident.ParseStatus(pos[1])
	if err != nil {
		return err
	}
	svc, id, err := a.serviceFor(ctx, pos[0])
	if err != nil {
		return err
	}
	return a.report(svc.SetStatus(ctx, id, st))
}

func cmdSev(ctx context.Context, a *app, args []string) error {
	pos, err := parseArgs(newFlags("sev"), args, 2, 2, "sev ID N")
	if err != nil {
		return err
	}
	sev, err := incident.ParseSeverity(pos[1])
	if err != nil {
		return err
	}
	svc, id, err := a.serviceFor(ctx, pos[0])
	if err != nil {
		return err
	}
	return a.report(svc.SetSeverity(ctx, id, sev))
}

func cmdRole(ctx context.Context, a *app, args []string) error {
	pos, err := parseArgs(newFlags("role"), args, 3, -1, "role ID ROLE PERSON")
	if err != nil {
		return err
	}
	role, err := incident.ParseRole(pos[1])
	if err != nil {
		return err
	}
	svc, id, err := a.serviceFor(ctx, pos[0])
	if err != nil {
		return err
	}
	return a.report(svc.AssignRole(ctx, id, role, strings.Join(pos[2:], " ")))
}

func cmdStar(ctx context.Context, a *app, args []string) error {
	fs := newFlags("star")
	off := fs.Bool("off", false, "unstar")
	pos, err := parseArgs(fs, args, 2, 2, "star ID SEQ [--off]")
	if err != nil {
		return err
	}
	seq, err := parseSeq(pos[1])
	if err != nil {
		return err
	}
	svc, id, err := a.serviceFor(ctx, pos[0])
	if err != nil {
		return err
	}
	return a.report(svc.Star(ctx, id, seq, !*off))
}

func cmdMilestone(ctx context.Context, a *app, args []string) error {
	fs := newFlags("milestone")
	reason := fs.String("reason", "", "why the time is set or corrected")
	pos, err := parseArgs(fs, args, 3, -1, "milestone ID NAME TIME [--reason TEXT]")
	if err != nil {
		return err
	}
	m, err := incident.ParseMilestone(pos[1])
	if err != nil {
		return err
	}
	at, err := incident.ParseTime(strings.Join(pos[2:], " "), time.Now())
	if err != nil {
		return err
	}
	svc, id, err := a.serviceFor(ctx, pos[0])
	if err != nil {
		return err
	}
	return a.report(svc.SetMilestone(ctx, id, m, at, *reason))
}

func cmdHide(ctx context.Context, a *app, args []string) error {
	fs := newFlags("hide")
	reason := fs.String("reason", "", "why (required)")
	pos, err := parseArgs(fs, args, 2, 2, "hide ID SEQ --reason TEXT")
	if err != nil {
		return err
	}
	seq, err := parseSeq(pos[1])
	if err != nil {
		return err
	}
	if strings.TrimSpace(*reason) == "" {
		return usageErrorf("hide needs --reason TEXT: the timeline says why an event is hidden")
	}
	svc, id, err := a.serviceFor(ctx, pos[0])
	if err != nil {
		return err
	}
	return a.report(svc.Hide(ctx, id, seq, *reason))
}

func cmdTimeline(ctx context.Context, a *app, args []string) error {
	fs := newFlags("timeline")
	asJSON := fs.Bool("json", false, "JSON Lines, one event per line")
	follow := fs.Bool("follow", false, "keep printing new events as they happen")
	pos, err := parseArgs(fs, args, 1, 1, "timeline ID [--json] [--follow]")
	if err != nil {
		return err
	}
	svc, id, err := a.serviceFor(ctx, pos[0])
	if err != nil {
		return err
	}
	inc, err := svc.Get(ctx, id)
	if err != nil {
		return err
	}
	var changes <-chan struct{}
	if *follow {
		if changes, err = svc.DB.Watch(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(a.stdout)
	var after int64
	for {
		events, err := svc.Timeline(ctx, id, after, 0)
		if err != nil {
			return err
		}
		for _, ev := range events {
			if *asJSON {
				if err := enc.Encode(ev); err != nil {
					return err
				}
			} else {
				fmt.Fprintln(a.stdout, formatEvent(ev, inc))
			}
			after = ev.Seq
		}
		if !*follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-changes:
			if !ok {
				return nil
			}
		}
		if inc, err = svc.Get(ctx, id); err != nil {
			return err
		}
	}
}

// formatEvent is one line of the human timeline: seq, time, actor, kind, text; a star for key moments.
func formatEvent(ev store.Event, inc *incident.Incident) string {
	mark := " "
	if inc.IsStarred(ev.Seq) {
		mark = "*"
	}
	text := clean(ev.Text)
	if reason, hidden := inc.Hidden[ev.Seq]; hidden {
		text = fmt.Sprintf("(hidden: %s) %s", clean(reason), text)
	}
	return fmt.Sprintf("%5d%s %s  %-14s %-10s %s", ev.Seq, mark, ev.At.Format("2006-01-02 15:04:05Z"), clean(ev.Actor), clean(ev.Kind), text)
}

// serviceFor parses an incident id and opens the service.
func (a *app) serviceFor(ctx context.Context, ref string) (*incident.Service, int64, error) {
	id, err := incident.ParseRef(ref)
	if err != nil {
		return nil, 0, err
	}
	svc, err := a.incidents(ctx)
	return svc, id, err
}

// report prints what a change did: its events' texts, or that there was nothing to change.
func (a *app) report(inc *incident.Incident, events []store.Event, err error) error {
	if err != nil {
		return err
	}
	if len(events) == 0 {
		fmt.Fprintf(a.stderr, "%s: nothing to change\n", inc.Ref())
		return nil
	}
	for _, ev := range events {
		fmt.Fprintf(a.stdout, "%s: %s (event %d)\n", inc.Ref(), clean(ev.Text), ev.Seq)
	}
	return nil
}

func parseSeq(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || n < 1 {
		return 0, store.Errorf(incident.ErrInvalid, "%q is not an event number: firebreak timeline ID shows them", s)
	}
	return n, nil
}

func writeJSON(a *app, v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func joinInts(ns []int64) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(parts, ", ")
}

// age is a duration as a person reads it at a glance: 45s, 12m, 3h05m, 2d04h.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}
