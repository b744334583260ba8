package rollout

import (
	"fmt"
	"strings"
	"time"
)

// Hours are working hours: days of the week, a start and end time of day in a time zone, and holidays.
type Hours struct {
	Loc      *time.Location
	Days     [7]bool // by time.Weekday
	Start    int     // minutes after midnight
	End      int
	Holidays map[string]bool // YYYY-MM-DD in Loc
}

// NewHours builds Hours from the config's strings (already validated there; errors here are a backstop).
func NewHours(zone string, days []string, start, end string, holidays []string) (*Hours, error) {
	h := &Hours{Loc: time.Local, Holidays: map[string]bool{}}
	if zone != "" {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			return nil, fmt.Errorf("time zone %q: %w", zone, err)
		}
		h.Loc = loc
	}
	names := map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
		"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}
	for _, d := range days {
		wd, ok := names[strings.ToLower(d)]
		if !ok {
			return nil, fmt.Errorf("day %q: use mon..sun", d)
		}
		h.Days[wd] = true
	}
	for _, p := range []struct {
		s   string
		dst *int
	}{{start, &h.Start}, {end, &h.End}} {
		t, err := time.Parse("15:04", p.s)
		if err != nil {
			return nil, fmt.Errorf("time of day %q: use HH:MM", p.s)
		}
		*p.dst = t.Hour()*60 + t.Minute()
	}
	for _, d := range holidays {
		h.Holidays[d] = true
	}
	return h, nil
}

// Within reports whether t is inside working hours.
func (h *Hours) Within(t time.Time) bool {
	t = t.In(h.Loc)
	if !h.Days[t.Weekday()] || h.Holidays[t.Format("2006-01-02")] {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	return m >= h.Start && m < h.End
}

// Describe says when working hours are, for messages.
func (h *Hours) Describe() string {
	var days []string
	for wd, on := range h.Days {
		if on {
			days = append(days, time.Weekday(wd).String()[:3])
		}
	}
	zone := h.Loc.String()
	if h.Loc == time.Local {
		zone = time.Now().Format("MST")
	}
	if len(days) == 0 {
		return "no working days are configured"
	}
	return fmt.Sprintf("%s %02d:%02d-%02d:%02d %s", strings.Join(days, ","), h.Start/60, h.Start%60, h.End/60, h.End%60, zone)
}
