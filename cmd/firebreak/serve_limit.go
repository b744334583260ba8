package main

import (
	"net"
	"sync"
	"time"
)

// connLimiter refuses connections from an address that opens more than perMinute a minute: a token
// bucket per address (perMinute tokens, refilled evenly), forgotten once full again.
type connLimiter struct {
	mu        sync.Mutex
	perMinute float64
	buckets   map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newConnLimiter(perMinute int) *connLimiter {
	return &connLimiter{perMinute: float64(perMinute), buckets: map[string]*bucket{}}
}

func (l *connLimiter) allow(addr net.Addr) bool {
	host := addr.String()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, b := range l.buckets { // forget full buckets, so the map stays as small as the live addresses
		if b.tokens+now.Sub(b.at).Minutes()*l.perMinute >= l.perMinute {
			delete(l.buckets, k)
		}
	}
	b, ok := l.buckets[host]
	if !ok {
		b = &bucket{tokens: l.perMinute, at: now}
		l.buckets[host] = b
	}
	b.tokens = min(l.perMinute, b.tokens+now.Sub(b.at).Minutes()*l.perMinute)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
