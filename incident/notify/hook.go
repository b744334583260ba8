// Package notify runs the hooks that tell people about an incident: a command per hook receives the event
// as JSON on stdin, and teams wire it to their pager, chat or mail CLI. A hook never blocks the incident:
// it runs in its own process group with a timeout, and what goes wrong is reported back to be recorded.
package notify

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// DefaultTimeout bounds a hook that does not set its own.
const DefaultTimeout = 10 * time.Second

// Hook is one [[notify]] entry of the config.
type Hook struct {
	Name    string   `toml:"name"`
	Events  []string `toml:"events"`  // event kinds, or "*" for all
	Command []string `toml:"command"` // argv; use ["sh", "-c", "..."] for a shell line
	Timeout string   `toml:"timeout"` // Go duration, default 10s
}

// Matches reports whether the hook wants events of kind.
func (h Hook) Matches(kind string) bool {
	return slices.Contains(h.Events, "*") || slices.Contains(h.Events, kind)
}

// Label names the hook in messages: its name, else its command.
func (h Hook) Label() string {
	if h.Name != "" {
		return h.Name
	}
	return strings.Join(h.Command, " ")
}

// TimeoutOrDefault is the hook's timeout.
func (h Hook) TimeoutOrDefault() time.Duration {
	if d, err := time.ParseDuration(h.Timeout); err == nil && d > 0 {
		return d
	}
	return DefaultTimeout
}

// Run runs the hook with payload on stdin and waits for it, at most its timeout; a hook still running then
// is killed with its whole process group. The error says what went wrong, with the end of its stderr.
func Run(ctx context.Context, h Hook, payload []byte) error {
	if len(h.Command) == 0 {
		return errors.New("the hook has no command")
	}
	_, err := Exec(ctx, Command{Argv: h.Command, Stdin: payload, Timeout: h.TimeoutOrDefault()})
	return err
}
