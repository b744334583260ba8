package ui

import (
	"context"
	"fmt"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
)

// watchInterval is how often the change feed looks for other processes' writes: well inside the half
// second in which every console must see every other's changes.
const watchInterval = 100 * time.Millisecond

// changedMsg says someone (this console or another process) wrote to the database: screens read again
// what they show.
type changedMsg struct{}

// feedMsg carries the change feed once it is open.
type feedMsg struct {
	ch  <-chan struct{}
	err error
}

// switchMsg is the off-switch as the database has it.
type switchMsg struct {
	sw  store.Switch
	err error
}

// haltedMsg is the result of the operator's halt.
type haltedMsg struct {
	ids []int64
	err error
}

// openFeed opens the change feed (store.DB.Watch).
func (c *common) openFeed(interval time.Duration) tea.Cmd {
	return func() tea.Msg {
		ch, err := c.d.DB.Watch(c.ctx, interval)
		return feedMsg{ch: ch, err: err}
	}
}

// waitFor waits for the next change on the feed; the root re-arms it after every signal (bubbletea's
// realtime example), so the feed never blocks Update.
func waitFor(ch <-chan struct{}) tea.Cmd {
	return func() tea.Msg {
		if _, ok := <-ch; !ok {
			return nil
		}
		return changedMsg{}
	}
}

// loadSwitch reads the off-switch.
func (c *common) loadSwitch() tea.Cmd {
	return c.read(func(ctx context.Context) tea.Msg {
		sw, err := rollout.Halted(ctx, c.d.DB)
		return switchMsg{sw: sw, err: err}
	})
}

// halt engages the off-switch as this console's actor, with the notify hooks.
// resume releases the off-switch (rollout.Resume), as firebreak resume does.
func (c *common) resume() tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(c.ctx, opTimeout)
		defer cancel()
		_, err := rollout.Resume(ctx, c.d.DB, c.d.Actor.String(), "from the console", c.d.Notify)
		return resumedMsg{err: err}
	}
}

// resumedMsg reports a resume from this console.
type resumedMsg struct{ err error }

func (c *common) halt() tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(c.ctx, opTimeout)
		defer cancel()
		res, err := rollout.Halt(ctx, c.d.DB, c.d.Actor.String(), "from the console", c.d.Notify)
		if err == nil && res.RecordErr != nil {
			err = fmt.Errorf("the halt is in force, but the timeline could not record it yet: %w", res.RecordErr)
		}
		return haltedMsg{ids: res.Incidents, err: err}
	}
}
