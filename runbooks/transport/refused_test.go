package transport

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/firebreak/firebreak/runbooks/inventory"
)

// TestUnsupportedHostRefusedAtRunTime: a host the inventory lists but firebreak cannot reach (winrm, a bad
// port) fails when a run reaches it, as unreachable, with the reason.
func TestUnsupportedHostRefusedAtRunTime(t *testing.T) {
	pool := NewPool(Config{AgentSocket: "none"})
	defer pool.Close()
	h := &inventory.Host{Name: "win1", Unsupported: "ansible_connection=winrm is not supported"}
	var ce *ConnectError
	if err := pool.Connect(context.Background(), h); !errors.As(err, &ce) || !strings.Contains(err.Error(), "winrm") {
		t.Errorf("Connect: %v, want a ConnectError naming winrm", err)
	}
	res, err := pool.For(h).Run(context.Background(), Command{Script: "true"}, nil)
	if !errors.As(err, &ce) || res.OK() {
		t.Errorf("Run: %v, %v; want a ConnectError", res, err)
	}
}
