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
	"github.com/firebreak/firebreak/store"
)

// retros is the retrospective service with the configured template.
func (a *app) retros(ctx context.Context) (*retro.Service, error) {
	svc, err := a.incidents(ctx)
	if err != nil {
		return nil, err
	}
	return &retro.Service{Incidents: svc, Template: a.cfg.Retro.Sections}, nil
}

func cmdRetro(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 {
		return usageErrorf("usage: firebreak retro show|set|check|state|action ID ...")
	}
	switch args[0] {
	case "show":
		return cmdRetroShow(ctx, a, args[1:])
	case "set":
		return cmdRetroSet(ctx, a, args[1:])
	case "check":
		return cmdRetroCheck(ctx, a, args[1:])
	case "state":
		return cmdRetroState(ctx, a, args[1:])
	case "action":
		return cmdRetroAction(ctx, a, args[1:])
	}
	return usageErrorf("unknown retro command %q: use show, set, check, state or action", args[0])
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

func cmdRetroShow(ctx context.Context, a *app, args []string) error {
	fs := newFlags("retro show")
	asJSON := fs.Bool("json", false, "JSON")
	pos, err := parseArgs(fs, args, 1, 1, "retro show ID [--json]")
	if err != nil {
		return err
	}
	_, r, err := a.loadRetro(ctx, pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return r.JSON(a.stdout)
	}
	fmt.Fprintf(a.stdout, "Retrospective of %s: %s (%s)\n", r.Ref, clean(r.Title), r.State)
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
			fmt.Fprintf(a.stdout, "   (%s)\n", clean(s.Prompt))
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

func cmdRetroSet(ctx context.Context, a *app, args []string) error {
	fs := newFlags("retro set")
	base := fs.Int("base", -1, "the version the text was edited from (default: the newest)")
	pos, err := parseArgs(fs, args, 3, -1, "retro set ID SECTION (TEXT | -)")
	if err != nil {
		return err
	}
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
	for _, f := range retro.Check(pos[1], text, nil) {
		fmt.Fprintf(a.stderr, "blameless check: %s\n", clean(fmt.Sprint(f)))
	}
	return nil
}

func cmdRetroCheck(ctx context.Context, a *app, args []string) error {
	fs := newFlags("retro check")
	asJSON := fs.Bool("json", false, "JSON")
	pos, err := parseArgs(fs, args, 1, 1, "retro check ID [--json]")
	if err != nil {
		return err
	}
	_, r, err := a.loadRetro(ctx, pos[0])
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

func cmdRetroState(ctx context.Context, a *app, args []string) error {
	fs := newFlags("retro state")
	force := fs.Bool("force", false, "publish despite blameless findings")
	pos, err := parseArgs(fs, args, 2, 2, "retro state ID draft|review|published [--force]")
	if err != nil {
		return err
	}
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

func cmdRetroAction(ctx context.Context, a *app, args []string) error {
	fs := newFlags("retro action")
	owner := fs.String("owner", "", "who")
	ticket := fs.String("ticket", "", "ticket reference")
	due := fs.String("due", "", "YYYY-MM-DD")
	kind := fs.String("kind", "", "prevent, detect, mitigate or process")
	usage := "retro action ID add TEXT [--owner P] [--ticket T] [--due YYYY-MM-DD] [--kind K] | done N | undone N | rm N"
	pos, err := parseArgs(fs, args, 2, -1, usage)
	if err != nil {
		return err
	}
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

func cmdExport(ctx context.Context, a *app, args []string) error {
	fs := newFlags("export")
	format := fs.String("format", "md", "md or json")
	out := fs.String("o", "", "write to FILE instead of stdout")
	pos, err := parseArgs(fs, args, 1, 1, "export ID [--format md|json] [-o FILE]")
	if err != nil {
		return err
	}
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
