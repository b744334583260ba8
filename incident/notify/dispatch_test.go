package notify

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
)

// recorder is a Send that keeps every batch; block, when set, holds each batch's slot until closed.
type recorder struct {
	mu      sync.Mutex
	batches []Batch
	block   chan struct{}
}

func (r *recorder) send(b Batch) (func(), error) {
	r.mu.Lock()
	r.batches = append(r.batches, b)
	r.mu.Unlock()
	if r.block == nil {
		return nil, nil
	}
	return func() { <-r.block }, nil
}

func (r *recorder) all() []Batch {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Batch(nil), r.batches...)
}

// items is every item sent so far, in order, and the total of dropped events.
func (r *recorder) items() (items []Item, dropped int) {
	for _, b := range r.all() {
		items = append(items, b.Items...)
		dropped += b.Dropped
	}
	return items, dropped
}

// hostKey groups the stand-in per-host kind by incident and run.
func hostKey(ev store.Event) string {
	if ev.Kind != "per_host" {
		return ""
	}
	return fmt.Sprintf("%d/%s", ev.Incident, ev.Text)
}

func ev(inc, seq int64, kind, run string) store.Event {
	return store.Event{Incident: inc, Seq: seq, Kind: kind, Text: run}
}

func newTestDispatcher(t *testing.T, r *recorder, opt Options) *Dispatcher {
	t.Helper()
	opt.Send, opt.Group = r.send, hostKey
	d := NewDispatcher(opt)
	t.Cleanup(func() { d.Close(context.Background()) })
	return d
}

