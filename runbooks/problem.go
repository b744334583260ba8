package runbooks

import (
	"strings"

	"github.com/firebreak/firebreak/runbooks/tomlcheck"
)

// Problem is one thing wrong in a runbook file, with its position and, where known, the runbook, step and
// field it concerns.
type Problem struct {
	tomlcheck.Problem
	Runbook string `json:"runbook,omitempty"`
	Step    string `json:"step,omitempty"`
	Field   string `json:"field,omitempty"`
}

// Problems is every problem found while loading runbooks; it implements error.
type Problems []Problem

// Error lists the problems one per line, each as FILE:LINE:COL: MSG.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns ps as an error, or nil when there are none.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}
