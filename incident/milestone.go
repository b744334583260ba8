package incident

import (
	"strings"
	"time"

	"github.com/firebreak/firebreak/store"
)

// Milestone is a moment in an incident the metrics are computed from.
type Milestone string

// The milestones, in the order they usually happen.
const (
	ImpactStarted Milestone = "impact_started"
	Detected      Milestone = "detected"
	Acknowledged  Milestone = "acknowledged"
	Mitigated     Milestone = "mitigated"
	ResolvedAt    Milestone = "resolved"
)

// Milestones lists every milestone in order.
var Milestones = []Milestone{ImpactStarted, Detected, Acknowledged, Mitigated, ResolvedAt}

// ParseMilestone accepts a milestone name; dashes and spaces may stand for underscores.
func ParseMilestone(s string) (Milestone, error) {
	m := Milestone(strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToLower(strings.TrimSpace(s))))
	for _, known := range Milestones {
		if m == known {
			return m, nil
		}
	}
	return "", store.Errorf(ErrInvalid, "milestone %q: use impact_started, detected, acknowledged, mitigated or resolved", s)
}

// ParseTime reads a time a person types at 3 a.m.: "now", "-15m" (that long ago), "14:05" (today, local
// time, or yesterday if that is still to come), "2026-11-21 14:05" (local), or RFC 3339.
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "now" {
		return now.UTC(), nil
	}
	if strings.HasPrefix(s, "-") {
		if d, err := time.ParseDuration(s[1:]); err == nil && d >= 0 {
			return now.Add(-d).UTC(), nil
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, now.Location()); err == nil {
			return t.UTC(), nil
		}
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err := time.ParseInLocation(layout, s, now.Location()); err == nil {
			y, mo, d := now.Date()
			at := time.Date(y, mo, d, t.Hour(), t.Minute(), t.Second(), 0, now.Location())
			if at.After(now) {
				at = at.AddDate(0, 0, -1)
			}
			return at.UTC(), nil
		}
	}
	return time.Time{}, store.Errorf(ErrInvalid, "time %q: use now, -15m, 14:05, \"2026-11-21 14:05\" or RFC 3339", s)
}
