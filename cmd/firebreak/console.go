package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks"
	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/ui"
	"github.com/firebreak/firebreak/ui/deps"
)

// processStart is when the main package was initialised, after every other package's initialisation.
var processStart = time.Now()

// execStart is when the kernel started this process, from /proc (10 ms resolution), so the start-up time the
// console reports includes loading the binary and initialising its packages; else processStart.
func execStart() time.Time {
	stat, err1 := os.ReadFile("/proc/self/stat")
	up, err2 := os.ReadFile("/proc/uptime")
	if err1 != nil || err2 != nil {
		return processStart
	}
	// Field 22 (starttime, in clock ticks since boot) comes after the command name, which is in parentheses.
	rest := string(stat[bytes.LastIndexByte(stat, ')')+1:])
	fields := strings.Fields(rest)
	var uptime float64
	if len(fields) < 20 {
		return processStart
	}
	ticks, err := strconv.ParseFloat(fields[19], 64)
	if _, err2 := fmt.Sscanf(string(up), "%f", &uptime); err != nil || err2 != nil {
		return processStart
	}
	const clockTicks = 100 // USER_HZ, 100 on every Linux
	return time.Now().Add(-time.Duration((uptime - ticks/clockTicks) * float64(time.Second)))
}

// consoleTimingEnv names a file that the console writes its start-up time to (the time from process start to
// the first full frame), for measuring the SPEC's start-up target.
const consoleTimingEnv = "FIREBREAK_CONSOLE_TIMING"

// cmdConsole opens the console. While it runs, warnings meant for stderr (a notify hook that failed to
// start) are held and printed after the console closes: written to the terminal they would garble the
// screen.
func cmdConsole(ctx context.Context, a *app) error {
	debug.SetMemoryLimit(math.MaxInt64) // the console's memory is its screens and runs, not a file's load
	if a.showConsole == nil && (!isTerminal(a.stdin) || !isTerminal(a.stdout)) {
		// No terminal to draw on (a pipe, a script, cron): say so and show what the console would open on.
		fmt.Fprintln(a.stderr, "firebreak: the console needs a terminal; here are the open incidents (firebreak help lists the commands)")
		return listRun(ctx, a, &listOptions{})
	}
	// Runs started in the console live as long as it does: when it quits (or is told to stop), their
	// hosts in flight are cancelled and recorded before the process exits.
	runCtx, stopRuns := context.WithCancelCause(ctx)
	var runs sync.WaitGroup
	defer func() {
		stopRuns(errors.New("the console driving it quit"))
		waitRuns(&runs, 30*time.Second)
	}()
	d, err := a.consoleDeps(ctx)
	if err != nil {
		return err
	}
	d.RunContext = runCtx
	newEngine := d.NewEngine
	d.NewEngine = func(inc *incident.Incident, watch func(rollout.Update), ask func(context.Context, rollout.Pause) rollout.Choice) (*rollout.Engine, func(), error) {
		eng, done, err := newEngine(inc, watch, ask)
		if err != nil {
			return nil, nil, err
		}
		runs.Add(1)
		return eng, func() { done(); runs.Done() }, nil
	}
	held := &lockedBuffer{}
	saved := a.stderr
	a.stderr = held
	defer func() {
		a.stderr = saved
		held.mu.Lock()
		io.Copy(saved, &held.buf)
		held.mu.Unlock()
	}()
	opts := ui.Options{Started: processStart}
	if path := os.Getenv(consoleTimingEnv); path != "" && a.served == nil {
		opts.Started = execStart()
		inited, ready := processStart.Sub(opts.Started), time.Since(opts.Started)
		opts.FirstFrame = func(d time.Duration) {
			os.WriteFile(path, []byte(fmt.Sprintf("first frame %.1f ms after exec (packages initialised at %.1f ms, deps ready at %.1f ms; ±10 ms)\n",
				ms(d), ms(inited), ms(ready))), 0o644)
		}
	}
	if a.showConsole != nil {
		return a.showConsole(ctx, d, opts)
	}
	return ui.Run(ctx, d, opts)
}

// waitRuns waits for the runs to record how they ended, at most limit.
func waitRuns(runs *sync.WaitGroup, limit time.Duration) {
	done := make(chan struct{})
	go func() { runs.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// lockedBuffer is a buffer that notify goroutines may write to while the console runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// consoleDeps wires the console to the same services, library, inventories and engine the commands use.
func (a *app) consoleDeps(ctx context.Context) (deps.Deps, error) {
	svc, err := a.incidents(ctx)
	if err != nil {
		return deps.Deps{}, err
	}
	policy, err := a.policy()
	if err != nil {
		return deps.Deps{}, err
	}
	runbookDir := "runbooks"
	if len(a.cfg.RunbookDirs) > 0 {
		runbookDir = expandHome(a.cfg.RunbookDirs[0])
	}
	editor := firstNonEmpty(os.Getenv("VISUAL"), os.Getenv("EDITOR"), "vi")
	// A team's rules file that is not right must not keep the console from starting during an incident:
	// the retrospective screen says what is wrong and checks with the built-in rules meanwhile.
	rules, rulesErr := a.blamelessRules()
	return deps.Deps{
		Incidents: svc,
		DB:        svc.DB,
		Actor:     a.actor,
		Library:   func() (*runbooks.Library, error) { return a.library() },
		Inventory: func(names []string) (*inventory.Inventory, error) { return a.inventory(names) },
		ResolveRun: func(ctx context.Context, inc *incident.Incident, req rollout.Request) (rollout.Spec, error) {
			return a.resolver(ctx).Resolve(ctx, inc, req)
		},
		PreviewRun: func(pctx context.Context, spec rollout.Spec) (*rollout.Preview, error) {
			eng, done, err := a.engine(ctx, &incident.Incident{ID: spec.Incident}, false)
			if err != nil {
				return nil, err
			}
			defer done()
			return eng.Preview(pctx, spec)
		},
		NewEngine: func(inc *incident.Incident, watch func(rollout.Update), ask func(context.Context, rollout.Pause) rollout.Choice) (*rollout.Engine, func(), error) {
			eng, done, err := a.engine(ctx, inc, false)
			if err != nil {
				return nil, nil, err
			}
			eng.Watch, eng.Ask = watch, ask
			return eng, done, nil
		},
		Notify:        a.notifyEvent,
		Tracker:       a.pushOptions(),
		Secrets:       a.cfg.secrets(),
		Policy:        policy,
		RunbookDir:    filepath.Clean(runbookDir),
		Editor:        editor,
		RetroTemplate: a.cfg.Retro.Sections,
		RetroRules:    rules,
		RetroRulesErr: rulesErr,
		NoEditor:      a.noEditor(),
	}, nil
}