func waitItems(t *testing.T, r *recorder, n int) []Item {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		items, _ := r.items()
		if len(items) >= n {
			return items
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d notifications, want %d: %+v", len(items), n, items)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Per-host events of one run within the window become one notification that counts them.
func TestDispatcherCoalescesPerHostEvents(t *testing.T) {
	r := &recorder{}
	d := newTestDispatcher(t, r, Options{Window: 200 * time.Millisecond})
	for seq := int64(1); seq <= 500; seq++ {
		d.Enqueue(ev(1, seq, "per_host", "RUN-1"))
	}
	items := waitItems(t, r, 1)
	if len(items) != 1 || !items[0].Grouped() || items[0].Count != 500 || items[0].First != 1 || items[0].Last != 500 {
		t.Fatalf("notifications %+v, want one group of 500 (seqs 1-500)", items)
	}
}

// Events that matter on their own are never merged, never held for the window, and keep their order with the
// groups around them.
func TestDispatcherImportantEventsStandAlone(t *testing.T) {
	r := &recorder{}
	d := newTestDispatcher(t, r, Options{Window: time.Hour})
	d.Enqueue(ev(1, 1, "run_started", ""))
	d.Enqueue(ev(1, 2, "per_host", "RUN-1"))
	d.Enqueue(ev(1, 3, "per_host", "RUN-1"))
	d.Enqueue(ev(1, 4, "halt", ""))
	d.Enqueue(ev(1, 5, "halt", ""))
	d.Enqueue(ev(1, 6, "per_host", "RUN-1"))
	d.Enqueue(ev(1, 7, "run_finished", ""))
	// An hour's window, yet everything is sent at once: each important event seals the groups before it.
	items := waitItems(t, r, 6)
	var got []string
	for _, it := range items {
		got = append(got, fmt.Sprintf("%s:%d-%d×%d", it.Event.Kind, it.First, it.Last, it.Count))
	}
	want := []string{"run_started:1-1×1", "per_host:2-3×2", "halt:4-4×1", "halt:5-5×1", "per_host:6-6×1", "run_finished:7-7×1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("notifications %v, want %v", got, want)
	}
}

// Events of different runs or incidents are never merged together.
func TestDispatcherGroupsByKey(t *testing.T) {
	r := &recorder{}
	d := newTestDispatcher(t, r, Options{Window: 100 * time.Millisecond})
	d.Enqueue(ev(1, 1, "per_host", "RUN-1"))
	d.Enqueue(ev(1, 2, "per_host", "RUN-2"))
	d.Enqueue(ev(2, 1, "per_host", "RUN-1"))
	d.Enqueue(ev(1, 3, "per_host", "RUN-2"))
	d.Enqueue(ev(1, 4, "per_host", "RUN-1")) // two runs of one incident at once: each keeps its group
	items := waitItems(t, r, 3)
	counts := map[string]int{}
	for _, it := range items {
		counts[it.Key] += it.Count
	}
	if len(items) != 3 || counts["1/RUN-1"] != 2 || counts["1/RUN-2"] != 2 || counts["2/RUN-1"] != 1 {
		t.Errorf("notifications %+v", items)
	}
}

// At most MaxRunning batches are out at once; while they are, the queue keeps merging.
func TestDispatcherLimitsRunningBatches(t *testing.T) {
	r := &recorder{block: make(chan struct{})}
	d := newTestDispatcher(t, r, Options{Window: 10 * time.Millisecond, MaxRunning: 2, MaxBatch: 1})
	for seq := int64(1); seq <= 5; seq++ {
		d.Enqueue(ev(1, seq, "note", ""))
	}
	waitItems(t, r, 2)
	time.Sleep(100 * time.Millisecond)
	if n := len(r.all()); n != 2 {
		t.Fatalf("%d batches out with 2 slots held, want 2", n)
	}
	close(r.block)
	items := waitItems(t, r, 5)
	for i, it := range items {
		if it.First != int64(i+1) {
			t.Errorf("notification %d is seq %d, want %d", i, it.First, i+1)
		}
	}
}

// A full queue never blocks: per-host events join a waiting group, or are dropped and counted; events that
// stand alone are still queued.
func TestDispatcherQueueBound(t *testing.T) {
	r := &recorder{block: make(chan struct{})}
	d := newTestDispatcher(t, r, Options{Window: time.Millisecond, MaxQueue: 3, MaxRunning: 1, MaxBatch: 1})
	d.Enqueue(ev(1, 1, "note", "")) // takes the only slot, which stays held
	waitItems(t, r, 1)
	d.Enqueue(ev(1, 2, "per_host", "RUN-1"))
	d.Enqueue(ev(1, 3, "note", ""))
	d.Enqueue(ev(1, 4, "per_host", "RUN-1")) // the queue holds 3 now
	start := time.Now()
	d.Enqueue(ev(1, 5, "per_host", "RUN-1")) // full: joins the waiting group (nothing came after it)
	d.Enqueue(ev(2, 1, "per_host", "RUN-9")) // full, no group to join: dropped
	d.Enqueue(ev(1, 6, "halt", ""))          // full, but never dropped
	if took := time.Since(start); took > 50*time.Millisecond {
		t.Errorf("Enqueue on a full queue took %v", took)
	}
	close(r.block)
	items := waitItems(t, r, 5)
	_, dropped := r.items()
	var got []string
	for _, it := range items {
		got = append(got, fmt.Sprintf("%s:%d-%d×%d", it.Event.Kind, it.First, it.Last, it.Count))
	}
	want := []string{"note:1-1×1", "per_host:2-2×1", "note:3-3×1", "per_host:4-5×2", "halt:6-6×1"}
	if fmt.Sprint(got) != fmt.Sprint(want) || dropped != 1 {
		t.Errorf("notifications %v dropped %d, want %v dropped 1", got, dropped, want)
	}
}

// Close hands everything still queued over in one batch, even groups in their window and with every slot
// taken, and does not wait for any batch to be delivered.
func TestDispatcherFlushOnClose(t *testing.T) {
	r := &recorder{block: make(chan struct{})}
	defer close(r.block)
	d := NewDispatcher(Options{Send: r.send, Group: hostKey, Window: time.Hour, MaxRunning: 1})
	d.Enqueue(ev(1, 1, "declared", "")) // holds the only slot until the end
	waitItems(t, r, 1)
	d.Enqueue(ev(1, 2, "note", ""))
	d.Enqueue(ev(1, 3, "per_host", "RUN-1"))
	d.Enqueue(ev(1, 4, "per_host", "RUN-1"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	batches := r.all()
	if len(batches) != 2 || len(batches[1].Items) != 2 || batches[1].Items[1].Count != 2 {
		t.Fatalf("batches %+v, want the flush as one batch of the note and a group of 2", batches)
	}
	d.Enqueue(ev(1, 5, "note", "")) // after Close: ignored, never a panic
	if len(r.all()) != 2 {
		t.Errorf("an event after Close was sent")
	}
}
