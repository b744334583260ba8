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
		err := r.db.Write(context.Background(), func(tx store.Tx) error {
			for i := range batch {
				rec := &batch[i]
				switch {
				case rec.host != nil:
					if err := tx.SetHost(context.Background(), *rec.host); err != nil {
						return err
					}
				case rec.run != nil:
					if err := tx.UpdateRun(context.Background(), *rec.run); err != nil {
						return err
					}
				case rec.event != nil:
					ev := *rec.event // a retried transaction must append afresh
					if err := tx.AppendEvent(context.Background(), &ev); err != nil {
						return err
					}
					rec.event.Seq, rec.event.At, rec.event.Hash = ev.Seq, ev.At, ev.Hash
				}
			}
			return nil
		})
		r.mu.Lock()
		if err != nil && r.err == nil {
			r.err = err
		}
		firstErr := r.err
		r.mu.Unlock()
		for _, rec := range batch {
			if err == nil && rec.event != nil {
				if r.notify != nil {
					r.notify(*rec.event)
				}
				if rec.after != nil {
					rec.after(*rec.event)
				}
			} else if err == nil && rec.after != nil {
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
