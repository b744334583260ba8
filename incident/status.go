package incident

import (
	"slices"
	"strings"

	"github.com/firebreak/firebreak/store"
)

// Status is where an incident is in its lifecycle.
type Status string

// The lifecycle, in order.
const (
	Investigating Status = "investigating"
	Identified    Status = "identified"
	Mitigating    Status = "mitigating"
	Monitoring    Status = "monitoring"
	Resolved      Status = "resolved"
	Closed        Status = "closed"
)

// Lifecycle lists the statuses in order.
var Lifecycle = []Status{Investigating, Identified, Mitigating, Monitoring, Resolved, Closed}

// OpenStatuses are the statuses of incidents still being worked on.
var OpenStatuses = []Status{Investigating, Identified, Mitigating, Monitoring}

// ParseStatus accepts a status name, case-insensitively.
func ParseStatus(s string) (Status, error) {
	st := Status(strings.ToLower(strings.TrimSpace(s)))
	if st.index() < 0 {
		return "", store.Errorf(ErrInvalid, "status %q: use one of %s", s, joinStatuses(Lifecycle))
	}
	return st, nil
}

func (s Status) index() int { return slices.Index(Lifecycle, s) }

// Open reports whether the incident is still being worked on.
func (s Status) Open() bool { return slices.Contains(OpenStatuses, s) }

// Next lists the statuses an incident may move to from s: any later one, or back exactly one step.
func (s Status) Next() []Status {
	i := s.index()
	var out []Status
	out = append(out, Lifecycle[i+1:]...)
	if i > 0 {
		out = append(out, Lifecycle[i-1])
	}
	return out
}

// CanMoveTo reports whether to is one of Next, and whether it is a step back.
func (s Status) CanMoveTo(to Status) (ok, back bool) {
	if !slices.Contains(s.Next(), to) {
		return false, false
	}
	return true, to.index() < s.index()
}

func joinStatuses(ss []Status) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, ", ")
}
