// Package tomlcheck decodes TOML strictly: syntax errors, type mismatches and unknown keys are all reported
// with the file, line and column where a person has to look, because a typo like `rolback` that is silently
// ignored is how a runbook loses its rollback.
package tomlcheck

import (
	"fmt"
	"strings"
)

// MaxProblems is the most problems reported for one file. Past it the file is more likely the wrong file
// than one with that many typos, and a message for each of a 1 MiB file's keys would take more memory
// than the file: the rest are counted in a last Problem (see More).
const MaxProblems = 1000

// Problem is one thing wrong in a TOML file, with its position (1-based; 0 when unknown). Col counts
// characters (Unicode code points, a tab as one), not bytes, as editors do: `é` before a mistake moves it one
// column, not two.
type Problem struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
	Msg  string `json:"message"`
	// More, when not zero, makes this the last problem of a file cut short at MaxProblems: how many more
	// were found and left out.
	More int `json:"more,omitempty"`
}

// MoreProblems is the last problem of a file cut short at MaxProblems, counting the n left out.
func MoreProblems(file string, n int) Problem {
	return Problem{File: file, Msg: fmt.Sprintf("... and %d more problems in %s", n, file), More: n}
}

// Error formats the problem as FILE:LINE:COL: MSG, the form editors and CI logs understand, or as
// "... and N more problems in FILE" for the count of those left out.
func (p Problem) Error() string {
	switch {
	case p.More > 0:
		return p.Msg
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
