package rollout

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/firebreak/firebreak/store"
)

// recorder writes a run's records in small batches: one transaction for many host results keeps a fast
// fan-out from waiting on a disk flush per host, and a record is reported (to the notify hooks and whoever
// watches) only once it is committed.
type recorder struct {
	db     store.Store
	actor  string
	notify func(store.Event)
	in     chan record
	done   chan struct{}
	mu     sync.Mutex
	err    error
	// The guard: once the run is recorded, every batch first checks that this process still owns it.
	guarded bool
	runID   int64
	owner   owner
	onLost  func()
	taken   bool
}

type record struct {
	host   *store.RunHost
	run    *store.RunRow
	event  *store.Event
	after  func(store.Event) // called once committed, with the event (if any)
	synced chan error        // non-nil: commit now and report
}

func newRecorder(db store.Store, actor string, notify func(store.Event)) *recorder {
	r := &recorder{db: db, actor: actor, notify: notify, in: make(chan record, 1024), done: make(chan struct{})}
	go r.loop()
	return r
}

// event queues a timeline event.
func (r *recorder) event(incident int64, kind, text string, data any, after func(store.Event)) {
	b, _ := json.Marshal(data)
	if data == nil {
		b = []byte("{}")
	}
	r.in <- record{event: &store.Event{Incident: incident, Actor: r.actor, Kind: kind, Text: text, Data: b}, after: after}
}

func (r *recorder) host(h store.RunHost) { r.in <- record{host: &h} }

func (r *recorder) run(row store.RunRow) { r.in <- record{run: &row} }

// guard makes every later batch check, in its transaction, that owner still owns run; once another
// firebreak has reaped it, the recorder drops what is queued and what comes, and calls lost once.
func (r *recorder) guard(run int64, o owner, lost func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.guarded, r.runID, r.owner, r.onLost = true, run, o, lost
}

// lose marks the run as taken (reaped by another firebreak) and calls the guard's lost, once.
func (r *recorder) lose() {
	r.mu.Lock()
	first := !r.taken
	r.taken = true
	lost := r.onLost
	r.mu.Unlock()
	if first && lost != nil {
		lost()
	}
}

func (r *recorder) isTaken() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.taken
}

// sync commits everything queued so far and returns the first write error, if any.
func (r *recorder) sync() error {
	ch := make(chan error, 1)
	r.in <- record{synced: ch}
	return <-ch
}

// close flushes and stops the recorder.
func (r *recorder) close() error {
	err := r.sync()
	close(r.in)
	<-r.done
	return err
}

func (r *recorder) loop() {
	defer close(r.done)
	var batch []record
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		r.mu.Lock()
		guarded, run, o, taken := r.guarded, r.runID, r.owner, r.taken
		r.mu.Unlock()
		lost := false
		var err error
		if !taken {
			err = r.db.Write(context.Background(), func(tx store.Tx) error {
				lost = false
				var lease time.Time
				if guarded {
					cur, err := tx.Run(context.Background(), run)
					if err != nil {
						return err
					}
					if lost = !o.owns(cur); lost {
						return nil // reaped: what this process would write now contradicts the record
					}
					lease = cur.LeaseUntil
				}
				return r.write(tx, batch, lease)
			})
		}
		if lost {
			r.lose()
		}
		written := err == nil && !taken && !lost
		r.mu.Lock()
		if err != nil && r.err == nil {
			r.err = err
		}
		firstErr := r.err
		r.mu.Unlock()
		for _, rec := range batch {
			if written && rec.event != nil {
				if r.notify != nil {
					r.notify(*rec.event)
				}
				if rec.after != nil {
					rec.after(*rec.event)
				}
			} else if written && rec.after != nil {
				rec.after(store.Event{})
			}
			if rec.synced != nil {
				rec.synced <- firstErr
			}
		}
		batch = batch[:0]
	}
	for {
		select {
		case rec, ok := <-r.in:
			if !ok {
				flush()
				return
			}
			if len(batch) == 0 {
				timer.Reset(20 * time.Millisecond)
			}
			batch = append(batch, rec)
			if rec.synced != nil || len(batch) >= 256 {
				flush()
			}
		case <-timer.C:
			flush()
		}
	}
}

// write writes a batch in tx. A run's row keeps the stored lease (lease, when not zero): only the
// heartbeat moves it.
func (r *recorder) write(tx store.Tx, batch []record, lease time.Time) error {
	ctx := context.Background()
	for i := range batch {
		rec := &batch[i]
		switch {
		case rec.host != nil:
			if err := tx.SetHost(ctx, *rec.host); err != nil {
				return err
			}
		case rec.run != nil:
			row := *rec.run
			if !lease.IsZero() {
				row.LeaseUntil = lease
			}
			if err := tx.UpdateRun(ctx, row); err != nil {
				return err
			}
		case rec.event != nil:
			ev := *rec.event // a retried transaction must append afresh
			if err := tx.AppendEvent(ctx, &ev); err != nil {
				return err
			}
			rec.event.Seq, rec.event.At, rec.event.Hash = ev.Seq, ev.At, ev.Hash
		}
	}
	return nil
}
