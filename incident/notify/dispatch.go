package notify

import (
	"context"
	"sync"
	"time"

	"github.com/firebreak/firebreak/store"
)

// Defaults of a Dispatcher's Options.
const (
	DefaultWindow     = time.Second
	DefaultMaxQueue   = 256
	DefaultMaxRunning = 2
	DefaultMaxBatch   = 64
)

// Item is one notification: a single event, or a group of coalesced events that share a group key.
type Item struct {
	// Incident is the incident the events belong to.
	Incident int64
	// Key is the group key of a coalesced item; "" for a single event.
	Key string
	// First and Last are the seqs of the first and last event of the item (equal for a single event).
	First, Last int64
	// Count is how many events the item stands for.
	Count int
	// Event is the single event, or the first event of a group.
	Event store.Event

	sealed  bool      // a group that takes no more events in its window
	started time.Time // when a group's first event arrived
}

// Grouped reports whether the item is a group of coalesced events rather than a single event.
func (it Item) Grouped() bool { return it.Key != "" }

// Batch is what a Dispatcher hands to its Send function at a time.
type Batch struct {
	Items []Item
	// Dropped counts the events dropped since the last batch because the queue was full; the receiver
	// records that, so a lost notification is never silent.
	Dropped int
}

// Options configure a Dispatcher. Send is required; zero values of the rest mean their defaults.
type Options struct {
	// Send hands a batch over and returns at once. wait, if not nil, returns when the batch has been
	// delivered: until then the batch holds one of MaxRunning slots.
	Send func(Batch) (wait func(), err error)
	// Group is the coalescing key of an event: events with the same non-empty key that arrive within Window
	// become one notification. "" means the event goes on its own and is never merged or dropped.
	Group func(store.Event) string
	// OnError is told when Send fails (optional).
	OnError func(error)
	// Window is how long a group waits for more events before it is sent.
	Window time.Duration
	// MaxQueue bounds the notifications waiting to be sent. When it is reached, groupable events join any
	// waiting group of their key, or are dropped and counted.
	MaxQueue int
	// MaxRunning bounds the batches being delivered at once.
	MaxRunning int
	// MaxBatch bounds the notifications in one batch (Close flushes everything left in one).
	MaxBatch int
}

// Dispatcher queues notifications and hands them over in batches, a few at a time, so that a run of
// thousands of hosts costs a handful of hook processes instead of one per event. Enqueue never blocks.
type Dispatcher struct {
	opt     Options
	mu      sync.Mutex
	queue   []*Item
	dropped int
	running int
	sending sync.WaitGroup // Send calls in progress, which Close waits for
	closed  bool
	wake    chan struct{}
	done    chan struct{}
}

// NewDispatcher starts a dispatcher; Close flushes and stops it.
func NewDispatcher(opt Options) *Dispatcher {
	if opt.Window <= 0 {
		opt.Window = DefaultWindow
	}
	if opt.MaxQueue <= 0 {
		opt.MaxQueue = DefaultMaxQueue
	}
	if opt.MaxRunning <= 0 {
		opt.MaxRunning = DefaultMaxRunning
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = DefaultMaxBatch
	}
	if opt.Group == nil {
		opt.Group = func(store.Event) string { return "" }
	}
	d := &Dispatcher{opt: opt, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go d.loop()
	return d
}

// Enqueue queues ev for the hooks and returns at once.
//
// A groupable event joins the newest waiting group of its key when no single event of its incident was
// queued after that group (so hooks see an incident's events in order); otherwise it starts a group. Any other event is
// queued on its own, and seals the waiting groups of its incident: it is never held back behind a window.
func (d *Dispatcher) Enqueue(ev store.Event) {
	key := d.opt.Group(ev)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	if key == "" {
		for _, it := range d.queue {
			if it.Incident == ev.Incident {
				it.sealed = true
			}
		}
		d.queue = append(d.queue, &Item{Incident: ev.Incident, First: ev.Seq, Last: ev.Seq, Count: 1, Event: ev})
		d.poke()
		return
	}
	full := len(d.queue) >= d.opt.MaxQueue
	for i := len(d.queue) - 1; i >= 0; i-- {
		it := d.queue[i]
		if it.Incident != ev.Incident {
			continue
		}
		if it.Key == key && (!it.sealed || full) {
			it.Last, it.Count = ev.Seq, it.Count+1
			return
		}
		if it.Key == key || !it.Grouped() {
			break // an event of this incident came after the group: joining it would reorder them
		}
	}
	if full {
		d.dropped++
		return
	}
	d.queue = append(d.queue, &Item{Incident: ev.Incident, Key: key, First: ev.Seq, Last: ev.Seq, Count: 1, Event: ev,
		started: time.Now()})
	d.poke()
}

// poke wakes the loop; d.mu is held.
func (d *Dispatcher) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// loop sends ready notifications while a slot is free, and sleeps until the next one is due.
func (d *Dispatcher) loop() {
	defer close(d.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return
		}
		var b Batch
		next := time.Duration(-1)
		if d.running < d.opt.MaxRunning {
			b, next = d.takeReady(time.Now())
		}
		if len(b.Items) > 0 {
			d.running++
			d.sending.Add(1)
		}
		d.mu.Unlock()

		if len(b.Items) > 0 {
			d.send(b)
			continue
		}
		if next >= 0 {
			timer.Reset(next)
		}
		select {
		case <-d.wake:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// takeReady removes up to MaxBatch ready notifications from the queue, in order, with the drop count; next
// is how long until the first group still in its window is due (-1: none). d.mu is held.
func (d *Dispatcher) takeReady(now time.Time) (b Batch, next time.Duration) {
	next = -1
	keep := d.queue[:0]
	for _, it := range d.queue {
		ready := !it.Grouped() || it.sealed || now.Sub(it.started) >= d.opt.Window
		switch {
		case ready && len(b.Items) < d.opt.MaxBatch:
			b.Items = append(b.Items, *it)
		case !ready:
			if due := d.opt.Window - now.Sub(it.started); next < 0 || due < next {
				next = due
			}
			fallthrough
		default:
			keep = append(keep, it)
		}
	}
	clear(d.queue[len(keep):])
	d.queue = keep
	if len(b.Items) > 0 {
		b.Dropped, d.dropped = d.dropped, 0
	}
	return b, next
}

// send hands b over; its slot is released when the batch is delivered.
func (d *Dispatcher) send(b Batch) {
	wait, err := d.opt.Send(b)
	d.sending.Done()
	if err != nil && d.opt.OnError != nil {
		d.opt.OnError(err)
	}
	release := func() {
		d.mu.Lock()
		d.running--
		d.poke()
		d.mu.Unlock()
	}
	if err != nil || wait == nil {
		release()
		return
	}
	go func() {
		wait()
		release()
	}()
}

// Close stops the dispatcher and hands everything still queued over in one batch, without waiting for any
// batch to be delivered: the process may exit while its hooks run. ctx bounds the wait for hand-overs
// already in progress.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	b := Batch{Dropped: d.dropped}
	for _, it := range d.queue {
		b.Items = append(b.Items, *it)
	}
	d.queue, d.dropped = nil, 0
	d.poke()
	d.mu.Unlock()

	handed := make(chan struct{})
	go func() {
		<-d.done
		d.sending.Wait()
		close(handed)
	}()
	select {
	case <-handed:
	case <-ctx.Done():
		return ctx.Err()
	}
	if len(b.Items) == 0 && b.Dropped == 0 {
		return nil
	}
	_, err := d.opt.Send(b) // not waited for: the batch outlives this process
	return err
}
