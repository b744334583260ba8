// Package deps is what the console needs from the rest of firebreak, wired by cmd/firebreak: the incident
// service, the database's change feed, the runbook library, inventories, and the rollout engine. The console
// adds no second way of doing what these do; it drives them.
package deps

import (
	"context"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/retro"
	"github.com/firebreak/firebreak/runbooks"
	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
)

// Deps is everything the console drives.
type Deps struct {
	// Incidents changes and reads incidents as the console's user (notify hooks already wired).
	Incidents *incident.Service
	// DB is the database: Watch is the change feed (other consoles' and commands' writes), Runs/RunHosts
	// read runs, Switch reads the off-switch.
	DB store.Store
	// Actor is who is at this console.
	Actor incident.Actor
	// Library loads the runbook library (built-in plus the configured directories).
	Library func() (*runbooks.Library, error)
	// Inventory loads inventories by path or configured name (none: the configured default, else localhost).
	Inventory func(names []string) (*inventory.Inventory, error)
	// ResolveRun turns what the operator chose into a run spec: the run service's resolver, the same one
	// `firebreak run` uses with the same flags (step defaults, config defaults, host pattern, validation).
	ResolveRun func(ctx context.Context, inc *incident.Incident, req rollout.Request) (rollout.Spec, error)
	// PreviewRun is the engine's preview of a spec: every guard's decision, made by the rules the engine
	// applies again when the run starts.
	PreviewRun func(ctx context.Context, spec rollout.Spec) (*rollout.Preview, error)
	// RunContext is the context the console's runs run under: cancelled when the console quits (or its
	// process is told to stop), so the hosts in flight are cancelled and recorded, never left behind.
	RunContext context.Context
	// NewEngine builds a rollout engine for an incident whose progress goes to watch and whose pauses ask
	// ask. Call the returned func when the run is over.
	NewEngine func(inc *incident.Incident, watch func(rollout.Update), ask func(context.Context, rollout.Pause) rollout.Choice) (*rollout.Engine, func(), error)
	// Notify passes an event to the notify hooks (for halt, resume and approve done from the console).
	Notify func(store.Event)
	// Policy is the configured guard policy (working hours, two-person severities), for the plan preview.
	Policy rollout.Policy
	// RunbookDir is where an ad-hoc script is saved as a runbook (the first configured runbook directory,
	// else ./runbooks).
	RunbookDir string
	// Editor is the command that edits a file: $VISUAL, else $EDITOR, else vi.
	Editor string
	// NoEditor, when set, is why no editor may be opened (a console served over SSH: the editor would run
	// on the server, as its account, outside the record); the console shows it instead.
	NoEditor string
	// RetroTemplate is the configured retrospective template (nil: the default sections).
	RetroTemplate retro.Template
	// Tracker is the configured tracker with its environment, for pushing action items (retro.Service.Push,
	// as `firebreak retro action push` does); Item and Retry are set per push.
	Tracker retro.PushOptions
	// RetroRules are the blameless check's rules: the built-in ones with the team's file (nil: built-in).
	RetroRules *retro.Rules
	// RetroRulesErr is what is wrong with the team's rules file, shown on the retrospective screen (the
	// built-in rules check meanwhile).
	RetroRulesErr error
	// Secrets are the configured secret variable names (with the name rule): an attached runbook is stored
	// with their values masked.
	Secrets output.Secrets
}
