package transport

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
)

// haltScript starts a long sleep after writing the wrapper's pid (its session and process group on the
// host) to dir/NAME.pid, NAME being the sshtest host (or "local").
func haltScript(dir string) string {
	return fmt.Sprintf(`echo $$ > %s/"${FIREBREAK_SSHTEST_HOST:-local}".pid; sleep 300`, dir)
}

// waitGone polls until no process of the groups or sessions (field) ids is left and returns how long
// that took from since, or fails after timeout listing what is left (and kills it).
func waitGone(tb testing.TB, field sshtest.By, ids []int, since time.Time, timeout time.Duration) time.Duration {
	tb.Helper()
	for {
		live := sshtest.Live(field, ids)
		if len(live) == 0 {
			return time.Since(since)
		}
		if time.Since(since) > timeout {
			var desc []string
			for _, p := range live {
				cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
				desc = append(desc, fmt.Sprintf("%d %q", p, strings.ReplaceAll(string(cmd), "\x00", " ")))
				killPid(p)
			}
			tb.Fatalf("%d processes still run on the hosts %s after: %s", len(live), timeout, strings.Join(desc, "; "))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// BenchmarkHaltLatency starts `sleep 300` on 50 real sshd hosts (sshtest: four sshd processes serving 50
// ports, one connection and so one sshd session process per host, as on 50 machines), cancels the
// context of all 50 Runs at once and measures, on the host side (/proc), the time until the last process
// of the commands' process groups is gone (gone-ms), until the wrappers' watchers have left too
// (all-ms), and until the last Run returned (return-ms). Connections are reused across iterations, as
// within a run; starting 50 commands takes seconds (every session's login shell sources ~/.bashrc) and is
// not measured. Metrics: p50 and p99 over the iterations (use -benchtime=10x or more).
func BenchmarkHaltLatency(b *testing.B) {
	const n = 50
	hosts := sshtest.Start(b, n).LoadInventory(b).Hosts()
	pool := NewPool(Config{AgentSocket: "none"})
	defer pool.Close()
	var lat, all, ret []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var last time.Time
		var mu sync.Mutex
		for _, h := range hosts {
			wg.Add(1)
			go func(h *inventory.Host) {
				defer wg.Done()
				res, err := pool.For(h).Run(ctx, Command{Script: haltScript(dir)}, nil)
				if err != nil || !res.Cancelled || res.KillErr != nil {
					b.Errorf("%s: %v %+v", h.Name, err, res)
				}
				mu.Lock()
				last = time.Now()
				mu.Unlock()
			}(h)
		}
		pids := sshtest.WaitPids(b, dir, n, 2*time.Minute)
		time.Sleep(50 * time.Millisecond) // let every wrapper settle into its sleep
		start := time.Now()
		cancel()
		lat = append(lat, waitGone(b, sshtest.ByGroup, pids, start, 30*time.Second))
		all = append(all, waitGone(b, sshtest.BySession, pids, start, 30*time.Second))
		wg.Wait()
		ret = append(ret, last.Sub(start))
	}
	b.StopTimer()
	b.ReportMetric(percentile(lat, 50).Seconds()*1000, "p50-gone-ms")
	b.ReportMetric(percentile(lat, 99).Seconds()*1000, "p99-gone-ms")
	b.ReportMetric(percentile(all, 50).Seconds()*1000, "p50-all-ms")
	b.ReportMetric(percentile(all, 99).Seconds()*1000, "p99-all-ms")
	b.ReportMetric(percentile(ret, 50).Seconds()*1000, "p50-return-ms")
	b.ReportMetric(percentile(ret, 99).Seconds()*1000, "p99-return-ms")
}

// percentile is the nearest-rank percentile of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, max(0, (p*len(s)+99)/100-1))]
}

// killPid kills a leftover process so a failing test does not leave it running.
func killPid(pid int) { _ = syscall.Kill(pid, syscall.SIGKILL) }
