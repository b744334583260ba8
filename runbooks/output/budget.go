package output

import "sync"

// RunBudget is the log bytes one run may write, shared by the captures of all its hosts (guard 13): make one
// per run with NewRunBudget and pass it in each host's Config. The first half of it is for the heads of the
// logs, written as output arrives; the rest is for the tails, written when each capture closes, so that a
// flooding host early in a run cannot leave later hosts without the end of their output. A host whose head
// no longer fits keeps going in memory (its Tail and OnLine lines are unaffected) and writes its tail, as
// much as the budget still allows, on Close. Each host may add one marker line on top of the budget.
type RunBudget struct {
	mu   sync.Mutex
	max  int64
	used int64
}

// NewRunBudget returns a budget of maxBytes (at least 0) for one run's logs.
func NewRunBudget(maxBytes int64) *RunBudget {
	return &RunBudget{max: max(0, maxBytes)}
}

// Used returns the log bytes written so far under this budget.
func (b *RunBudget) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// takeHead grants up to n bytes of the head half of the budget.
func (b *RunBudget) takeHead(n int64) int64 {
	return b.take(n, b.max/2)
}

// takeTail grants up to n bytes of what is left of the whole budget.
func (b *RunBudget) takeTail(n int64) int64 {
	return b.take(n, b.max)
}

func (b *RunBudget) take(n, limit int64) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	n = max(0, min(n, limit-b.used))
	b.used += n
	return n
}

// charge counts bytes written regardless of the budget (the marker line).
func (b *RunBudget) charge(n int64) {
	b.mu.Lock()
	b.used += n
	b.mu.Unlock()
}
