package incident

import (
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
)

func TestMeasureDuration(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	m := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	full := map[Milestone]time.Time{ImpactStarted: m(-10), Detected: m(0), Acknowledged: m(3), Mitigated: m(40), ResolvedAt: m(100)}
	noImpact := map[Milestone]time.Time{Detected: m(0), Acknowledged: m(3), Mitigated: m(40)}
	backwards := map[Milestone]time.Time{ImpactStarted: m(5), Detected: m(0), Acknowledged: m(-1)}
	for _, c := range []struct {
		ms   map[Milestone]time.Time
		m    Measure
		want int // minutes; -1: none
	}{
		{full, TimeToDetect, 10}, {full, TimeToAcknowledge, 3}, {full, TimeToMitigate, 50}, {full, TimeToResolve, 110},
		// Without impact_started there is no time to detect; the others start at detected.
		{noImpact, TimeToDetect, -1}, {noImpact, TimeToAcknowledge, 3}, {noImpact, TimeToMitigate, 40}, {noImpact, TimeToResolve, -1},
		// Times that run backwards are no measure.
		{backwards, TimeToDetect, -1}, {backwards, TimeToAcknowledge, -1},
		{nil, TimeToMitigate, -1},
	} {
		d, ok := c.m.Duration(c.ms)
		got := -1
		if ok {
			got = int(d / time.Minute)
		}
		if got != c.want {
			t.Errorf("%s of %v: %d min (ok %v), want %d", c.m, c.ms, got, ok, c.want)
		}
	}
}

func TestHostTouched(t *testing.T) {
	for _, c := range []struct {
		h    store.RunHost
		want bool
	}{
		{store.RunHost{State: "ok"}, true},
		{store.RunHost{State: "changed"}, true},
		{store.RunHost{State: "failed"}, true},
		{store.RunHost{State: "unknown"}, true},
		{store.RunHost{State: "running"}, true},
		{store.RunHost{State: "pending"}, false},
		{store.RunHost{State: "skipped"}, false},
		{store.RunHost{State: "cancelled", ExitCode: -1}, false},                           // never started
		{store.RunHost{State: "cancelled", ExitCode: -1, Duration: 2 * time.Second}, true}, // stopped by a halt
	} {
		if got := HostTouched(c.h); got != c.want {
			t.Errorf("HostTouched(%+v) = %v, want %v", c.h, got, c.want)
		}
	}
}
