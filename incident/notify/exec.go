package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Command is a program firebreak runs for someone else's system (a notify hook, the tracker): argv, never
// a shell line, so nothing in an event's text can become shell syntax.
type Command struct {
	Argv    []string
	Stdin   []byte
	Timeout time.Duration // how long it may run before it is killed with its process group
	Env     []string      // nil: firebreak's own environment
	// MaxStdout bounds what is kept of its stdout (0: stdout is discarded); past it Exec says so.
	MaxStdout int
}

// ErrTimedOut is the error of a command that ran past its timeout and was killed.
var ErrTimedOut = errors.New("timed out")

// ErrOutputTooLong is the error of a command that printed more than MaxStdout bytes.
var ErrOutputTooLong = errors.New("printed too much")

// Exec runs c in its own process group and waits for it, at most its timeout; a command still running then
// is killed with its whole process group (what it started too). It returns what it printed on stdout (at
// most MaxStdout bytes) and an error that says what went wrong, with the end of its stderr.
func Exec(ctx context.Context, c Command) ([]byte, error) {
	if len(c.Argv) == 0 || c.Argv[0] == "" {
		return nil, errors.New("no command")
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	cmd.Stdin = bytes.NewReader(c.Stdin)
	cmd.Env = c.Env
	var stderr tailBuffer
	stderr.max = 4096
	cmd.Stderr = &stderr
	out := &headBuffer{max: c.MaxStdout}
	if c.MaxStdout > 0 {
		cmd.Stdout = out
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return out.b.Bytes(), fmt.Errorf("%w after %s and was killed", ErrTimedOut, c.Timeout)
	case err == nil && out.over:
		return out.b.Bytes(), fmt.Errorf("%w: more than %d bytes on stdout", ErrOutputTooLong, c.MaxStdout)
	case err == nil:
		return out.b.Bytes(), nil
	}
	tail := strings.TrimSpace(stderr.b.String())
	if len(tail) > 300 {
		tail = "…" + tail[len(tail)-300:]
	}
	if tail != "" {
		return out.b.Bytes(), fmt.Errorf("%w: %s", err, tail)
	}
	return out.b.Bytes(), err
}

// headBuffer keeps the first max bytes written to it and notes that more came.
type headBuffer struct {
	b    bytes.Buffer
	max  int
	over bool
}

func (h *headBuffer) Write(p []byte) (int, error) {
	if room := h.max - h.b.Len(); room < len(p) {
		h.over = true
		h.b.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return h.b.Write(p)
}

// tailBuffer keeps about the last max bytes written to it.
type tailBuffer struct {
	b   bytes.Buffer
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b.Write(p)
	if t.b.Len() > 2*t.max {
		keep := t.b.Bytes()[t.b.Len()-t.max:]
		var nb bytes.Buffer
		nb.Write(keep)
		t.b = nb
	}
	return len(p), nil
}
