// Package lint checks runbooks the way CI should: the format (every problem the loader finds) and every
// bash fragment (script, check, verify, rollback, dry_run) with ShellCheck, reporting each finding at its
// line and column in the TOML file.
package lint

import (
	"fmt"
	"strings"
)

// Finding is one thing lint found, at a position in a runbook file.
type Finding struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Col      int    `json:"column"`
	Severity string `json:"severity"` // error, warning, info or style (ShellCheck's levels)
	Message  string `json:"message"`
	Code     string `json:"code,omitempty"` // e.g. "SC2086"; empty for a problem of the runbook format
	Runbook  string `json:"runbook,omitempty"`
	Step     string `json:"step,omitempty"`
	Fragment string `json:"fragment,omitempty"` // the field: script, check, verify, rollback, dry_run, ...
}

// String formats the finding as FILE:LINE:COL: severity: message (SCnnnn) [runbook/step/fragment].
func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(f.File)
	if f.Line > 0 {
		fmt.Fprintf(&b, ":%d", f.Line)
		if f.Col > 0 {
			fmt.Fprintf(&b, ":%d", f.Col)
		}
	}
	fmt.Fprintf(&b, ": %s: %s", f.Severity, f.Message)
	if f.Code != "" {
		fmt.Fprintf(&b, " (%s)", f.Code)
	}
	var ctx []string
	for _, s := range []string{f.Runbook, f.Step, f.Fragment} {
		if s != "" {
			ctx = append(ctx, s)
		}
	}
	if len(ctx) > 0 {
		fmt.Fprintf(&b, " [%s]", strings.Join(ctx, "/"))
	}
	return b.String()
}

// Report is the result of a lint: what was checked and everything found, sorted by file and position.
type Report struct {
	Files     int       `json:"files"`
	Runbooks  int       `json:"runbooks"`
	Fragments int       `json:"fragments"`
	Findings  []Finding `json:"findings"`
	// Omitted counts the problems of files that had more than tomlcheck.MaxProblems, left out of Findings.
	Omitted []Omitted `json:"omitted,omitempty"`
}

// Omitted is how many problems of a file were found past tomlcheck.MaxProblems and left out.
type Omitted struct {
	File  string `json:"file"`
	Count int    `json:"count"`
}

// String is the line that stands for them: ... and N more problems in FILE.
func (o Omitted) String() string {
	return fmt.Sprintf("... and %d more problems in %s", o.Count, o.File)
}

// Clean reports whether lint found nothing. A command exits 0 when clean and 1 otherwise; an error from
// lint itself (unusable input, no ShellCheck) is exit 2.
func (r *Report) Clean() bool { return len(r.Findings) == 0 && len(r.Omitted) == 0 }

// Total is the number of findings, those left out included.
func (r *Report) Total() int {
	n := len(r.Findings)
	for _, o := range r.Omitted {
		n += o.Count
	}
	return n
}
