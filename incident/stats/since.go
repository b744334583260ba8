package stats

import (
	"strconv"
	"strings"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

// ParseSince reads how far back the trends go: a count of days or weeks (90d, 12w), a duration (36h), or
// a date (2026-01-31, UTC); it returns the time the window starts.
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if n, unit := strings.TrimRight(s, "dw"), strings.TrimLeft(s, "0123456789"); n != "" && (unit == "d" || unit == "w") {
		if k, err := strconv.Atoi(n); err == nil && k > 0 && k <= 100*366 {
			if unit == "w" {
				k *= 7
			}
			return now.AddDate(0, 0, -k).UTC(), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d).UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil && !t.After(now) {
		return t.UTC(), nil
	}
	return time.Time{}, store.Errorf(incident.ErrInvalid, "--since %q: give days or weeks back (90d, 12w), a duration (36h) or a past date (2026-01-31)", s)
}
