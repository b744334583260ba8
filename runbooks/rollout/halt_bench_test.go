package rollout

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
)

// BenchmarkHaltFleet measures the off-switch end to end: 50 hosts of real sshd each in flight with a
// long command, `firebreak halt` from another process (another database handle writing the off-switch
// file), and the time until the last remote process group is gone, as seen on the host side (/proc).
//
//	go test -run '^$' -bench HaltFleet -benchtime 10x ./runbooks/rollout/
func BenchmarkHaltFleet(b *testing.B) {
	const n = 50
	f := newFixtureTB(b, n, 3)
	other, err := store.Open(context.Background(), f.db.Path(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer other.Close()
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir := filepath.Join(f.dir, fmt.Sprintf("pids%d", i))
		os.MkdirAll(dir, 0o700)
		script := Script{Main: `: "$FIREBREAK_DRY_RUN"; echo $$ > ` + dir + `/"$FIREBREAK_HOST".pid; sleep 300`}
		spec := f.spec(script, true, "100%")
		spec.Concurrency = n
		done := make(chan *Summary, 1)
		go func() {
			sum, err := f.engine("root").Run(context.Background(), spec)
			if err != nil {
				b.Error(err)
			}
			done <- sum
		}()
		pids := waitPids(b, dir, n, 2*time.Minute)
		time.Sleep(100 * time.Millisecond)
		start := time.Now()
		if _, err := Halt(context.Background(), other, "root as bob", "bench", nil); err != nil {
			b.Fatal(err)
		}
		for len(groupsAlive(pids)) > 0 {
			if time.Since(start) > 30*time.Second {
				b.Fatalf("still alive after 30s: %v", groupsAlive(pids))
			}
			time.Sleep(2 * time.Millisecond)
		}
		lat = append(lat, time.Since(start))
		if sum := <-done; sum == nil || sum.Status != StatusHalted {
			b.Fatalf("run not halted: %+v", sum)
		}
		if _, err := Resume(context.Background(), other, "root as bob", "bench", nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(p(0.5), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

func waitPids(tb testing.TB, dir string, n int, limit time.Duration) []int {
	deadline := time.Now().Add(limit)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.pid"))
		var pids []int
		for _, file := range files {
			data, _ := os.ReadFile(file)
			if p, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
				pids = append(pids, p)
			}
		}
		if len(pids) == n {
			return pids
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d of %d hosts started", len(pids), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// groupsAlive lists the processes (not zombies) whose process group is one of groups.
func groupsAlive(groups []int) []int {
	ents, _ := os.ReadDir("/proc")
	var live []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(data)
		fs := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fs) < 3 || fs[0] == "Z" {
			continue
		}
		if g, _ := strconv.Atoi(fs[2]); slices.Contains(groups, g) {
			live = append(live, pid)
		}
	}
	return live
}
