package storetest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/firebreak/firebreak/store"
)

func init() {
	contract("ConcurrentAppends", testConcurrentAppends)
	contract("ConcurrentCreates", testConcurrentCreates)
	contract("Watch", testWatch)
}

// Writers appending to one incident at once, through one handle and through another on the same database,
// leave a timeline with no gaps and a valid chain, every event exactly once.
func testConcurrentAppends(t *T) {
	const writers, each = 8, 12
	id := t.incident(store.IncidentRow{})
	db2 := t.reopen(t.T)
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		db := t.db
		if w%2 == 1 {
			db = db2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := db.Write(t.ctx, func(tx store.Tx) error {
					return tx.AppendEvent(t.ctx, &store.Event{Incident: id, Actor: fmt.Sprintf("w%d", w), Kind: "note", Text: fmt.Sprintf("w%d-%d", w, i)})
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Write: %v", err)
	}
	evs := t.events(t.db, store.EventQuery{Incident: id})
	want := []int64{}
	for n := range writers * each {
		want = append(want, int64(n+1))
	}
	same(t.T, "seqs", seqs(evs), want)
	seen := map[string]int{}
	for _, ev := range evs {
		seen[ev.Text]++
	}
	for w := range writers {
		for i := range each {
			if n := seen[fmt.Sprintf("w%d-%d", w, i)]; n != 1 {
				t.Errorf("event w%d-%d recorded %d times", w, i, n)
			}
		}
	}
	for _, db := range []store.Store{t.db, db2} {
		if err := store.VerifyChain(t.ctx, db, id); err != nil {
			t.Errorf("VerifyChain: %v", err)
		}
		h, err := store.HeadOf(t.ctx, db, id)
		if err != nil || h.Seq != writers*each || h.Hash != evs[len(evs)-1].Hash {
			t.Errorf("HeadOf: %+v, %v", h, err)
		}
	}
	t.verify(t.db)
}

// Incidents created at once through two handles get distinct, dense ids.
func testConcurrentCreates(t *T) {
	const writers, each = 6, 5
	db2 := t.reopen(t.T)
	var mu sync.Mutex
	var got []int64
	var wg sync.WaitGroup
	for w := range writers {
		db := t.db
		if w%2 == 1 {
			db = db2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				var id int64
				err := db.Write(t.ctx, func(tx store.Tx) error {
					var err error
					if id, err = tx.CreateIncident(t.ctx, store.IncidentRow{Title: "c", Status: "investigating", DeclaredAt: t0}); err != nil {
						return err
					}
					return tx.AppendEvent(t.ctx, &store.Event{Incident: id, Actor: "a", Kind: "declared"})
				})
				if err != nil {
					t.Errorf("concurrent create: %v", err)
					return
				}
				mu.Lock()
				got = append(got, id)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	want := []int64{}
	for n := range writers * each {
		want = append(want, int64(n+1))
	}
	same(t.T, "ids", got, want)
	same(t.T, "IncidentIDs", t.incidentIDs(db2), want)
	t.verify(t.db)
}

// Watch signals within a second of a commit through another handle, or through its own, and its channel
// closes when its context is done.
func testWatch(t *T) {
	id := t.incident(store.IncidentRow{})
	db2 := t.reopen(t.T)
	ctx, cancel := context.WithCancel(t.ctx)
	defer cancel()
	ch, err := t.db.Watch(ctx, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	drain := func() {
		time.Sleep(100 * time.Millisecond) // a signal for connecting (allowed) comes and goes
		for {
			select {
			case _, ok := <-ch:
				if !ok {
					t.Fatal("the Watch channel closed before its context was done")
				}
			default:
				return
			}
		}
	}
	expect := func(what string) {
		t.Helper()
		select {
		case _, ok := <-ch:
			if !ok {
				t.Fatalf("%s: the Watch channel closed", what)
			}
		case <-time.After(time.Second):
			t.Fatalf("%s: no signal within 1s", what)
		}
	}
	drain()
	t.appendEv(db2, store.Event{Incident: id, Actor: "a", Kind: "note"})
	expect("a commit through another handle")
	drain()
	t.write(db2, func(tx store.Tx) error {
		return tx.SetSwitch(t.ctx, store.Switch{Name: "halt", Engaged: true, At: t0})
	})
	expect("a switch set through another handle")
	drain()
	t.appendEv(t.db, store.Event{Incident: id, Actor: "a", Kind: "note"})
	expect("a commit through the watching handle")

	// Two watchers on one handle each get the signal.
	ch2, err := t.db.Watch(ctx, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	drain()
	time.Sleep(100 * time.Millisecond)
	for len(ch2) > 0 {
		<-ch2
	}
	t.appendEv(db2, store.Event{Incident: id, Actor: "a", Kind: "note"})
	expect("a commit, first watcher")
	select {
	case <-ch2:
	case <-time.After(time.Second):
		t.Fatal("a commit, second watcher: no signal within 1s")
	}

	cancel()
	deadline := time.After(time.Second)
	for _, c := range []<-chan struct{}{ch, ch2} {
	wait:
		for {
			select {
			case _, ok := <-c:
				if !ok {
					break wait
				}
			case <-deadline:
				t.Fatal("the Watch channel did not close within 1s of its context's end")
			}
		}
	}
}
