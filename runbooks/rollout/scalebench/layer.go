package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/transport"
)

// runTransport is the transport child: firebreak's own SSH layer without the rollout engine. It loads the
// inventory and ssh_config as firebreak does and, for every host at concurrency c, runs `true` through
// transport.Pool (firebreak's remote command: the wrapper with its dead-man's switch) and closes the host's
// connection, as a run does when a host is done. It records nothing. Between the floor and firebreak it
// splits the difference: what the remote command costs, and what the engine and the record cost.
func runTransport(invPath, sshConfig, home string, c int) error {
	inv, err := inventory.Load([]string{invPath}, inventory.Options{SSHConfig: []string{sshConfig}, Home: home})
	if err != nil {
		return err
	}
	hosts := inv.Hosts()
	pool := transport.NewPool(transport.Config{AgentSocket: "none"})
	defer pool.Close()
	var (
		next     atomic.Int64
		failed   atomic.Int64
		firstErr error
		once     sync.Once
		wg       sync.WaitGroup
	)
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(hosts) {
					return
				}
				tr := pool.For(hosts[i])
				res, err := tr.Run(context.Background(), transport.Command{Script: "true"}, nil)
				if err == nil && !res.OK() {
					err = fmt.Errorf("%s: %s", hosts[i].Name, res)
				}
				tr.Close()
				if err != nil {
					failed.Add(1)
					once.Do(func() { firstErr = err })
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("%d of %d hosts failed, the first: %v", n, len(hosts), firstErr)
	}
	return nil
}
