package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"

	"github.com/firebreak/firebreak/runbooks/output"
)

// KillGrace is how long a cancelled command gets between SIGTERM and SIGKILL.
const KillGrace = time.Second

// Local runs commands on this machine with bash, each in its own process group so that a cancel or
// timeout kills the command and everything it started.
type Local struct{}

// NewLocal returns the local transport.
func NewLocal() *Local { return &Local{} }

// Close does nothing: Local holds no resources.
func (*Local) Close() error { return nil }

// Run runs cmd with bash in a new process group.
func (*Local) Run(ctx context.Context, cmd Command, out output.Sink) (Result, error) {
	prog, err := program(cmd)
	if err != nil {
		return Result{ExitCode: -1}, err
	}
	if out == nil {
		out = output.Discard
	}
	runCtx, cancel := withTimeout(ctx, cmd.Timeout)
	defer cancel()
	c := exec.Command("bash", "--norc", "-c", innerScript(len(prog)), "firebreak")
	c.Stdin = bytes.NewReader(prog)
	c.Stdout = out.Writer(output.Stdout)
	c.Stderr = out.Writer(output.Stderr)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Output pipes may be held open by a grandchild that escaped the group; do not wait forever for them.
	c.WaitDelay = KillGrace + 2*time.Second
	start := time.Now()
	if err := c.Start(); err != nil {
		return Result{ExitCode: -1}, fmt.Errorf("starting bash: %w (is bash installed?)", err)
	}
	pgid := c.Process.Pid
	done := make(chan struct{})
	killed := make(chan struct{})
	go func() {
		select {
		case <-done:
			close(killed)
			return
		case <-runCtx.Done():
		}
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(KillGrace):
		}
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		close(killed)
	}()
	werr := c.Wait()
	close(done)
	<-killed
	// Whatever the leader did, make sure nothing of the group outlives a cancelled run.
	res := Result{ExitCode: -1, Duration: time.Since(start)}
	if runCtx.Err() != nil {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		res.TimedOut, res.Cancelled = ctx.Err() == nil, ctx.Err() != nil
	}
	var ee *exec.ExitError
	switch {
	case werr == nil:
		res.ExitCode = 0
	case errors.As(werr, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.Signal = signalName(ws.Signal())
		} else {
			res.ExitCode = ee.ExitCode()
		}
	case errors.Is(werr, exec.ErrWaitDelay):
		res.ExitCode = c.ProcessState.ExitCode()
	default:
		return res, fmt.Errorf("running bash: %w", werr)
	}
	return res, nil
}

// innerScript is what bash runs: it reads exactly progLen bytes of program from stdin, points stdin at
// /dev/null and evals the program. The read builtin does it without starting a process (`read -N` reads a
// pipe in blocks up to the count; LC_ALL=C makes it count bytes and keep every byte); a bash without
// `read -N` (3.x, status 2) falls back to head. A program cut short (the connection broke) is not run.
func innerScript(progLen int) string {
	return fmt.Sprintf(`{ LC_ALL=C IFS= read -r -N %[1]d __fb; } 2>/dev/null; case $? in 0) ;; 1) echo "firebreak: the script did not arrive whole" >&2; exit 125 ;; `+
		`*) __fb=$(head -c %[1]d; printf .); __fb=${__fb%%.} ;; esac; exec 0</dev/null; eval "$__fb"`, progLen)
}

// withTimeout adds the command timeout to ctx, if there is one.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return context.WithCancel(ctx)
}

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGKILL:
		return "KILL"
	case syscall.SIGTERM:
		return "TERM"
	case syscall.SIGINT:
		return "INT"
	case syscall.SIGHUP:
		return "HUP"
	case syscall.SIGPIPE:
		return "PIPE"
	}
	return s.String()
}
