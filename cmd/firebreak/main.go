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
	"math"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

func main() {
	boundLoading()
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
// Such a command holds per-host state for as many hosts as it runs, so it also lifts the loading bound.
func allowDrain(d time.Duration) {
	signalGrace.Store(int64(d))
	debug.SetMemoryLimit(math.MaxInt64)
}

// loadingMemory is the soft memory limit of a command that loads files and prints: the garbage collector
// works harder near it, so reading hostile input under the file limits stays well under 100 MB (tracker
// issue 11). Commands that read the record lift it when they open the database, and runs and the console
// with them: their memory grows with the record and the hosts, not with a file.
const loadingMemory = 48 << 20

func boundLoading() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(loadingMemory)
	}
}

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

// run is the whole program behind main, so tests can call it too.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runApp(ctx, &app{stdin: stdin, stdout: stdout, stderr: stderr}, args)
}

// runApp runs one command line with a (a served session's app comes with its identity and terminal).
func runApp(ctx context.Context, a *app, args []string) int {
	defer a.close()
	root := newRootCmd(a)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	norm, err := normalizeArgs(root, args)
	if err == nil && a.served != nil {
		err = a.refuseRemote(root, norm)
	}
	if err == nil {
		// Never nil: cobra reads os.Args for nil, which in firebreak serve are the server's own.
		root.SetArgs(append([]string{}, norm...))
		_, err = root.ExecuteContextC(ctx)
	}
	if err == nil {
		return 0
	}
	fmt.Fprintf(a.stderr, "firebreak: %s\n", oneLine(err))
	if !a.ran && !classified(err) {
		return 2 // cobra refused the command line before any command ran: a usage error
	}
	return exitCode(err)
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

// classified reports whether err carries one of the kinds exitCode knows.
func classified(err error) bool {
	return errors.Is(err, errFailed) || errors.Is(err, errUsage) || errors.Is(err, incident.ErrInvalid) ||
		errors.Is(err, incident.ErrRefused) || errors.Is(err, incident.ErrNotFound) || errors.Is(err, store.ErrUnusable) ||
		errors.Is(err, errConfig)
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
