package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/retro"
	"github.com/firebreak/firebreak/runbooks/filelimit"
	"github.com/firebreak/firebreak/runbooks/tomlcheck"
	"github.com/firebreak/firebreak/store"
	"github.com/spf13/cobra"
)

// retros is the retrospective service with the configured template and blameless rules.
func (a *app) retros(ctx context.Context) (*retro.Service, error) {
	rules, err := a.blamelessRules()
	if err != nil {
		return nil, err
	}
	svc, err := a.incidents(ctx)
	if err != nil {
		return nil, err
	}
	return &retro.Service{Incidents: svc, Template: a.cfg.Retro.Sections, Rules: rules}, nil
}

// blamelessRules are the blameless check's built-in rules extended by the team's file ([retro]
// blameless_rules, relative to the config file's directory), or the built-in ones alone. A file that is
// not right is an error at FILE:LINE:COL (exit 2).
func (a *app) blamelessRules() (*retro.Rules, error) {
	path := a.cfg.Retro.BlamelessRules
	if path == "" {
		return retro.DefaultRules(), nil
	}
	path = expandHome(path)
	if !filepath.IsAbs(path) && a.cfg.file != "" {
		path = filepath.Join(filepath.Dir(a.cfg.file), path)
	}
	data, err := filelimit.ReadMax(path, filelimit.DefaultMaxSize)
	if err != nil {
		return nil, store.Errorf(errConfig, "retro.blameless_rules: %v", err)
	}
	return parseBlamelessRules(path, data)
}

// parseBlamelessRules decodes a team's rules file strictly and compiles it over the built-in rules, each
// problem at its line and column.
func parseBlamelessRules(path string, data []byte) (*retro.Rules, error) {
	var f retro.RuleFile
	if ps, _ := tomlcheck.DecodeAll(path, data, &f); len(ps) > 0 {
		return nil, oneProblem(path, ps)
	}
	rules, errs := retro.Compile(retro.DefaultRules(), f)
	if len(errs) == 0 {
		return rules, nil
	}
	var ps tomlcheck.Problems
	for _, e := range errs {
		var line, col int
		var ok bool
		if e.Field == "disable" {
			line, col, ok = tomlcheck.KeyPos(data, "disable", e.Index)
		} else if line, col, ok = tomlcheck.KeyPos(data, "rule", e.Index, e.Field); !ok {
			line, col, _ = tomlcheck.KeyPos(data, "rule", e.Index) // a missing key: the rule's [[rule]]
		}
		msg := e.Msg
		if e.Field != "disable" {
			msg = fmt.Sprintf("rule.%s: %s", e.Field, e.Msg)
		} else {
			msg = "disable: " + msg
		}
		ps = append(ps, tomlcheck.Problem{File: path, Line: line, Col: col, Msg: msg})
	}
	return nil, oneProblem(path, ps)
}

// oneProblem is a config error of one line: the first problem, and how many more (each shows when the one
// before it is fixed).
func oneProblem(path string, ps tomlcheck.Problems) error {
	first := strings.ReplaceAll(ps[0].Error(), "\n", `\n`) // the decoder quotes the file, line breaks too
	if n := len(ps) - 1; n > 0 {
		if ps[n].More > 0 {
			n += ps[n].More - 1
		}
		return store.Errorf(errConfig, "%s (and %d more problems in %s)", first, n, path)
	}
	return store.Errorf(errConfig, "%s", first)
}

func newCmdRetro(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "retro show|set|check|state|action ID ...",
		Short: "the blameless retrospective (firebreak help retro)",
		Long: `Retro works with an incident's blameless retrospective: sections drafted from the timeline and edited
by people (two people saving one section never overwrite each other), action items, metrics from the
milestones, and a check for blaming language that must pass before it is published.`,
		Example: "  firebreak retro show INC-7\n  firebreak retro set INC-7 summary - < summary.md\n  firebreak retro check INC-7",
		Args:    cobra.ArbitraryArgs,
		RunE:    groupRunE("show, set, check, state or action"),
	}
	cmd.AddCommand(newCmdRetroShow(a), newCmdRetroSet(a), newCmdRetroCheck(a), newCmdRetroState(a), newCmdRetroAction(a))
	return cmd
}

func (a *app) loadRetro(ctx context.Context, ref string) (*retro.Service, *retro.Retro, error) {
	id, err := incident.ParseRef(ref)
	if err != nil {
		return nil, nil, err
	}
	rs, err := a.retros(ctx)
	if err != nil {
		return nil, nil, err
	}
	r, err := rs.Load(ctx, id)
	return rs, r, err
}

