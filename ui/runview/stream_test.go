package runview

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/runbooks/rollout"
)

// stream feeds n output lines through the bridge's Watch from another goroutine (as the engine's hosts
// do), while this goroutine runs the model's loop: wait for a frame, Update, View. It returns the lines
// absorbed per second, the frames drawn, and the longest a Watch call took.
var slowOver atomic.Int64

func stream(m *Model, n int) (perSec float64, frames int, slowest time.Duration) {
	br := m.live.br
	hosts := []string{"web1", "web2", "web3", "db1", "db2"}
	fed := make(chan time.Duration, 1)
	start := time.Now()
	go func() {
		var worst time.Duration
		over := 0
		defer func() { slowOver.Store(int64(over)) }()
		for i := range n {
			t0 := time.Now()
			br.watch(rollout.Update{Kind: rollout.UpdateLine, Host: hosts[i%len(hosts)],
				Line: output.Line{Text: "GET /api/checkout 200 12ms upstream=10.0.0.7:8080 request_id=4f1c9a"}})
			d := time.Since(t0)
			if d > worst {
				worst = d
			}
			if d > time.Millisecond {
				over++
			}
		}
		fed <- worst
	}()
	l := m.live
	want := l.lines + l.dropped + int64(n)
	for l.lines+l.dropped < want {
		msg := br.waitFor()()
		m.Update(msg)
		m.View()
		frames++
	}
	el := time.Since(start)
	slowest = <-fed
	return float64(n) / el.Seconds(), frames, slowest
}

// TestStream200kLines feeds 200,000 lines and checks the screen absorbs them faster than the SPEC's
// 50,000 lines a second, redrawing at most ~30 times a second, while Watch never blocks the run.
func TestStream200kLines(t *testing.T) {
	e := newEnv(t, incident.SEV3, "")
	m := syntheticRun(t, e)
	feedStageTwo(m)
	perSec, frames, slowest := stream(m, 200_000)
	t.Logf("200,000 lines: %.0f lines/s absorbed, %d frames, %d shown, %d dropped, slowest Watch %v (%d over 1ms)",
		perSec, frames, m.live.lines, m.live.dropped, slowest, slowOver.Load())
	if perSec < 50_000 {
		t.Errorf("%.0f lines/s, below the 50,000 target", perSec)
	}
	if got := m.live.lines + m.live.dropped; got != 200_000+4 {
		t.Errorf("%d lines accounted for", got)
	}
	if r := m.live.byName["web2"].out; r.Len() != hostLines {
		t.Errorf("web2 keeps %d lines, want the last %d", r.Len(), hostLines)
	}
	checkFits(t, m.View(), 80, 24)
}

// BenchmarkStreamLines reports how many output lines a second the run screen absorbs (Update + View at
// the frame rate) while a producer goroutine feeds them as fast as it can.
func BenchmarkStreamLines(b *testing.B) {
	var total float64
	var frames int
	for range b.N {
		b.StopTimer()
		e := newEnv(b, incident.SEV3, "")
		m := syntheticRun(b, e)
		b.StartTimer()
		perSec, f, _ := stream(m, 200_000)
		total += perSec
		frames += f
	}
	b.ReportMetric(total/float64(b.N), "lines/s")
	b.ReportMetric(float64(frames)/float64(b.N), "frames/200k")
}
