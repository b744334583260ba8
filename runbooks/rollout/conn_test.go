package rollout

import (
	"context"
	"sync"
	"testing"

	"github.com/firebreak/firebreak/runbooks"
	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/transport"
)

// closeCount hands out the pool's transports and counts, per host, those handed out and those closed.
type closeCount struct {
	pool *transport.Pool
	mu   sync.Mutex
	got  map[string]int
	shut map[string]int
}

func (c *closeCount) For(h *inventory.Host) transport.Transport {
	c.mu.Lock()
	c.got[h.Name]++
	c.mu.Unlock()
	return counted{c.pool.For(h), c, h.Name}
}

type counted struct {
	transport.Transport
	c    *closeCount
	host string
}

func (t counted) Close() error {
	t.c.mu.Lock()
	t.c.shut[t.host]++
	t.c.mu.Unlock()
	return t.Transport.Close()
}

// A host's connection is closed as soon as its part of the run is done (memory follows the concurrency,
// not the fleet), except for a host that failed and whose rollback follows the stage: that one is closed
// after the rollback.
func TestConnectionsCloseWhenHostsAreDone(t *testing.T) {
	f := newFixture(t, 4, 3)
	ctx := context.Background()
	e := f.engine("root")
	cc := &closeCount{pool: f.pool, got: map[string]int{}, shut: map[string]int{}}
	e.Transports = cc
	s := Script{
		Check:    `[ "$FIREBREAK_DRY_RUN" = 1 ] && exit 1; exit 1`,
		Main:     `[ "$FIREBREAK_DRY_RUN" = 1 ] && exit 0; [ "$FIREBREAK_HOST" = host03 ] && exit 7; true`,
		Verify:   `true`,
		Rollback: `true`,
	}
	e.Run(ctx, f.canaryDry(s))
	spec := f.spec(s, false, "1,100%")
	spec.RollbackOnFailure = true
	spec.MaxFail, _ = runbooks.ParseMaxFail("1")
	sum, err := e.Run(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if st := hostStates(sum); st["host03"] != "rolled_back" || st["host01"] != "changed" {
		t.Fatalf("states: %v", st)
	}
	for _, h := range f.hosts {
		got, shut := cc.got[h.Name], cc.shut[h.Name]
		switch h.Name {
		case "host01": // the dry run, then the real run
			if got != 2 || shut != 2 {
				t.Errorf("%s: %d transports, %d closed", h.Name, got, shut)
			}
		case "host03": // the run's, kept for the rollback, and the rollback's
			if got != 2 || shut != 1 {
				t.Errorf("%s: %d transports, %d closed (want the first kept for the rollback)", h.Name, got, shut)
			}
		default:
			if got != 1 || shut != 1 {
				t.Errorf("%s: %d transports, %d closed", h.Name, got, shut)
			}
		}
	}
}
