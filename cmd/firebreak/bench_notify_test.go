package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// BenchmarkNotifyDryRun times a 2,000-host dry run (every host ansible_connection=local) through the real
// binary, without notify hooks and with a 5 s hook on every event, alternating the two (ABBA) so that both
// see the same machine load. It reports the median of each and their ratio (the goal: at most 1.10), and logs the
// fastest of each.
//
//	go test -run '^$' -bench NotifyDryRun -benchtime 10x ./cmd/firebreak/
func BenchmarkNotifyDryRun(b *testing.B) {
	const hosts = 2000
	root := b.TempDir()
	work := filepath.Join(root, "work")
	for _, d := range []string{work, filepath.Join(root, "home"), filepath.Join(root, "config")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	// Registered after b.TempDir, so it runs first: the detached notify runners and their sleeping hooks
	// are killed (by pid) before the directory is removed.
	b.Cleanup(func() {
		for pid := range procsIn(work) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	inv := filepath.Join(root, "fleet.ini")
	noHooks, slowHook := filepath.Join(root, "none.toml"), filepath.Join(root, "hook.toml")
	for path, data := range map[string]string{
		inv:      fmt.Sprintf("[fleet]\nh[0001:%04d]\n\n[all:vars]\nansible_connection=local\n", hosts),
		noHooks:  "",
		slowHook: "[[notify]]\nevents = [\"*\"]\ncommand = [\"sleep\", \"5\"]\n",
	} {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	env := append(os.Environ(), "HOME="+filepath.Join(root, "home"), "XDG_CONFIG_HOME="+filepath.Join(root, "config"),
		"XDG_DATA_HOME="+filepath.Join(root, "data"), "FIREBREAK_DB="+filepath.Join(root, "fb.db"))
	fb := func(args ...string) time.Duration {
		cmd := exec.Command(fbBin, args...)
		cmd.Dir, cmd.Env = work, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("firebreak %q: %v\n%s", args, err, out.Bytes())
		}
		return time.Since(start)
	}
	fb("--config", noHooks, "declare", "benchmark")
	run := func(config string) time.Duration {
		return fb("--config", config, "run", "INC-1", "--command", "true", "-i", inv, "--hosts", "all", "--dry-run",
			"--stages", "100%", "--concurrency", "50")
	}
	var without, with []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 { // ABBA order, so a drift in the machine's load falls on both alike
			without = append(without, run(noHooks))
			with = append(with, run(slowHook))
		} else {
			with = append(with, run(slowHook))
			without = append(without, run(noHooks))
		}
	}
	b.StopTimer()
	// The machine is shared: the median is the honest figure, the fastest run the least disturbed one.
	median := func(ds []time.Duration) time.Duration { slices.Sort(ds); return ds[len(ds)/2] }
	m0, m1 := median(without), median(with)
	f0, f1 := slices.Min(without), slices.Min(with)
	b.Logf("%d hosts, %d runs each: median %v without hooks, %v with a 5s hook on every event (ratio %.3f); fastest %v and %v (ratio %.3f)",
		hosts, b.N, m0, m1, float64(m1)/float64(m0), f0, f1, float64(f1)/float64(f0))
	b.Logf("without hooks %v\nwith the hook  %v", without, with)
	b.ReportMetric(float64(m0.Milliseconds()), "ms-without-hooks")
	b.ReportMetric(float64(m1.Milliseconds()), "ms-with-hook")
	b.ReportMetric(float64(m1)/float64(m0), "ratio")
}
