package rollout

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
)

// writeCount counts the store's write transactions.
type writeCount struct {
	store.Store
	n atomic.Int64
}

func (w *writeCount) Write(ctx context.Context, fn func(store.Tx) error) error {
	w.n.Add(1)
	return w.Store.Write(ctx, fn)
}

// Group commit: many hosts' results go in one transaction, and a host is reported done only once its
// result is committed (what was reported done survives a kill -9).
func TestHostResultsGroupCommitted(t *testing.T) {
	const n = 24
	f := newFixture(t, n, 3)
	ctx := context.Background()
	wc := &writeCount{Store: f.db}
	e := f.engine("root")
	e.DB = wc
	var mu sync.Mutex
	var reported int
	e.Watch = func(u Update) {
		if u.Kind != UpdateHostDone {
			return
		}
		hosts, err := f.db.RunHosts(ctx, u.Run)
		if err != nil {
			t.Error(err)
			return
		}
		for _, h := range hosts {
			if h.Host == u.Host && h.State != string(u.Result.State) {
				t.Errorf("%s reported %s before its result was committed (stored: %s)", u.Host, u.Result.State, h.State)
			}
		}
		mu.Lock()
		reported++
		mu.Unlock()
	}
	// Every host ends about the same time: their results should share transactions.
	spec := f.spec(Script{Main: "sleep 1", DryRun: "sleep 1"}, true, "100%")
	spec.Concurrency = n
	before, start := wc.n.Load(), time.Now()
	sum, err := e.Run(ctx, spec)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Counts[OK] != n || reported != n {
		t.Fatalf("counts %v, %d reported", sum.Counts, reported)
	}
	// One per record would be 3n (running, done, its event) plus the run's own; at most one batch per
	// 20 ms (plus the run's start, stage and end) is what the recorder promises.
	writes := wc.n.Load() - before
	if bound := int64(took/(20*time.Millisecond)) + 6; writes > bound || writes >= 2*n {
		t.Errorf("%d write transactions for %d hosts in %s: results are not batched", writes, n, took.Round(time.Millisecond))
	}
	t.Logf("%d write transactions for %d hosts in %s", writes, n, took.Round(time.Millisecond))
}
