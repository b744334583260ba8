package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
	"github.com/spf13/cobra"
)

// incidentCommands are the commands about one incident's state and timeline.
func incidentCommands(a *app) []*cobra.Command {
	return []*cobra.Command{newCmdDeclare(a), newCmdList(a), newCmdShow(a), newCmdNote(a), newCmdStatus(a), newCmdSev(a),
		newCmdRole(a), newCmdStar(a), newCmdMilestone(a), newCmdHide(a), newCmdTimeline(a)}
}

type declareOptions struct {
	Title []string // the words of the title
	Sev   string
	Drill bool
}

func newCmdDeclare(a *app) *cobra.Command {
	opts := &declareOptions{}
	cmd := &cobra.Command{
		Use:   "declare TITLE [--sev N] [--drill]",
		Short: "declare an incident; prints its id",
		Long: `Declare opens an incident with TITLE (several words are joined with spaces) and prints its id, e.g.
INC-7, alone on stdout, so scripts can capture it. The declaring person is recorded on the timeline; the
incident starts as investigating.`,
		Example: `  id=$(firebreak declare "checkout is down" --sev 1)
  firebreak declare game day: failover --drill`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Title = args
			return declareRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Sev, "sev", strconv.Itoa(int(incident.DefaultSeverity)), "severity `N`: 1 (the worst) to 4; SEV2 and sev2 work too")
	cmd.Flags().BoolVar(&opts.Drill, "drill", false, "a game day or exercise, not a real incident (marked [DRILL] everywhere)")
	cmd.RegisterFlagCompletionFunc("sev", fixedCompletion(severityCompletions()...))
	return cmd
}

func declareRun(ctx context.Context, a *app, opts *declareOptions) error {
	pos := opts.Title
	sev, err := incident.ParseSeverity(opts.Sev)
	if err != nil {
		return err
	}
	svc, err := a.incidents(ctx)
	if err != nil {
		return err
	}
	inc, err := svc.Declare(ctx, strings.Join(pos, " "), sev, opts.Drill)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, inc.Ref())
	return nil
}

type listOptions struct {
	All, JSON bool
}

func newCmdList(a *app) *cobra.Command {
	opts := &listOptions{}
	cmd := &cobra.Command{
		Use:   "list [--all] [--json]",
		Short: "open incidents (--all: every incident)",
		Long: `List prints the open incidents, most recently active first: id, severity, status, commander, age and
title. With --all it lists resolved and closed ones too. With --json it prints one JSON array of
{"id","title","severity","status","drill","commander","declared_at","updated_at","events"}.`,
		Example: "  firebreak list\n  firebreak list --all --json | jq -r '.[].id'",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "include resolved and closed incidents")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array (fields in the README)")
	return cmd
}

