package main

import (
	"context"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
)

// fakeFeed is a store whose change feed the test drives; nothing else of it is used.
type fakeFeed struct {
	store.Store
	ch      chan struct{}
	watches int
}

func (f *fakeFeed) Watch(ctx context.Context, _ time.Duration) (<-chan struct{}, error) {
	f.watches++
	return f.ch, nil
}

// TestFeedHub: one watch of the database for every session; each subscriber gets every signal (bursts
// coalesced), a subscriber whose session ended is closed and forgotten, and all are closed with the hub.
func TestFeedHub(t *testing.T) {
	up := &fakeFeed{ch: make(chan struct{})}
	hub, err := startFeedHub(context.Background(), up)
	if err != nil {
		t.Fatal(err)
	}
	shared := sharedStore{Store: up, hub: hub}
	ctx1, end1 := context.WithCancel(context.Background())
	ctx2, end2 := context.WithCancel(context.Background())
	defer end2()
	a, _ := shared.Watch(ctx1, time.Second)
	b, _ := shared.Watch(ctx2, time.Second)
	up.ch <- struct{}{}
	up.ch <- struct{}{} // a burst: one signal waits, the other is coalesced
	for name, ch := range map[string]<-chan struct{}{"a": a, "b": b} {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("subscriber %s got no signal", name)
		}
	}
	if up.watches != 1 {
		t.Errorf("the database was watched %d times, want once", up.watches)
	}
	end1()
	waitClosed := func(name string, ch <-chan struct{}) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case _, ok := <-ch:
				if !ok {
					return
				}
			case <-deadline:
				t.Fatalf("%s is not closed", name)
			}
		}
	}
	waitClosed("the ended session's channel", a)
	up.ch <- struct{}{}
	select {
	case <-b:
	case <-time.After(5 * time.Second):
		t.Fatal("the other session stopped getting signals")
	}
	close(up.ch) // the server stops
	waitClosed("a session's channel after the hub stopped", b)
	if c, _ := shared.Watch(context.Background(), time.Second); c != nil {
		waitClosed("a channel asked for after the hub stopped", c)
	}
}
