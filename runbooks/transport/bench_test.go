package transport

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
)

// BenchmarkHandshake measures connecting (TCP, SSH handshake, key login) plus one `true` per host, with a
// fresh pool each op and 10 hosts at a time. Metrics: ns/host (wall) and cpu-ns/host (client CPU from
// getrusage). By default it starts 32 loopback hosts with sshtest; FIREBREAK_BENCH_FLEET=DIR uses a fleet
// from ../shared/fleet (DIR/hosts.txt resolved through DIR/ssh_config), e.g. 100 hosts.
func BenchmarkHandshake(b *testing.B) {
	hosts := benchHosts(b)
	b.Run("connect", func(b *testing.B) { benchFanOut(b, hosts, false) })
	b.Run("connect+true", func(b *testing.B) { benchFanOut(b, hosts, true) })
}

func benchFanOut(b *testing.B, hosts []*inventory.Host, run bool) {
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		pool := NewPool(Config{AgentSocket: "none", MaxHandshakes: 10})
		sem := make(chan struct{}, 10)
		var wg sync.WaitGroup
		for _, h := range hosts {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if !run {
					if err := pool.Connect(context.Background(), h); err != nil {
						b.Errorf("%s: %v", h.Name, err)
					}
					return
				}
				res, err := pool.For(h).Run(context.Background(), Command{Script: "true"}, nil)
				if err != nil || res.ExitCode != 0 {
					b.Errorf("%s: %v %+v", h.Name, err, res)
				}
			}()
		}
		wg.Wait()
		pool.Close()
	}
	n := float64(b.N * len(hosts))
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/n, "ns/host")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/n, "cpu-ns/host")
}

func benchHosts(b *testing.B) []*inventory.Host {
	if dir := os.Getenv("FIREBREAK_BENCH_FLEET"); dir != "" {
		inv, err := inventory.Load([]string{filepath.Join(dir, "hosts.txt")}, inventory.Options{SSHConfig: []string{filepath.Join(dir, "ssh_config")}})
		if err != nil {
			b.Fatal(err)
		}
		return inv.Hosts()
	}
	return sshtest.Start(b, 32).LoadInventory(b).Hosts()
}

// cpuTime is this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