func listRun(ctx context.Context, a *app, opts *listOptions) error {
	all, asJSON := &opts.All, &opts.JSON
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

type showOptions struct {
	ID   string
	JSON bool
}

func newCmdShow(a *app) *cobra.Command {
	opts := &showOptions{}
	cmd := &cobra.Command{
		Use:   "show ID [--json]",
		Short: "an incident's state: severity, status, roles, milestones",
		Long: `Show prints an incident's state: severity, status, title, who declared it, its roles, milestones,
checklists with each step's state, and how many events its timeline has. With --json it prints the
incident as one JSON object (fields in the README).`,
		Example:           "  firebreak show INC-7\n  firebreak show INC-7 --json | jq .roles",
		Args:              exactArgs(1),
		ValidArgsFunction: positional(a, completeIncidents),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			return showRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the incident as a JSON object")
	return cmd
}

func showRun(ctx context.Context, a *app, opts *showOptions) error {
	asJSON := &opts.JSON
	svc, id, err := a.serviceFor(ctx, opts.ID)
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

type noteOptions struct {
	ID   string
	Text []string // the words of the note
	At   string   // the time the note is about ("": now)
}

func newCmdNote(a *app) *cobra.Command {
	opts := &noteOptions{}
	cmd := &cobra.Command{
		Use:   "note ID TEXT [--at TIME]",
		Short: "add a note to the timeline (--at: about an earlier time)",
		Long: `Note adds TEXT to the incident's timeline as a note by you. Several words are joined with spaces; the
text is free, so a word starting with dashes that is no flag ("---") is part of it, and everything after
"--" is text.

--at TIME backdates the note: it is about TIME, such as a sign seen before the incident was declared. It
is recorded now, with both times; the timeline and the retrospective show it at TIME, marked backdated.
TIME is "now", a relative time like -2h (that long ago), a clock time like 14:05 (today, local time, or
yesterday if that is still to come), "2026-11-21 14:05" (local), or RFC 3339; never in the future.`,
		Example:           "  firebreak note INC-7 'p99 back under 300ms'\n  firebreak note INC-7 -- --verbose was on\n  firebreak note INC-7 --at -3h 'disk use on db-1 passed 80%'\n  firebreak note INC-7 --at 2026-11-21T01:40:00Z 'first 502s in the LB logs'",
		Args:              minArgs(2),
		Annotations:       map[string]string{annFreeText: "true"},
		ValidArgsFunction: positional(a, completeIncidents),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID, opts.Text = args[0], args[1:]
			return noteRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().StringVar(&opts.At, "at", "", "backdate the note to `TIME` (now, -2h, 14:05, \"2026-11-21 14:05\", RFC 3339)")
	return cmd
}

func noteRun(ctx context.Context, a *app, opts *noteOptions) error {
	pos := append([]string{opts.ID}, opts.Text...)
	svc, id, err := a.serviceFor(ctx, pos[0])
	if err != nil {
		return err
	}
	if opts.At == "" {
		ev, err := svc.Note(ctx, id, strings.Join(pos[1:], " "))
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s: note added as event %d\n", incident.Ref(id), ev.Seq)
		return nil
	}
	at, err := incident.ParseTime(opts.At, time.Now())
	if err != nil {
		return fmt.Errorf("--at: %w", err)
	}
	ev, err := svc.NoteAt(ctx, id, strings.Join(pos[1:], " "), at)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: note added as event %d, backdated to %s\n", incident.Ref(id), ev.Seq, at.UTC().Format("2006-01-02 15:04:05Z"))
	return nil
}

func newCmdStatus(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "status ID STATUS",
		Short: "move through investigating, identified, mitigating, monitoring, resolved, closed",
		Long: `Status moves the incident to STATUS: investigating, identified, mitigating, monitoring, resolved or
closed. An incident moves forward to any later status or back exactly one; leaving investigating needs a
commander. Moving sets the matching milestone (mitigated, resolved) when it is not set yet.`,
		Example:           "  firebreak status INC-7 mitigating",
		Args:              exactArgs(2),
		ValidArgsFunction: positional(a, completeIncidents, completeStatuses),
		RunE: func(cmd *cobra.Command, args []string) error {
			return statusRun(cmd.Context(), a, args[0], args[1])
		},
	}
}

func statusRun(ctx context.Context, a *app, ref, status string) error {
	st, err := incident.ParseStatus(status)
	if err != nil {
		return err
	}
	svc, id, err := a.serviceFor(ctx, ref)
	if err != nil {
		return err
	}
	return a.report(svc.SetStatus(ctx, id, st))
}

func newCmdSev(a *app) *cobra.Command {
	return &cobra.Command{
		Use:               "sev ID N",
		Short:             "set the severity (1 is the worst)",
		Long:              `Sev sets the incident's severity to N, 1 (the worst) to 4; SEV2 and sev2 work too. The change is recorded on the timeline.`,
		Example:           "  firebreak sev INC-7 1",
		Args:              exactArgs(2),
		ValidArgsFunction: positional(a, completeIncidents, fixed(severityCompletions()...)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return sevRun(cmd.Context(), a, args[0], args[1])
		},
	}
}

func sevRun(ctx context.Context, a *app, ref, n string) error {
	sev, err := incident.ParseSeverity(n)
	if err != nil {
		return err
	}
	svc, id, err := a.serviceFor(ctx, ref)
	if err != nil {
		return err
	}
	return a.report(svc.SetSeverity(ctx, id, sev))
}

func newCmdRole(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "role ID ROLE PERSON",
		Short: "assign commander, communications, operations or scribe (PERSON - unassigns)",
		Long: `Role gives ROLE (commander, communications, operations or scribe) on the incident to PERSON; several
words are joined. PERSON "-" leaves the role unassigned. The change is recorded on the timeline.`,
		Example:           "  firebreak role INC-7 commander alice\n  firebreak role INC-7 scribe -",
		Args:              minArgs(3),
		ValidArgsFunction: positional(a, completeIncidents, completeRoles),
		RunE: func(cmd *cobra.Command, args []string) error {
			return roleRun(cmd.Context(), a, args)
		},
	}
}

func roleRun(ctx context.Context, a *app, pos []string) error {
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

type starOptions struct {
	ID, Seq string
	Off     bool
}

func newCmdStar(a *app) *cobra.Command {
	opts := &starOptions{}
	cmd := &cobra.Command{
		Use:   "star ID SEQ [--off]",
		Short: "mark an event as a key moment for the retrospective",
		Long: `Star marks the timeline event SEQ (its number in firebreak timeline) as a key moment: starred events
fill the retrospective's timeline section. --off takes the star away.`,
		Example:           "  firebreak star INC-7 12\n  firebreak star INC-7 12 --off",
		Args:              exactArgs(2),
		ValidArgsFunction: positional(a, completeIncidents),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID, opts.Seq = args[0], args[1]
			return starRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Off, "off", false, "remove the star instead")
	return cmd
}

func starRun(ctx context.Context, a *app, opts *starOptions) error {
	pos, off := []string{opts.ID, opts.Seq}, &opts.Off
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

type milestoneOptions struct {
	ID, Name string
	Time     []string // the words of the time
	Reason   string
}

func newCmdMilestone(a *app) *cobra.Command {
	opts := &milestoneOptions{}
	cmd := &cobra.Command{
		Use:   "milestone ID NAME TIME [--reason TEXT]",
		Short: "set or correct impact_started, detected, acknowledged, mitigated, resolved",
		Long: `Milestone sets the incident's milestone NAME (impact_started, detected, acknowledged, mitigated or
resolved) to TIME: "now", a relative time like -25m or -1h30m (an argument, not a flag), a clock time
like 14:05 (today, UTC), or an RFC 3339 time. Times in the future are refused. --reason says why a time
is corrected; the retrospective's metrics are computed from the milestones.`,
		Example:           "  firebreak milestone INC-7 detected -25m\n  firebreak milestone INC-7 impact_started 2025-03-02T13:58:00Z --reason 'from the dashboards'",
		Args:              minArgs(3),
		ValidArgsFunction: positional(a, completeIncidents, completeMilestones),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID, opts.Name, opts.Time = args[0], args[1], args[2:]
			return milestoneRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why the time is set or corrected (`TEXT`, shown on the timeline)")
	return cmd
}

func milestoneRun(ctx context.Context, a *app, opts *milestoneOptions) error {
	pos, reason := append([]string{opts.ID, opts.Name}, opts.Time...), &opts.Reason
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

type hideOptions struct {
	ID, Seq, Reason string
}

func newCmdHide(a *app) *cobra.Command {
	opts := &hideOptions{}
	cmd := &cobra.Command{
		Use:   "hide ID SEQ --reason TEXT",
		Short: "mark an event hidden (it stays in the chain)",
		Long: `Hide marks the timeline event SEQ hidden, saying why: views show it as hidden with the reason, but the
event stays in the hash chain (nothing is ever removed) and firebreak audit verify still covers it.`,
		Example:           "  firebreak hide INC-7 14 --reason 'pasted a password'",
		Args:              exactArgs(2),
		ValidArgsFunction: positional(a, completeIncidents),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID, opts.Seq = args[0], args[1]
			return hideRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why the event is hidden (`TEXT`, required)")
	return cmd
}

func hideRun(ctx context.Context, a *app, opts *hideOptions) error {
	pos, reason := []string{opts.ID, opts.Seq}, &opts.Reason
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

type timelineOptions struct {
	ID           string
	JSON, Follow bool
}

func newCmdTimeline(a *app) *cobra.Command {
	opts := &timelineOptions{}
	cmd := &cobra.Command{
		Use:   "timeline ID [--json] [--follow]",
		Short: "the incident's events (--json: JSON Lines)",
		Long: `Timeline prints the incident's events in order, one a line: number, time (UTC), actor, kind and text; a
star marks key moments and hidden events say why they are hidden. With --json it prints JSON Lines, one
event a line: {"seq","at","actor","kind","text","data","hash"}. --follow keeps printing new events as they
are recorded, until interrupted.`,
		Example:           "  firebreak timeline INC-7\n  firebreak timeline INC-7 --json --follow | jq -c 'select(.kind==\"note\")'",
		Args:              exactArgs(1),
		ValidArgsFunction: positional(a, completeIncidents),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			return timelineRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON Lines, one event per line")
	cmd.Flags().BoolVarP(&opts.Follow, "follow", "f", false, "keep printing new events as they happen")
	return cmd
}

func timelineRun(ctx context.Context, a *app, opts *timelineOptions) error {
	asJSON, follow := &opts.JSON, &opts.Follow
	svc, id, err := a.serviceFor(ctx, opts.ID)
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
		if !*asJSON { // a backdated note is read at the time it is about; JSON Lines keep the chain's order
			slices.SortStableFunc(events, func(x, y store.Event) int {
				tx, _ := incident.EventTime(x)
				ty, _ := incident.EventTime(y)
				return tx.Compare(ty)
			})
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
	at, backdated := incident.EventTime(ev)
	if backdated {
		text = fmt.Sprintf("(backdated, written %s) %s", ev.At.UTC().Format("2006-01-02 15:04:05Z"), text)
	}
	if reason, hidden := inc.Hidden[ev.Seq]; hidden {
		text = fmt.Sprintf("(hidden: %s) %s", clean(reason), text)
	}
	return fmt.Sprintf("%5d%s %s  %-14s %-10s %s", ev.Seq, mark, at.UTC().Format("2006-01-02 15:04:05Z"), clean(incident.ShortActor(ev.Actor)), clean(ev.Kind), text)
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
