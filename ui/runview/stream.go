package runview

import (
	"context"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/runbooks/rollout"
)

// frameInterval bounds how often streamed output redraws the screen (about 30 times a second).
const frameInterval = time.Second / 30

// maxPendingLines bounds the output lines waiting for the next frame. Beyond it lines are counted and
// dropped from the screen (never from the run: the log file has every line), so a host printing faster
// than anyone can read never grows memory or slows the run.
const maxPendingLines = 100_000

// bridge carries a run's updates from the engine's goroutines to Update. Watch only appends under a
// mutex and never blocks; waitFor hands everything pending to Update at most once per frame.
type bridge struct {
	gen int

	mu      sync.Mutex
	pending []rollout.Update // everything but output lines, in order
	lines   []outLine        // output lines, in order: kept apart and small, as they come by the thousand
	pauses  []rollout.Pause
	dropped int64
	closed  bool
	last    time.Time
	signal  chan struct{} // capacity 1: "something is pending"

	choices chan rollout.Choice // the operator's answer at a pause
}

func newBridge(gen int) *bridge {
	return &bridge{gen: gen, signal: make(chan struct{}, 1), choices: make(chan rollout.Choice, 1)}
}

func (b *bridge) poke() {
	select {
	case b.signal <- struct{}{}:
	default:
	}
}

// watch is the engine's Watch.
func (b *bridge) watch(u rollout.Update) {
	b.mu.Lock()
	if u.Kind == rollout.UpdateLine {
		if len(b.lines) >= maxPendingLines {
			b.dropped++
		} else {
			b.lines = append(b.lines, outLine{host: u.Host, text: u.Line.Text})
		}
	} else {
		b.pending = append(b.pending, u)
	}
	b.mu.Unlock()
	b.poke()
}

// ask is the engine's Ask: it shows the pause and waits for the operator's choice (or the run's end).
func (b *bridge) ask(ctx context.Context, p rollout.Pause) rollout.Choice {
	// A choice left over from an earlier pause (a double key press) must not answer this one.
	select {
	case <-b.choices:
	default:
	}
	b.mu.Lock()
	b.pauses = append(b.pauses, p)
	b.mu.Unlock()
	b.poke()
	select {
	case c := <-b.choices:
		return c
	case <-ctx.Done():
		return rollout.Stop
	}
}

// choose answers the pause; it never blocks.
func (b *bridge) choose(c rollout.Choice) {
	select {
	case b.choices <- c:
	default:
	}
}

// close stops waitFor once everything pending is delivered.
func (b *bridge) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.poke()
}

// outLine is one output line of a host.
type outLine struct{ host, text string }

// batchMsg is everything that happened in a run since the last frame.
type batchMsg struct {
	gen     int
	updates []rollout.Update
	lines   []outLine
	pauses  []rollout.Pause
	dropped int64
	closed  bool
}

// take empties the pending updates.
func (b *bridge) take() batchMsg {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := batchMsg{gen: b.gen, updates: b.pending, lines: b.lines, pauses: b.pauses, dropped: b.dropped, closed: b.closed}
	// The next frame most likely carries as many lines as this one: one allocation, no regrowing under the lock.
	b.pending, b.lines, b.pauses, b.dropped = nil, make([]outLine, 0, min(max(len(m.lines), 64), maxPendingLines)), nil, 0
	b.last = time.Now()
	return m
}

// waitFor waits for the next batch (bubbletea's examples/realtime pattern: Update re-arms it after each
// batch). It coalesces: a batch is delivered no sooner than one frame after the previous one.
func (b *bridge) waitFor() tea.Cmd {
	return func() tea.Msg {
		<-b.signal
		b.mu.Lock()
		wait := frameInterval - time.Since(b.last)
		closed := b.closed
		b.mu.Unlock()
		if wait > 0 && !closed {
			time.Sleep(wait)
		}
		return b.take()
	}
}
