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

func cmdRunbook(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 {
		return usageErrorf("usage: firebreak runbook list|show|lint|test ...")
	}
	switch args[0] {
	case "list":
		return cmdRunbookList(ctx, a, args[1:])
	case "show":
		return cmdRunbookShow(ctx, a, args[1:])
	case "lint":
		return cmdRunbookLint(ctx, a, args[1:])
	case "test":
		return cmdRunbookTest(ctx, a, args[1:])
	}
	return usageErrorf("unknown runbook command %q: use list, show, lint or test", args[0])
}

func cmdRunbookList(_ context.Context, a *app, args []string) error {
	fs := newFlags("runbook list")
	asJSON := fs.Bool("json", false, "JSON")
	if _, err := parseArgs(fs, args, 0, 0, "runbook list [--json]"); err != nil {
		return err
	}
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

func cmdRunbookShow(_ context.Context, a *app, args []string) error {
	fs := newFlags("runbook show")
	asJSON := fs.Bool("json", false, "JSON")
	pos, err := parseArgs(fs, args, 1, 1, "runbook show RUNBOOK [--json]")
	if err != nil {
		return err
	}
	rb, err := a.runbook(pos[0])
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

func cmdRunbookLint(ctx context.Context, a *app, args []string) error {
	fs := newFlags("runbook lint")
	asJSON := fs.Bool("json", false, "JSON")
	paths, err := parseArgs(fs, args, 0, -1, "runbook lint [PATH...] [--json]")
	if err != nil {
		return err
	}
	var report *lint.Report
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

func cmdAttach(ctx context.Context, a *app, args []string) error {
	pos, err := parseArgs(newFlags("attach"), args, 2, 2, "attach ID RUNBOOK")
	if err != nil {
		return err
	}
	svc, id, err := a.serviceFor(ctx, pos[0])
	if err != nil {
		return err
	}
	if _, err := svc.Get(ctx, id); err != nil {
		return err
	}
	rb, err := a.runbook(pos[1])
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

// stepCommand makes tick, untick, skip and assign.
func stepCommand(action incident.StepAction) func(context.Context, *app, []string) error {
	return func(ctx context.Context, a *app, args []string) error {
		fs := newFlags(string(action))
		reason := fs.String("reason", "", "why the step is skipped")
		usage, min := string(action)+" ID RUNBOOK STEP", 3
		switch action {
		case incident.Skip:
			usage += " --reason TEXT"
		case incident.Assign:
			usage, min = usage+" PERSON", 4
		}
		pos, err := parseArgs(fs, args, min, -1, usage)
		if err != nil {
			return err
		}
		if action != incident.Assign && len(pos) > 3 {
			return usageErrorf("usage: firebreak %s", usage)
		}
		arg := *reason
		if action == incident.Assign {
			arg = strings.Join(pos[3:], " ")
		}
		svc, id, err := a.serviceFor(ctx, pos[0])
		if err != nil {
			return err
		}
		return a.report(svc.MarkStep(ctx, id, pos[1], pos[2], action, arg))
	}
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
