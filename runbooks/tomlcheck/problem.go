// Package tomlcheck decodes TOML strictly: syntax errors, type mismatches and unknown keys are all reported
// with the file, line and column where a person has to look, because a typo like `rolback` that is silently
// ignored is how a runbook loses its rollback.
package tomlcheck

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong in a TOML file, with its position (1-based; 0 when unknown).
type Problem struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
	Msg  string `json:"message"`
}

// Error formats the problem as FILE:LINE:COL: MSG, the form editors and CI logs understand.
func (p Problem) Error() string {
	switch {
	case p.Line > 0 && p.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	default:
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	}
}

// Problems is every problem found in one or more files; it implements error.
type Problems []Problem

// Error lists the problems one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns ps as an error, or nil when there are none, so callers never hold a non-nil empty error.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}
