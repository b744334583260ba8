package main

import (
	"context"
	"sync"
	"time"

	"github.com/firebreak/firebreak/store"
)

// feedHub is the server's one change feed, shared by every session. Each engine's feed holds a connection
// of its own for as long as it is watched (SQLite: a reader asking data_version; PostgreSQL: a LISTEN), and
// SQLite's pool has four readers: fifty consoles each with a feed of their own would wait for a connection.
// The hub watches once and passes every signal to each session's channel, coalescing as the feed does.
type feedHub struct {
	mu   sync.Mutex
	subs map[chan struct{}]struct{}
	done bool
}

// feedInterval is how often the shared feed looks: the console's own interval (ui's watchInterval).
const feedInterval = 100 * time.Millisecond

// startFeedHub watches db until ctx is done, then closes every session's channel.
func startFeedHub(ctx context.Context, db store.Store) (*feedHub, error) {
	up, err := db.Watch(ctx, feedInterval)
	if err != nil {
		return nil, err
	}
	h := &feedHub{subs: map[chan struct{}]struct{}{}}
	go func() {
		for range up {
			h.mu.Lock()
			for ch := range h.subs {
				select {
				case ch <- struct{}{}:
				default: // a signal is already waiting: one is enough
				}
			}
			h.mu.Unlock()
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		for ch := range h.subs {
			close(ch)
		}
		h.subs, h.done = nil, true
	}()
	return h, nil
}

// subscribe returns a channel that gets the hub's signals until ctx is done.
func (h *feedHub) subscribe(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		close(ch)
		return ch
	}
	h.subs[ch] = struct{}{}
	context.AfterFunc(ctx, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
	})
	return ch
}

// sharedStore is the server's database as a session sees it: the same store, with the hub for its feed.
type sharedStore struct {
	store.Store
	hub *feedHub
}

// Watch subscribes to the server's feed (interval is the hub's).
func (s sharedStore) Watch(ctx context.Context, _ time.Duration) (<-chan struct{}, error) {
	return s.hub.subscribe(ctx), nil
}
