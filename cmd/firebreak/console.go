package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks"
	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/ui/deps"
)

// cmdConsole opens the console. Until the console lands it lists the open incidents.
func cmdConsole(ctx context.Context, a *app, _ []string) error {
	if _, err := a.consoleDeps(ctx); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "firebreak: the console is not built yet; the commands work today (firebreak help).")
	return cmdList(ctx, a, nil)
}

// consoleDeps wires the console to the same services, library, inventories and engine the commands use.
func (a *app) consoleDeps(ctx context.Context) (deps.Deps, error) {
	svc, err := a.incidents(ctx)
	if err != nil {
		return deps.Deps{}, err
	}
	h := a.cfg.Hours
	hours, err := rollout.NewHours(h.TimeZone, h.Days, h.Start, h.End, h.Holidays)
	if err != nil {
		return deps.Deps{}, store.Errorf(errConfig, "%v", err)
	}
	runbookDir := "runbooks"
	if len(a.cfg.RunbookDirs) > 0 {
		runbookDir = expandHome(a.cfg.RunbookDirs[0])
	}
	editor := firstNonEmpty(os.Getenv("VISUAL"), os.Getenv("EDITOR"), "vi")
	return deps.Deps{
		Incidents: svc,
		DB:        svc.DB,
		Actor:     a.actor,
		Library:   func() (*runbooks.Library, error) { return a.library() },
		Inventory: func(names []string) (*inventory.Inventory, error) { return a.inventory(names) },
		ResolveRun: func(inc *incident.Incident, req deps.RunRequest) (rollout.Spec, error) {
			f := runFlags{runbook: req.Runbook, step: req.Step, command: req.Command, hosts: req.Hosts, invs: req.Inventories,
				dry: req.DryRun, stages: req.Stages, maxFail: req.MaxFail, timeout: req.Timeout, concurrency: req.Concurrency,
				vars: varsFlag(req.Vars), yes: req.AutoContinue, breakGlass: req.Overrides.BreakGlass, noCanary: req.Overrides.NoCanary,
				shellcheckOverride: req.Overrides.ShellCheck, outOfHours: req.Overrides.OutOfHours}
			if f.vars == nil {
				f.vars = varsFlag{}
			}
			return a.runSpec(inc, &f)
		},
		NewEngine: func(inc *incident.Incident, watch func(rollout.Update), ask func(context.Context, rollout.Pause) rollout.Choice) (*rollout.Engine, func(), error) {
			eng, done, err := a.engine(ctx, inc, false)
			if err != nil {
				return nil, nil, err
			}
			eng.Watch, eng.Ask = watch, ask
			return eng, done, nil
		},
		Notify:     a.notifyEvent,
		Policy:     rollout.Policy{TwoPerson: a.cfg.Approval.TwoPerson, Hours: hours},
		RunbookDir: filepath.Clean(runbookDir),
		Editor:     editor,
	}, nil
}
