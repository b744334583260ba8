package transport

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/firebreak/firebreak/runbooks/output"
)

// KillGrace is how long a cancelled command gets between SIGTERM and SIGKILL. It is short because a halt
// must take effect within one second (SPEC guard 4), grace included.
const KillGrace = 500 * time.Millisecond

// Local runs commands on this machine with bash, each in its own session and process group so that a
// cancel or timeout kills the command and everything it started, and with the wrapper's dead-man's switch
// (see innerScript) so that the command dies with this process too.
type Local struct{}

// NewLocal returns the local transport.
func NewLocal() *Local { return &Local{} }

// Close does nothing: Local holds no resources.
func (*Local) Close() error { return nil }

// Run runs cmd with bash in a new session (so a new process group, without the console's terminal). The
// program goes in on a pipe whose write end this process holds until the command has been waited for:
// if this process dies, the kernel closes it and the wrapper's watcher kills the command's group.
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
	c := exec.Command("bash", "--norc", "-c", innerScript(len(prog), KillGrace), "firebreak")
	stdinR, stdinW, err := os.Pipe() // close-on-exec: no other child inherits the write end
	if err != nil {
		return Result{ExitCode: -1}, fmt.Errorf("starting bash: %w", err)
	}
	c.Stdin = stdinR
	c.Stdout = out.Writer(output.Stdout)
	c.Stderr = out.Writer(output.Stderr)
	// A session of its own, as sshd gives a remote command: its own process group, and no controlling
	// terminal, so the wrapper's `set -m` cannot touch the console's terminal and a script cannot read it.
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	// Output pipes may be held open by a grandchild that escaped the group; do not wait forever for them.
	c.WaitDelay = KillGrace + 2*time.Second
	start := time.Now()
	err = c.Start()
	stdinR.Close()
	if err != nil {
		stdinW.Close()
		return Result{ExitCode: -1}, fmt.Errorf("starting bash: %w (is bash installed?)", err)
	}
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		_, _ = stdinW.Write(prog) // fails only when bash died first; then Wait says how
	}()
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
	// The leader has been reaped: the watcher sees EOF, finds it gone and exits without killing anything.
	stdinW.Close()
	<-wrote
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
