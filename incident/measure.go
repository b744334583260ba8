package incident

import (
	"time"

	"github.com/firebreak/firebreak/store"
)

// Measure is one of the response times computed from an incident's milestones.
type Measure string

// The response times, in the order they happen.
const (
	TimeToDetect      Measure = "time_to_detect"
	TimeToAcknowledge Measure = "time_to_acknowledge"
	TimeToMitigate    Measure = "time_to_mitigate"
	TimeToResolve     Measure = "time_to_resolve"
)

// Measures lists the response times in order.
var Measures = []Measure{TimeToDetect, TimeToAcknowledge, TimeToMitigate, TimeToResolve}

// Span is where a response time starts and ends. The impact's start is impact_started when it is
// recorded, else detected (an incident rarely knows when its impact started).
func (m Measure) Span() (from, to Milestone) {
	switch m {
	case TimeToDetect:
		return ImpactStarted, Detected
	case TimeToAcknowledge:
		return Detected, Acknowledged
	case TimeToMitigate:
		return ImpactStarted, Mitigated
	default:
		return ImpactStarted, ResolvedAt
	}
}

// Label is the measure as people read it: "time to detect".
func (m Measure) Label() string {
	return map[Measure]string{TimeToDetect: "time to detect", TimeToAcknowledge: "time to acknowledge",
		TimeToMitigate: "time to mitigate", TimeToResolve: "time to resolve"}[m]
}

// ImpactStart is when the impact started as the metrics count it: impact_started, else detected.
func ImpactStart(ms map[Milestone]time.Time) time.Time {
	if t := ms[ImpactStarted]; !t.IsZero() {
		return t
	}
	return ms[Detected]
}

// Duration is the response time m of an incident with milestones ms, and false when a milestone it needs
// is not recorded (or the times run backwards): time to detect needs impact_started itself; the others
// start from ImpactStart or detected. A missing milestone is never guessed.
func (m Measure) Duration(ms map[Milestone]time.Time) (time.Duration, bool) {
	from, to := m.Span()
	start := ms[from]
	if from == ImpactStarted && m != TimeToDetect {
		start = ImpactStart(ms)
	}
	end := ms[to]
	if start.IsZero() || end.IsZero() || end.Before(start) {
		return 0, false
	}
	return end.Sub(start), true
}

// HostTouched reports whether a run did something on host h: it started there (any state but pending),
// the check did not find it already done (skipped), and it was not cancelled before it began (a cancelled
// host that ran for a while, say until a halt, was touched).
func HostTouched(h store.RunHost) bool {
	switch h.State {
	case "pending", "skipped":
		return false
	case "cancelled":
		return h.Duration > 0 || h.ExitCode != -1 // it ran for a while, or even ended
	}
	return true
}
