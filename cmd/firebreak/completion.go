package main

import (
	"context"
	"io"
	"slices"
	"strings"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/retro"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
	"github.com/spf13/cobra"
)

// Dynamic shell completion. cobra's hidden __complete command calls these with the command line typed so
// far; each returns the candidates for one argument or flag value, best first. They read the database,
// config, library and inventories the command itself would, quietly: a completion never prints a warning
// into the shell, and anything that fails simply offers nothing.

// completer lists the candidates for the argument being typed; args are the arguments before it.
type completer func(ctx context.Context, a *app, cmd *cobra.Command, args []string) []cobra.Completion

// positional completes the Nth argument with fns[N] (nil or past the end: nothing, and no file names).
func positional(a *app, fns ...completer) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) >= len(fns) || fns[len(args)] == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return complete(a, fns[len(args)], cmd, args, toComplete)
	}
}

// flagCompletion completes a flag's value with f.
func flagCompletion(a *app, f completer) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return complete(a, f, cmd, args, toComplete)
	}
}

func complete(a *app, f completer, cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	const none = cobra.ShellCompDirectiveNoFileComp
	a.stderr = io.Discard
	if err := a.setup(); err != nil {
		return nil, none
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	var out []cobra.Completion
	for _, c := range f(ctx, a, cmd, args) {
		value, _, _ := strings.Cut(c, "\t")
		if strings.HasPrefix(strings.ToLower(value), strings.ToLower(toComplete)) {
			out = append(out, c)
		}
	}
	return out, none | cobra.ShellCompDirectiveKeepOrder
}

// fixed offers a fixed list.
func fixed(choices ...cobra.Completion) completer {
	return func(context.Context, *app, *cobra.Command, []string) []cobra.Completion { return choices }
}

// fixedCompletion is fixed for a flag (no database needed).
func fixedCompletion(choices ...cobra.Completion) cobra.CompletionFunc {
	return cobra.FixedCompletions(choices, cobra.ShellCompDirectiveNoFileComp)
}

func severityCompletions() []cobra.Completion {
	return []cobra.Completion{"1\tSEV1, the worst", "2\tSEV2", "3\tSEV3 (the default)", "4\tSEV4"}
}

func completeStatuses(context.Context, *app, *cobra.Command, []string) []cobra.Completion {
	out := make([]cobra.Completion, len(incident.Lifecycle))
	for i, s := range incident.Lifecycle {
		out[i] = string(s)
	}
	return out
}

func completeRoles(context.Context, *app, *cobra.Command, []string) []cobra.Completion {
	out := make([]cobra.Completion, len(incident.Roles))
	for i, r := range incident.Roles {
		out[i] = string(r)
	}
	return out
}

func completeMilestones(context.Context, *app, *cobra.Command, []string) []cobra.Completion {
	out := make([]cobra.Completion, len(incident.Milestones))
	for i, m := range incident.Milestones {
		out[i] = string(m)
	}
	return out
}

// completeIncidents offers incident ids, the open ones first, each most recently active first.
func completeIncidents(ctx context.Context, a *app, _ *cobra.Command, _ []string) []cobra.Completion {
	db, err := a.store(ctx)
	if err != nil {
		return nil
	}
	rows, err := db.Incidents(ctx, store.IncidentQuery{})
	if err != nil {
		return nil
	}
	var open, done []cobra.Completion
	for _, r := range rows {
		st := incident.Status(r.Status)
		c := cobra.CompletionWithDesc(incident.Ref(r.ID), shorten(incident.Severity(r.Severity).String()+" "+r.Status+": "+r.Title))
		if st.Open() {
			open = append(open, c)
		} else {
			done = append(done, c)
		}
	}
	return append(open, done...)
}

// completeRuns offers run ids, newest first.
func completeRuns(ctx context.Context, a *app, _ *cobra.Command, _ []string) []cobra.Completion {
	db, err := a.store(ctx)
	if err != nil {
		return nil
	}
	runs, err := db.Runs(ctx, store.RunQuery{})
	if err != nil {
		return nil
	}
	out := make([]cobra.Completion, 0, len(runs))
	for _, r := range slices.Backward(runs) {
		what := r.Title
		if r.Runbook != "" {
			what = r.Runbook + "/" + r.Step
		}
		out = append(out, cobra.CompletionWithDesc(rollout.RunRef(r.ID), shorten(incident.Ref(r.Incident)+" "+r.Status+": "+what)))
	}
	return out
}

// completeIncidentsAndRuns is for runs [ID|RUN].
func completeIncidentsAndRuns(ctx context.Context, a *app, cmd *cobra.Command, args []string) []cobra.Completion {
	return append(completeIncidents(ctx, a, cmd, args), completeRuns(ctx, a, cmd, args)...)
}

// completeRunHosts offers the hosts of the run in args[0].
func completeRunHosts(ctx context.Context, a *app, _ *cobra.Command, args []string) []cobra.Completion {
	id, err := parseRunRef(args[0])
	if err != nil {
		return nil
	}
	db, err := a.store(ctx)
	if err != nil {
		return nil
	}
	hosts, err := db.RunHosts(ctx, id)
	if err != nil {
		return nil
	}
	var out []cobra.Completion
	for _, h := range hosts {
		out = append(out, cobra.CompletionWithDesc(h.Host, h.State))
	}
	return out
}

// completeRunbooks offers the library's runbook ids.
func completeRunbooks(_ context.Context, a *app, _ *cobra.Command, _ []string) []cobra.Completion {
	lib, err := a.library()
	if err != nil {
		return nil
	}
	var out []cobra.Completion
	for _, rb := range lib.List() {
		out = append(out, cobra.CompletionWithDesc(rb.ID, shorten(rb.Title)))
	}
	return out
}

// completeStepsOfFlag offers the script steps of the runbook given with --runbook.
func completeStepsOfFlag(_ context.Context, a *app, cmd *cobra.Command, _ []string) []cobra.Completion {
	id, _ := cmd.Flags().GetString("runbook")
	if id == "" {
		return nil
	}
	rb, err := a.runbook(id)
	if err != nil {
		return nil
	}
	var out []cobra.Completion
	for _, st := range rb.Steps {
		if st.IsScript() {
			out = append(out, cobra.CompletionWithDesc(st.ID, shorten(st.Title)))
		}
	}
	return out
}

// completeChecklists offers the runbooks attached to the incident in args[0].
func completeChecklists(ctx context.Context, a *app, _ *cobra.Command, args []string) []cobra.Completion {
	inc := a.completionIncident(ctx, args[0])
	if inc == nil {
		return nil
	}
	var out []cobra.Completion
	for _, c := range inc.Checklists {
		out = append(out, cobra.CompletionWithDesc(c.Runbook, shorten(c.Title)))
	}
	return out
}

// completeChecklistSteps offers the steps of checklist args[1] of incident args[0], open ones first.
func completeChecklistSteps(ctx context.Context, a *app, _ *cobra.Command, args []string) []cobra.Completion {
	inc := a.completionIncident(ctx, args[0])
	if inc == nil {
		return nil
	}
	var open, rest []cobra.Completion
	for _, c := range inc.Checklists {
		if c.Runbook != args[1] {
			continue
		}
		for _, st := range c.Steps {
			comp := cobra.CompletionWithDesc(st.ID, shorten(string(st.State)+": "+st.Title))
			if st.State == incident.StepOpen {
				open = append(open, comp)
			} else {
				rest = append(rest, comp)
			}
		}
	}
	return append(open, rest...)
}

func (a *app) completionIncident(ctx context.Context, ref string) *incident.Incident {
	svc, id, err := a.serviceFor(ctx, ref)
	if err != nil {
		return nil
	}
	inc, err := svc.Get(ctx, id)
	if err != nil {
		return nil
	}
	return inc
}

// completeSections offers the retrospective template's section slugs.
func completeSections(_ context.Context, a *app, _ *cobra.Command, _ []string) []cobra.Completion {
	tmpl := retro.DefaultTemplate
	if len(a.cfg.Retro.Sections) > 0 {
		tmpl = a.cfg.Retro.Sections
	}
	out := make([]cobra.Completion, len(tmpl))
	for i, s := range tmpl {
		out[i] = cobra.CompletionWithDesc(s.Slug, s.Title)
	}
	return out
}

// completeHosts offers the inventories' groups, then host names (those of -i when given).
func completeHosts(_ context.Context, a *app, cmd *cobra.Command, _ []string) []cobra.Completion {
	invs, _ := cmd.Flags().GetStringArray("inventory")
	inv, err := a.inventory(invs)
	if err != nil {
		return nil
	}
	var out []cobra.Completion
	for _, g := range inv.Groups() {
		out = append(out, cobra.CompletionWithDesc(g, "group"))
	}
	for _, h := range inv.Hosts() {
		out = append(out, cobra.CompletionWithDesc(h.Name, "host"))
	}
	return out
}

// shorten keeps a description to one short line.
func shorten(s string) string {
	s = clean(s)
	if r := []rune(s); len(r) > 60 {
		return string(r[:59]) + "…"
	}
	return s
}
