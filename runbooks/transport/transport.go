// Package transport runs one command on one host, over SSH or locally, behind one small interface so the
// rollout engine never needs to know which it has. A cancelled or timed-out command is killed on the host,
// not abandoned; a command whose driver dies or loses its connection is killed by the wrapper's dead-man's
// switch (see innerScript).
package transport

import (
	"context"
	"fmt"
	"time"

	"github.com/firebreak/firebreak/runbooks/output"
)

// Transport runs commands on one host.
type Transport interface {
	// Run runs cmd and streams its output to out. A non-zero exit is a Result, not an error; an error
	// means the command could not be run (see ConnectError, HostKeyError). When ctx is cancelled or
	// cmd.Timeout passes, the command is killed on the host and Run returns with Cancelled or TimedOut set.
	Run(ctx context.Context, cmd Command, out output.Sink) (Result, error)
	// Close releases the host's connection.
	Close() error
}

// Command is a bash script to run on a host.
type Command struct {
	// Script is bash source, run by bash on the host with stdin at /dev/null.
	Script string
	// Env is exported to the script (names must be shell identifiers).
	Env map[string]string
	// Timeout kills the command after this long (0: no limit beyond ctx).
	Timeout time.Duration
}

// Result is how a command ended.
type Result struct {
	// ExitCode is the exit status, or -1 when the command did not exit by itself.
	ExitCode int
	// Signal names the signal that ended the command, if any (e.g. "KILL").
	Signal string
	// Duration is the wall time from start to finish.
	Duration time.Duration
	// TimedOut says cmd.Timeout passed and the command was killed.
	TimedOut bool
	// Cancelled says ctx was cancelled and the command was killed.
	Cancelled bool
	// KillErr, when set, says killing a timed-out or cancelled command on the host may have failed.
	KillErr error
}

// OK says the command exited 0.
func (r Result) OK() bool { return r.ExitCode == 0 && !r.TimedOut && !r.Cancelled }

// String describes the result for people.
func (r Result) String() string {
	switch {
	case r.TimedOut:
		return fmt.Sprintf("timed out after %s (killed)", r.Duration.Round(time.Millisecond))
	case r.Cancelled:
		return fmt.Sprintf("cancelled after %s (killed)", r.Duration.Round(time.Millisecond))
	case r.Signal != "":
		return fmt.Sprintf("killed by signal %s after %s", r.Signal, r.Duration.Round(time.Millisecond))
	}
	return fmt.Sprintf("exit %d after %s", r.ExitCode, r.Duration.Round(time.Millisecond))
}
