package main

import (
	"context"
	"fmt"

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
	return fanOut(len(hosts), c, func(i int) error {
		tr := pool.For(hosts[i])
		defer tr.Close()
		res, err := tr.Run(context.Background(), transport.Command{Script: "true"}, nil)
		if err == nil && !res.OK() {
			err = fmt.Errorf("%s: %s", hosts[i].Name, res)
		}
		return err
	})
}