func newCmdRetroShow(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID [--json]",
		Short: "the retrospective: sections, action items, metrics",
		Long: `Show prints the incident's retrospective: each section with its slug and version (or its prompt when
empty, or a conflict to merge), the action items, suggested items, and the metrics (time to detect,
acknowledge, mitigate, resolve; hosts, runs, steps). With --json it prints the same JSON as
firebreak export ID --format json.`,
		Example:           "  firebreak retro show INC-7",
		Args:              exactArgs(1),
		ValidArgsFunction: positional(a, completeIncidents),
		RunE: func(cmd *cobra.Command, args []string) error {
			return retroShowRun(cmd.Context(), a, args[0], asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the retrospective as a JSON object")
	return cmd
}

func retroShowRun(ctx context.Context, a *app, ref string, json bool) error {
	asJSON := &json
	_, r, err := a.loadRetro(ctx, ref)
	if err != nil {
		return err
	}
	if *asJSON {
		return r.JSON(a.stdout)
	}
	fmt.Fprintf(a.stdout, "Retrospective of %s: %s (%s)\n", r.Ref, clean(r.Title), r.State)
	if r.Locked() != nil {
		fmt.Fprintf(a.stdout, "The text is locked: firebreak retro state %s review reopens it for edits.\n", r.Ref)
	}
	for _, s := range r.Sections {
		origin := "prefilled draft"
		if s.Version > 0 {
			origin = fmt.Sprintf("version %d by %s", s.Version, clean(s.Author))
		}
		if s.Conflict {
			origin += ", CONFLICT: merge the two texts"
		}
		fmt.Fprintf(a.stdout, "\n== %s [%s] (%s)\n", clean(s.Title), clean(s.Slug), origin)
		if strings.TrimSpace(s.Text) == "" {
			fmt.Fprintf(a.stdout, "   (not written: %s)\n", clean(s.Prompt))
			continue
		}
		fmt.Fprintln(a.stdout, strings.Join(cleanLines(s.Text), "\n"))
	}
	fmt.Fprintln(a.stdout, "\n== Action items")
	for _, it := range r.Actions {
		mark := " "
		if it.Done {
			mark = "x"
		}
		fmt.Fprintf(a.stdout, "  %d. [%s] %s (owner %s, ticket %s, due %s, %s)\n", it.Item, mark, clean(it.Text), orDash(clean(it.Owner)), orDash(clean(it.Ticket)), orDash(clean(it.Due)), orDash(clean(it.Kind)))
	}
	for _, it := range r.Suggested {
		fmt.Fprintf(a.stdout, "  suggested: %s\n", clean(it.Text))
	}
	m := r.Metrics
	fmt.Fprintf(a.stdout, "\n== Metrics\n  detect %s, acknowledge %s, mitigate %s, resolve %s; %d hosts touched, %d runs (%d dry), %d steps done, %d skipped\n",
		m.TimeToDetect, m.TimeToAcknowledge, m.TimeToMitigate, m.TimeToResolve, m.HostsTouched, m.Runs, m.DryRuns, m.StepsDone, m.StepsSkipped)
	return nil
}

type retroSetOptions struct {
	ID, Section string
	Text        []string // the words of the text, or "-" for stdin
	Base        int
}

func newCmdRetroSet(a *app) *cobra.Command {
	opts := &retroSetOptions{}
	cmd := &cobra.Command{
		Use:   "set ID SECTION (TEXT | -)",
		Short: "replace a section's text (- reads stdin)",
		Long: `Set replaces the text of the retrospective's SECTION (its slug, as retro show lists) with TEXT, or with
stdin when TEXT is "-" (at most 1 MiB). The text is free, so words starting with dashes are text. If
someone saved the section since the version you edited (--base), both texts are kept for a person to
merge. The blameless check's findings for the new text are printed on stderr. A published retrospective
is locked: move it back to review first (firebreak retro state ID review).`,
		Example:           "  firebreak retro set INC-7 summary 'A full disk on web3 stopped checkout for 14 minutes.'\n  firebreak retro set INC-7 timeline - < timeline.md",
		Args:              minArgs(3),
		Annotations:       map[string]string{annFreeText: "true"},
		ValidArgsFunction: positional(a, completeIncidents, completeSections),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID, opts.Section, opts.Text = args[0], args[1], args[2:]
			return retroSetRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().IntVar(&opts.Base, "base", -1, "the `VERSION` the text was edited from (default: the newest)")
	return cmd
}

func retroSetRun(ctx context.Context, a *app, opts *retroSetOptions) error {
	pos, base := append([]string{opts.ID, opts.Section}, opts.Text...), &opts.Base
	text := strings.Join(pos[2:], " ")
	if text == "-" {
		b, err := io.ReadAll(io.LimitReader(a.stdin, 1<<20+1))
		if err != nil {
			return err
		}
		if len(b) > 1<<20 {
			return store.Errorf(incident.ErrInvalid, "the section text is larger than 1 MiB")
		}
		text = string(b)
	}
	rs, r, err := a.loadRetro(ctx, pos[0])
	if err != nil {
		return err
	}
	sec, ok := r.Section(pos[1])
	if !ok {
		var slugs []string
		for _, s := range r.Sections {
			slugs = append(slugs, s.Slug)
		}
		return store.Errorf(incident.ErrInvalid, "no retrospective section %q: sections are %s", pos[1], strings.Join(slugs, ", "))
	}
	b := sec.Version
	if *base >= 0 {
		b = *base
	}
	res, err := rs.Save(ctx, r.Incident.ID, pos[1], b, text)
	if err != nil {
		return err
	}
	if res.Conflict {
		fmt.Fprintf(a.stdout, "%s %s: saved as version %d, but %s saved it first: both texts are kept in it for a person to merge (firebreak retro show %s)\n",
			r.Ref, pos[1], res.Version, clean(res.Other), r.Ref)
		return nil
	}
	fmt.Fprintf(a.stdout, "%s %s: saved as version %d\n", r.Ref, pos[1], res.Version)
	for _, f := range r.CheckText(pos[1], text) {
		fmt.Fprintf(a.stderr, "blameless check: %s\n", clean(fmt.Sprint(f)))
	}
	return nil
}

func newCmdRetroCheck(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check ID [--json]",
		Short: "blameless findings; exit 1 when there are any",
		Long: `Check looks for blaming language in the retrospective ("bob's fault", "alice forgot", "should have",
"careless", ...) and prints each finding with its section, line, column and a suggestion. With --json it
prints a JSON array of findings (each with the id of its rule). Exit 1 when there are any: publishing
needs none (or --force). The rules are built in (incident/retro/blameless.toml); a team extends, replaces
or disables them with its own file, named by [retro] blameless_rules in the config.`,
		Example:           "  firebreak retro check INC-7",
		Args:              exactArgs(1),
		ValidArgsFunction: positional(a, completeIncidents),
		RunE: func(cmd *cobra.Command, args []string) error {
			return retroCheckRun(cmd.Context(), a, args[0], asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the findings as a JSON array")
	return cmd
}

func retroCheckRun(ctx context.Context, a *app, ref string, json bool) error {
	asJSON := &json
	_, r, err := a.loadRetro(ctx, ref)
	if err != nil {
		return err
	}
	findings := r.Check()
	if *asJSON {
		if findings == nil {
			findings = []retro.Finding{}
		}
		if err := writeJSON(a, findings); err != nil {
			return err
		}
	} else {
		for _, f := range findings {
			fmt.Fprintln(a.stdout, clean(f.String()))
		}
	}
	if len(findings) > 0 {
		return failedf("%d blameless findings in the retrospective of %s", len(findings), r.Ref)
	}
	fmt.Fprintf(a.stderr, "%s: no blameless findings\n", r.Ref)
	return nil
}

func newCmdRetroState(a *app) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "state ID draft|review|published [--force]",
		Short: "move the retrospective to draft, review or published",
		Long: `State moves the retrospective to draft, review or published. Publishing runs the blameless check
and is refused while it has findings, unless --force. Publishing locks the text: retro set (and the
console's editor) is refused until the retrospective is moved back to review, which is recorded on the
timeline. Action items stay open to ticking and tracking after publication.`,
		Example:           "  firebreak retro state INC-7 review",
		Args:              exactArgs(2),
		ValidArgsFunction: positional(a, completeIncidents, fixed("draft", "review", "published")),
		RunE: func(cmd *cobra.Command, args []string) error {
			return retroStateRun(cmd.Context(), a, args, force)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "publish despite blameless findings")
	return cmd
}

func retroStateRun(ctx context.Context, a *app, pos []string, forced bool) error {
	force := &forced
	id, err := incident.ParseRef(pos[0])
	if err != nil {
		return err
	}
	rs, err := a.retros(ctx)
	if err != nil {
		return err
	}
	if err := rs.SetState(ctx, id, strings.ToLower(pos[1]), *force); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: retrospective is %s\n", incident.Ref(id), strings.ToLower(pos[1]))
	return nil
}

type retroActionOptions struct {
	Args                     []string // ID, then add TEXT... | done N | undone N | rm N
	Owner, Ticket, Due, Kind string
}

func newCmdRetroAction(a *app) *cobra.Command {
	opts := &retroActionOptions{}
	cmd := &cobra.Command{
		Use:   "action ID add TEXT [--owner P] [--ticket T] [--due YYYY-MM-DD] [--kind K] | done N | undone N | rm N",
		Short: "add, complete, reopen or remove an action item",
		Long: `Action manages the retrospective's action items: add TEXT adds one (with its owner, ticket, due date
and kind: prevent, detect, mitigate or process), done N and undone N mark item N, rm N removes it. The
items are numbered as retro show lists them.`,
		Example:           "  firebreak retro action INC-7 add 'alert on disk > 90%' --owner bob --kind detect --due 2025-04-01\n  firebreak retro action INC-7 done 1",
		Args:              minArgs(2),
		Annotations:       map[string]string{annFreeText: "true"},
		ValidArgsFunction: positional(a, completeIncidents, fixed("add", "done", "undone", "rm")),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Args = args
			return retroActionRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Owner, "owner", "", "who owns the item (`PERSON`)")
	cmd.Flags().StringVar(&opts.Ticket, "ticket", "", "the item's `TICKET` reference")
	cmd.Flags().StringVar(&opts.Due, "due", "", "due date, `YYYY-MM-DD`")
	cmd.Flags().StringVar(&opts.Kind, "kind", "", "`KIND`: prevent, detect, mitigate or process")
	cmd.RegisterFlagCompletionFunc("kind", fixedCompletion("prevent", "detect", "mitigate", "process"))
	cmd.AddCommand(newCmdRetroActionPush(a))
	return cmd
}

func retroActionRun(ctx context.Context, a *app, opts *retroActionOptions) error {
	pos, owner, ticket, due, kind := opts.Args, &opts.Owner, &opts.Ticket, &opts.Due, &opts.Kind
	usage := "retro action ID add TEXT [--owner P] [--ticket T] [--due YYYY-MM-DD] [--kind K] | done N | undone N | rm N"
	id, err := incident.ParseRef(pos[0])
	if err != nil {
		return err
	}
	rs, err := a.retros(ctx)
	if err != nil {
		return err
	}
	act := retro.Action{Owner: *owner, Ticket: *ticket, Due: *due, Kind: *kind}
	switch pos[1] {
	case "add":
		act.Text = strings.Join(pos[2:], " ")
		n, err := rs.SaveAction(ctx, id, act, false)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s: action item %d added\n", incident.Ref(id), n)
		return nil
	case "done", "undone", "rm":
		if len(pos) != 3 {
			return usageErrorf("usage: firebreak %s", usage)
		}
		var n int
		if _, err := fmt.Sscan(pos[2], &n); err != nil || n < 1 {
			return store.Errorf(incident.ErrInvalid, "%q is not an action item number", pos[2])
		}
		r, err := rs.Load(ctx, id)
		if err != nil {
			return err
		}
		for _, it := range r.Actions {
			if it.Item == n {
				it.Done = pos[1] == "done"
				if _, err := rs.SaveAction(ctx, id, it, pos[1] == "rm"); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s: action item %d %s\n", incident.Ref(id), n, map[string]string{"done": "done", "undone": "not done", "rm": "removed"}[pos[1]])
				return nil
			}
		}
		return store.Errorf(incident.ErrNotFound, "no action item %d in %s", n, incident.Ref(id))
	}
	return usageErrorf("usage: firebreak %s", usage)
}

type exportOptions struct {
	ID, Format, Output string
}

func newCmdExport(a *app) *cobra.Command {
	opts := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export ID [--format md|json] [-o FILE]",
		Short: "the retrospective as Markdown or JSON",
		Long: `Export writes the incident's retrospective as Markdown (the default) or JSON: sections, action items,
metrics and the key moments of the timeline. With -o it writes FILE (atomically, mode 0600) instead of
stdout. Export keeps --format for the JSON document rather than --json: the format is a choice of document.`,
		Example:           "  firebreak export INC-7 -o INC-7.md\n  firebreak export INC-7 --format json | jq .metrics",
		Args:              exactArgs(1),
		ValidArgsFunction: positional(a, completeIncidents),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			return exportRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "md", "`FORMAT` of the document: md or json")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write to `FILE` instead of stdout")
	cmd.RegisterFlagCompletionFunc("format", fixedCompletion("md", "json"))
	return cmd
}

func exportRun(ctx context.Context, a *app, opts *exportOptions) error {
	pos, format, out := []string{opts.ID}, &opts.Format, &opts.Output
	var err error
	if *format != "md" && *format != "json" {
		return usageErrorf("--format %q: use md or json", *format)
	}
	_, r, err := a.loadRetro(ctx, pos[0])
	if err != nil {
		return err
	}
	w := a.stdout
	var f *os.File
	if *out != "" {
		tmp := *out + ".tmp"
		f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return store.Errorf(incident.ErrInvalid, "cannot write %s: %v", *out, err)
		}
		defer os.Remove(tmp)
		w = f
	}
	if *format == "json" {
		err = r.JSON(w)
	} else {
		err = r.Markdown(w)
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(f.Name(), *out)
		}
		if err == nil {
			abs, _ := filepath.Abs(*out)
			fmt.Fprintf(a.stderr, "%s: exported to %s\n", r.Ref, abs)
		}
	}
	return err
}
