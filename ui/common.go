package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/ui/deps"
	"github.com/firebreak/firebreak/ui/styles"
)

// common is what every screen shares: the deps it drives, the styles, the clock and the console's context.
type common struct {
	ctx          context.Context
	d            deps.Deps
	st           *styles.Styles
	now          func() time.Time
	glamourStyle string
	runScreen    RunScreenFactory
	// soon are messages a screen asked the root to handle within the Update that is running (open an
	// overlay, push a screen), before the next message: keys typed right after the one that opened
	// something go to it, in order, as if typed slowly.
	soon []tea.Msg
}

// opTimeout bounds one database read or write started from the console, so a wedged database shows an
// error instead of a console that waits forever.
const opTimeout = 30 * time.Second

// actionMsg is the result of something the operator did (a write): from is the overlay that asked for it
// (so a form can stay open to show the error), info what to say on success.
type actionMsg struct {
	from any
	info string
	err  error
}

// refreshMsg asks the active screen to read again what it shows (after the console's own writes).
type refreshMsg struct{}

// open opens an overlay (a form, a picker, a confirmation) over the active screen, in the same Update that
// handles the key that asked for it: no command round trip, so a burst of keys is handled as if typed
// slowly. It returns nil so callers can return it as their command.
func (c *common) open(o overlay) tea.Cmd { return c.handleNow(openMsg{o}) }

// openMsg opens an overlay over the active screen.
type openMsg struct{ o overlay }

// handleNow has the root handle msg before the next message arrives (not through a command round trip, which
// lets keys typed meanwhile reach the screen behind). It returns nil, to be returned as a command.
func (c *common) handleNow(msg tea.Msg) tea.Cmd {
	c.soon = append(c.soon, msg)
	return nil
}

// act runs a write in the background and reports it as an actionMsg.
func (c *common) act(from any, info string, f func(ctx context.Context) error) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(c.ctx, opTimeout)
		defer cancel()
		return actionMsg{from: from, info: info, err: f(ctx)}
	}
}

// read runs a read in the background; its result is whatever message f builds.
func (c *common) read(f func(ctx context.Context) tea.Msg) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(c.ctx, opTimeout)
		defer cancel()
		return f(ctx)
	}
}

// person is who sits at this console, as the two-person rule compares people.
func (c *common) person() string { return c.d.Actor.Person() }

// errText is an error as a person should read it: the domain's messages are written for people, minus the
// sentinel prefix ("refused: ", "invalid input: ") that the command line also drops.
func errText(err error) string {
	s := err.Error()
	for _, sentinel := range []error{incident.ErrInvalid, incident.ErrRefused, incident.ErrNotFound, rollout.ErrNotFound} {
		if errors.Is(err, sentinel) {
			s = strings.TrimPrefix(s, sentinel.Error()+": ")
		}
	}
	return s
}
