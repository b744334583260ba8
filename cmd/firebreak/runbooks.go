package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks"
	"github.com/firebreak/firebreak/runbooks/lint"
	"github.com/firebreak/firebreak/store"
	"github.com/spf13/cobra"
)

// runbookDirs are the configured runbook directories, then ./runbooks when it exists.
func (a *app) runbookDirs() []string {
	var dirs []string
	for _, d := range a.cfg.RunbookDirs {
		dirs = append(dirs, expandHome(d))
	}
	if st, err := os.Stat("runbooks"); err == nil && st.IsDir() {
		dirs = append(dirs, "runbooks")
	}
	return dirs
}

// library loads the runbook library. Broken team runbooks are reported on stderr and left out; the
// built-in ones and the good ones stay usable.
func (a *app) library() (*runbooks.Library, error) {
	lib, err := runbooks.LoadLibrary(a.runbookDirs())
	var ps runbooks.Problems
	if errors.As(err, &ps) && lib != nil {
		for _, p := range ps {
			fmt.Fprintf(a.stderr, "firebreak: warning: %v (left out of the library; firebreak runbook lint shows all)\n", p)
		}
		return lib, nil
	}
	if err != nil {
		return nil, store.Errorf(incident.ErrInvalid, "%v", err)
	}
	return lib, nil
}

func (a *app) runbook(id string) (*runbooks.Runbook, error) {
	lib, err := a.library()
	if err != nil {
		return nil, err
	}
	rb, err := lib.Get(id)
	if err != nil {
		return nil, store.Errorf(incident.ErrNotFound, "%v", err)
	}
	return rb, nil
}

func newCmdRunbook(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "runbook list|show|lint|test ...",
		Short: "the runbook library; lint is the CI gate",
		Long: `Runbook works with the runbook library: the built-in runbooks, the config's runbook directories and
./runbooks. list shows them, show prints one, lint checks them (ShellCheck included) and test dry-runs a
runbook's script steps on hosts.`,
		Example: "  firebreak runbook list\n  firebreak runbook lint runbooks/\n  firebreak help runbook test",
		Args:    cobra.ArbitraryArgs,
		RunE:    groupRunE("list, show, lint or test"),
	}
	cmd.AddCommand(newCmdRunbookList(a), newCmdRunbookShow(a), newCmdRunbookLint(a), newCmdRunbookTest(a))
	return cmd
}

// groupRunE is the action of a command group run without (or with an unknown) subcommand: a usage error.
func groupRunE(subs string) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usageErrorf("usage: %s (%s)", cmd.UseLine(), subs)
		}
		return usageErrorf("unknown %s command %q: use %s; usage: %s", cmd.Name(), args[0], subs, cmd.UseLine())
	}
}

