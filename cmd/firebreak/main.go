// Command firebreak is the incident console: with no arguments it opens the console, with a command it does
// one thing and exits, for scripts and for people at another terminal. The command line is a contract (see
// the README): exit 0 success, 1 the operation ran and failed, 2 refused or invalid input; errors go to
// stderr as one line starting "firebreak: ".
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

func main() {
	ctx, stop := stopOnSignals(context.Background())
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// stopOnSignals cancels ctx on SIGINT, SIGTERM or SIGHUP (the terminal closed), naming the signal: a run
// driven by this process then cancels its hosts in flight and records them before the process exits. A
// second signal exits at once (the remote wrapper's dead-man's switch still kills what is left).
func stopOnSignals(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		sig, ok := <-sigs
		if !ok {
			return
		}
		cancel(fmt.Errorf("firebreak received %s", sigName(sig)))
		grace := time.Duration(signalGrace.Load())
		timer := time.NewTimer(grace)
		defer timer.Stop()
		select {
		case _, ok := <-sigs:
			if ok {
				os.Exit(130)
			}
		case <-timer.C:
			// Work that does not look at ctx (reading a large inventory, say) must not make a signal wait.
			fmt.Fprintf(os.Stderr, "firebreak: stopped by %s (the command had not finished %v later)\n", sigName(sig), grace)
			os.Exit(130)
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(sigs)
		cancel(nil)
	}
}

// signalGrace is how long (in nanoseconds) a command has after the first signal to return on its own
// before the process exits with 130: one second, unless the command drives a run (see allowDrain).
var signalGrace atomic.Int64

func init() { signalGrace.Store(int64(time.Second)) }

// allowDrain gives a command that cancels and records work in flight (a run) longer to stop after a signal.
func allowDrain(d time.Duration) { signalGrace.Store(int64(d)) }

func sigName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP (its terminal closed)"
	}
	return s.String()
}

// command is one subcommand of the contract.
type command struct {
	name    string
	usage   string
	summary string
	run     func(ctx context.Context, a *app, args []string) error
	hidden  bool
}

var commands []command

func init() {
	commands = []command{
		{name: "declare", usage: "declare TITLE [--sev N] [--drill]", summary: "declare an incident; prints its id", run: cmdDeclare},
		{name: "list", usage: "list [--all] [--json]", summary: "open incidents (--all: every incident)", run: cmdList},
		{name: "show", usage: "show ID [--json]", summary: "an incident's state: severity, status, roles, milestones", run: cmdShow},
		{name: "note", usage: "note ID TEXT", summary: "add a note to the timeline", run: cmdNote},
		{name: "status", usage: "status ID STATUS", summary: "move through investigating, identified, mitigating, monitoring, resolved, closed", run: cmdStatus},
		{name: "sev", usage: "sev ID N", summary: "set the severity (1 is the worst)", run: cmdSev},
		{name: "role", usage: "role ID ROLE PERSON", summary: "assign commander, communications, operations or scribe (PERSON - unassigns)", run: cmdRole},
		{name: "star", usage: "star ID SEQ [--off]", summary: "mark an event as a key moment for the retrospective", run: cmdStar},
		{name: "milestone", usage: "milestone ID NAME TIME [--reason TEXT]", summary: "set or correct impact_started, detected, acknowledged, mitigated, resolved", run: cmdMilestone},
		{name: "hide", usage: "hide ID SEQ --reason TEXT", summary: "mark an event hidden (it stays in the chain)", run: cmdHide},
		{name: "timeline", usage: "timeline ID [--json] [--follow]", summary: "the incident's events (--json: JSON Lines)", run: cmdTimeline},
		{name: "runbook", usage: "runbook list|show RUNBOOK|lint [PATH...]|test RUNBOOK", summary: "the runbook library; lint is the CI gate", run: cmdRunbook},
		{name: "attach", usage: "attach ID RUNBOOK", summary: "attach a runbook as the incident's checklist", run: cmdAttach},
		{name: "tick", usage: "tick ID RUNBOOK STEP", summary: "mark a checklist step done", run: stepCommand(incident.Tick)},
		{name: "untick", usage: "untick ID RUNBOOK STEP", summary: "mark a checklist step not done", run: stepCommand(incident.Untick)},
		{name: "skip", usage: "skip ID RUNBOOK STEP --reason TEXT", summary: "skip a checklist step, saying why", run: stepCommand(incident.Skip)},
		{name: "assign", usage: "assign ID RUNBOOK STEP PERSON", summary: "give a checklist step to a person (- unassigns)", run: stepCommand(incident.Assign)},
		{name: "hosts", usage: "hosts [PATTERN] [-i INVENTORY]...", summary: "matching host names, one per line, inventory order", run: cmdHosts},
		{name: "run", usage: "run ID (--runbook R --step S | --command CMD) --hosts PATTERN [--dry-run] ...", summary: "run a script on hosts, stage by stage (firebreak help run)", run: cmdRun},
		{name: "runs", usage: "runs [ID|RUN]", summary: "runs of an incident, or one run's hosts", run: cmdRuns},
		{name: "log", usage: "log RUN HOST", summary: "a host's full output from a run (control sequences neutralised)", run: cmdLog},
		{name: "approve", usage: "approve RUN", summary: "approve the wide stages of someone else's run", run: cmdApprove},
		{name: "halt", usage: "halt [--reason TEXT]", summary: "the off-switch: stop every run everywhere now", run: cmdHalt},
		{name: "resume", usage: "resume [--reason TEXT]", summary: "allow runs again after a halt", run: cmdResume},
		{name: "retro", usage: "retro show|set|check|state|action ID ...", summary: "the blameless retrospective (firebreak help retro)", run: cmdRetro},
		{name: "export", usage: "export ID [--format md|json] [-o FILE]", summary: "the retrospective as Markdown or JSON", run: cmdExport},
		{name: "audit", usage: "audit verify [ID] [--against FILE] | audit head [ID] [--json]", summary: "prove no event was changed or removed; print the chain heads to keep elsewhere", run: cmdAudit},
		{name: "backup", usage: "backup FILE", summary: "a consistent copy of the database, safe while others write", run: cmdBackup},
		{name: "restore", usage: "restore FILE", summary: "replace the database with a verified backup (refused while in use)", run: cmdRestore},
		{name: "help", usage: "help", summary: "this help", run: cmdHelp},
		{name: "__notify", hidden: true, run: cmdNotifyRunner},
	}
}

