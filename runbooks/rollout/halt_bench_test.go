package rollout

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
)

// BenchmarkHaltFleet measures the off-switch end to end: 50 hosts of real sshd each in flight with a
// long command, `firebreak halt` from another process (another database handle writing the off-switch
// file), and the time until the last remote process group is gone, as seen on the host side (/proc).
//
//	go test -run '^$' -bench HaltFleet -benchtime 10x ./runbooks/rollout/
func BenchmarkHaltFleet(b *testing.B) {
	const n = 50
	f := newFixtureTB(b, n, 3)
	other, err := engine.Open(context.Background(), f.db.LocalPath(), store.Options{})
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
		pids := sshtest.WaitPids(b, dir, n, 2*time.Minute)
		time.Sleep(100 * time.Millisecond)
		start := time.Now()
		if _, err := Halt(context.Background(), other, "root as bob", "bench", nil); err != nil {
			b.Fatal(err)
		}
		for len(sshtest.Live(sshtest.ByGroup, pids)) > 0 {
			if time.Since(start) > 30*time.Second {
				b.Fatalf("still alive after 30s: %v", sshtest.Live(sshtest.ByGroup, pids))
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