func newCmdRunbookList(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "one runbook a line: its id, then its title",
		Long: `List prints the runbook library, one runbook a line: its id, then its title. Broken team runbooks are
reported on stderr and left out. With --json it prints a JSON array of
{"id","title","symptoms","tags","source","steps"}.`,
		Example: "  firebreak runbook list\n  firebreak runbook list --json | jq -r '.[].id'",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runbookListRun(cmd.Context(), a, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func runbookListRun(_ context.Context, a *app, json bool) error {
	asJSON := &json
	lib, err := a.library()
	if err != nil {
		return err
	}
	if *asJSON {
		type item struct {
			ID       string   `json:"id"`
			Title    string   `json:"title"`
			Symptoms []string `json:"symptoms,omitempty"`
			Tags     []string `json:"tags,omitempty"`
			Source   string   `json:"source"`
			Steps    int      `json:"steps"`
		}
		items := []item{}
		for _, rb := range lib.List() {
			items = append(items, item{rb.ID, rb.Title, rb.Symptoms, rb.Tags, rb.Source, len(rb.Steps)})
		}
		return writeJSON(a, items)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	for _, rb := range lib.List() {
		fmt.Fprintf(tw, "%s\t%s\n", clean(rb.ID), clean(rb.Title))
	}
	return tw.Flush()
}

func newCmdRunbookShow(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show RUNBOOK [--json]",
		Short: "a runbook: description, variables, steps and their scripts",
		Long: `Show prints RUNBOOK: its title, source, description, symptoms, tags, variables (secrets masked) and each
step with its details and scripts. With --json it prints the parsed runbook as one JSON object.`,
		Example:           "  firebreak runbook show free-disk",
		Args:              exactArgs(1),
		ValidArgsFunction: positional(a, completeRunbooks),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runbookShowRun(cmd.Context(), a, args[0], asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the runbook as a JSON object")
	return cmd
}

func runbookShowRun(_ context.Context, a *app, id string, json bool) error {
	asJSON := &json
	rb, err := a.runbook(id)
	if err != nil {
		return err
	}
	if *asJSON {
		shown := *rb
		shown.Vars = rb.Secrets(a.cfg.secrets()).MaskVars(rb.Vars)
		return writeJSON(a, &shown)
	}
	showRunbook(a, rb)
	return nil
}

func showRunbook(a *app, rb *runbooks.Runbook) {
	w := a.stdout
	fmt.Fprintf(w, "%s: %s\n", clean(rb.ID), clean(rb.Title))
	fmt.Fprintf(w, "source: %s\n", clean(rb.Source))
	if rb.Description != "" {
		fmt.Fprintf(w, "\n%s\n", strings.Join(cleanLines(rb.Description), "\n"))
	}
	if len(rb.Symptoms) > 0 {
		fmt.Fprintf(w, "symptoms: %s\n", strings.Join(cleanAll(rb.Symptoms), "; "))
	}
	if len(rb.Tags) > 0 {
		fmt.Fprintf(w, "tags: %s\n", strings.Join(cleanAll(rb.Tags), ", "))
	}
	if len(rb.Vars) > 0 {
		fmt.Fprintln(w, "vars:")
		vars := rb.Secrets(a.cfg.secrets()).MaskVars(rb.Vars)
		for _, k := range sortedKeys(vars) {
			fmt.Fprintf(w, "  %s = %q\n", clean(k), vars[k])
		}
	}
	for i, s := range rb.Steps {
		kind := "manual"
		if s.IsScript() {
			kind = "script"
		}
		fmt.Fprintf(w, "\n%d. [%s] %s: %s\n", i+1, kind, clean(s.ID), clean(s.Title))
		if s.Details != "" {
			for _, line := range cleanLines(s.Details) {
				fmt.Fprintf(w, "   %s\n", line)
			}
		}
		for _, f := range s.Fragments() {
			fmt.Fprintf(w, "   --- %s\n", clean(f.Field))
			for _, line := range cleanLines(f.Text) {
				fmt.Fprintf(w, "   | %s\n", line)
			}
		}
	}
}

func newCmdRunbookLint(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "lint [PATH...] [--json]",
		Short: "check runbooks (ShellCheck included): the CI gate",
		Long: `Lint checks runbooks: their format, step ids, variables, and every script fragment with ShellCheck.
With no PATH it checks the whole library; else the files and directories named. Findings print as
FILE:LINE:COL: message; with --json the report is one JSON object with its "findings". Exit 1 when there
are findings.`,
		Example: "  firebreak runbook lint\n  firebreak runbook lint runbooks/free-disk.toml --json",
		Args:    cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runbookLintRun(cmd.Context(), a, args, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as a JSON object")
	return cmd
}

func runbookLintRun(ctx context.Context, a *app, paths []string, json bool) error {
	asJSON := &json
	var report *lint.Report
	var err error
	if len(paths) == 0 {
		report, err = lint.Library(ctx, a.runbookDirs())
	} else {
		report, err = lint.Paths(ctx, paths)
	}
	if err != nil {
		return store.Errorf(incident.ErrInvalid, "%v", err)
	}
	if *asJSON {
		if err := writeJSON(a, report); err != nil {
			return err
		}
	} else {
		printFindings(a, report)
	}
	if !report.Clean() {
		return failedf("lint: %d findings in %d runbooks (%d files, %d script fragments)", report.Total(), report.Runbooks, report.Files, report.Fragments)
	}
	fmt.Fprintf(a.stderr, "lint: clean: %d runbooks, %d script fragments checked with ShellCheck\n", report.Runbooks, report.Fragments)
	return nil
}

// printFindings prints one finding a line, and after the findings of a file cut short at
// tomlcheck.MaxProblems the line "... and N more problems in FILE".
func printFindings(a *app, report *lint.Report) {
	omitted := map[string]lint.Omitted{}
	for _, o := range report.Omitted {
		omitted[o.File] = o
	}
	flush := func(file string) {
		if o, ok := omitted[file]; ok {
			fmt.Fprintln(a.stdout, clean(o.String()))
			delete(omitted, file)
		}
	}
	for i, f := range report.Findings {
		fmt.Fprintln(a.stdout, clean(f.String()))
		if i+1 == len(report.Findings) || report.Findings[i+1].File != f.File {
			flush(f.File)
		}
	}
	for _, o := range report.Omitted { // files with none shown
		flush(o.File)
	}
}

func newCmdAttach(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "attach ID RUNBOOK",
		Short: "attach a runbook as the incident's checklist",
		Long: `Attach copies RUNBOOK (secrets redacted) onto the incident as a checklist: its steps can then be ticked,
skipped and assigned, and its script steps run with firebreak run. The copy is kept as attached, so later
edits to the runbook do not change what the incident followed.`,
		Example:           "  firebreak attach INC-7 free-disk",
		Args:              exactArgs(2),
		ValidArgsFunction: positional(a, completeIncidents, completeRunbooks),
		RunE: func(cmd *cobra.Command, args []string) error {
			return attachRun(cmd.Context(), a, args[0], args[1])
		},
	}
}

func attachRun(ctx context.Context, a *app, ref, runbook string) error {
	svc, id, err := a.serviceFor(ctx, ref)
	if err != nil {
		return err
	}
	if _, err := svc.Get(ctx, id); err != nil {
		return err
	}
	rb, err := a.runbook(runbook)
	if err != nil {
		return err
	}
	raw, err := rb.Redacted(a.cfg.secrets())
	if err != nil {
		return store.Errorf(incident.ErrInvalid, "%v", err)
	}
	copy := incident.RunbookCopy{ID: rb.ID, Title: rb.Title, Source: rb.Source, Raw: raw}
	for _, s := range rb.Steps {
		copy.Steps = append(copy.Steps, incident.StepRef{ID: s.ID, Title: s.Title, Script: s.IsScript()})
	}
	return a.report(svc.Attach(ctx, id, copy))
}

// stepCommands are tick, untick, skip and assign: a checklist step's state.
func stepCommands(a *app) []*cobra.Command {
	return []*cobra.Command{
		newCmdStep(a, incident.Tick, "tick ID RUNBOOK STEP", "mark a checklist step done",
			`Tick marks STEP of the incident's checklist RUNBOOK done, by you, now.`),
		newCmdStep(a, incident.Untick, "untick ID RUNBOOK STEP", "mark a checklist step not done",
			`Untick marks STEP of the incident's checklist RUNBOOK not done again (a ticked or skipped step).`),
		newCmdStep(a, incident.Skip, "skip ID RUNBOOK STEP --reason TEXT", "skip a checklist step, saying why",
			`Skip marks STEP of the incident's checklist RUNBOOK skipped; --reason says why, on the timeline and in the retrospective.`),
		newCmdStep(a, incident.Assign, "assign ID RUNBOOK STEP PERSON", "give a checklist step to a person (- unassigns)",
			`Assign gives STEP of the incident's checklist RUNBOOK to PERSON (several words are joined); PERSON "-" unassigns it.`),
	}
}

// stepOptions are a step command's arguments and flag.
type stepOptions struct {
	Action                 incident.StepAction
	ID, Runbook, Step, Arg string // Arg: the person (assign) or the reason (skip)
}

func newCmdStep(a *app, action incident.StepAction, use, short, long string) *cobra.Command {
	opts := &stepOptions{Action: action}
	args := exactArgs(3)
	if action == incident.Assign {
		args = minArgs(4)
	}
	cmd := &cobra.Command{
		Use:               use,
		Short:             short,
		Long:              long + ` The checklist's runbook and step ids are those firebreak show ID lists.`,
		Example:           "  firebreak " + strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(use, "ID", "INC-7"), "RUNBOOK", "free-disk"), "STEP", "compress-rotated"), "TEXT", `"not needed: disk at 40%"`),
		Args:              args,
		ValidArgsFunction: positional(a, completeIncidents, completeChecklists, completeChecklistSteps),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID, opts.Runbook, opts.Step = args[0], args[1], args[2]
			if action == incident.Assign {
				opts.Arg = strings.Join(args[3:], " ")
			}
			return stepRun(cmd.Context(), a, opts)
		},
	}
	if action == incident.Skip {
		cmd.Flags().StringVar(&opts.Arg, "reason", "", "why the step is skipped (`TEXT`)")
	}
	return cmd
}

func stepRun(ctx context.Context, a *app, opts *stepOptions) error {
	svc, id, err := a.serviceFor(ctx, opts.ID)
	if err != nil {
		return err
	}
	return a.report(svc.MarkStep(ctx, id, opts.Runbook, opts.Step, opts.Action, opts.Arg))
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