// run is the whole program behind main, so tests can call it too.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a, rest, err := newApp(args, stdin, stdout, stderr)
	if err == nil {
		defer a.close()
		err = dispatch(ctx, a, rest)
	}
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "firebreak: %s\n", oneLine(err))
	return exitCode(err)
}

func dispatch(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 {
		return cmdConsole(ctx, a, args)
	}
	name := args[0]
	if name == "-h" || name == "--help" {
		name = "help"
	}
	for _, c := range commands {
		if c.name == name {
			return c.run(ctx, a, args[1:])
		}
	}
	return usageErrorf("unknown command %q: firebreak help lists the commands", name)
}

func cmdHelp(_ context.Context, a *app, _ []string) error {
	w := a.stdout
	fmt.Fprintln(w, "firebreak: the incident console. With no command it opens the console.")
	fmt.Fprintln(w, "\nUsage: firebreak [--db PATH] [--as NAME] [--config PATH] COMMAND [ARGS]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		if !c.hidden {
			fmt.Fprintf(w, "  %-42s %s\n", c.usage, c.summary)
		}
	}
	fmt.Fprintln(w, "\nGlobal flags: --db PATH (env FIREBREAK_DB), --as NAME (env FIREBREAK_USER), --config PATH.")
	fmt.Fprintln(w, "Exit codes: 0 success, 1 the operation ran and failed, 2 refused or invalid input.")
	return nil
}

// errUsage marks a malformed command line.
var errUsage = errors.New("usage")

// errFailed marks an operation that ran and failed (exit 1), as opposed to one refused (exit 2).
var errFailed = errors.New("failed")

func usageErrorf(format string, args ...any) error {
	return store.Errorf(errUsage, "%s", fmt.Sprintf(format, args...))
}

func failedf(format string, args ...any) error {
	return store.Errorf(errFailed, "%s", fmt.Sprintf(format, args...))
}

func exitCode(err error) int {
	switch {
	case errors.Is(err, errFailed):
		return 1
	case errors.Is(err, errUsage), errors.Is(err, incident.ErrInvalid), errors.Is(err, incident.ErrRefused),
		errors.Is(err, incident.ErrNotFound), errors.Is(err, store.ErrUnusable), errors.Is(err, errConfig):
		return 2
	}
	return 1
}

// oneLine renders err as the single line the contract promises. Errors carry their kind (for the exit
// code) apart from their message, so the message is shown as it is; only further lines are summarised.
// A message can quote data (a host name, a title), so it passes the same sanitiser as any other text.
func oneLine(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i] + fmt.Sprintf(" (and %d more lines)", strings.Count(msg, "\n"))
	}
	return clean(msg)
}
