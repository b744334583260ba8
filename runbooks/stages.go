package runbooks

import (
	"fmt"
	"strconv"
	"strings"
)

// Stage is one entry of a stage list: a host count, or a percentage of the whole host set.
type Stage struct {
	N       int  // the count, or the percentage when Percent is true
	Percent bool // N is a percentage (1-100) of the whole host set
}

// String renders the stage as it is written: "5" or "25%".
func (s Stage) String() string {
	if s.Percent {
		return strconv.Itoa(s.N) + "%"
	}
	return strconv.Itoa(s.N)
}

// size is the stage's host count for a host set of total hosts: a percentage floors, with a minimum of one,
// computed in floating point exactly as Ansible's pct_to_int does (int(p / 100.0 * n)): 29% of 100 hosts is
// 28 there, because 0.29 * 100 is 28.999999999999996.
func (s Stage) size(total int) int {
	if !s.Percent {
		return s.N
	}
	return max(int(float64(s.N)/100.0*float64(total)), 1)
}

// Stages is a ramp of stages with Ansible's `serial` list semantics, e.g. "1,5,25%,100%".
type Stages []Stage

// DefaultStages is the ramp a run uses when neither the step nor the operator names one.
const DefaultStages = "1,5,25%,100%"

// ParseStages parses a comma-separated stage list such as "1,5,25%,100%". Each entry is a host count of at
// least 1 or a percentage from 1% to 100%.
func ParseStages(s string) (Stages, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty stage list: write counts and percentages separated by commas, e.g. %q", DefaultStages)
	}
	var st Stages
	for i, f := range strings.Split(s, ",") {
		e, err := parseStage(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("stage %d of %q: %w", i+1, s, err)
		}
		st = append(st, e)
	}
	return st, nil
}

// parseStage parses one entry of a stage list.
func parseStage(f string) (Stage, error) {
	num, pct := strings.CutSuffix(f, "%")
	n, err := strconv.Atoi(num)
	if err != nil || num == "" || strings.ContainsAny(num, "+-") {
		return Stage{}, fmt.Errorf("%q is neither a host count (e.g. 5) nor a percentage (e.g. 25%%)", f)
	}
	switch {
	case pct && (n < 1 || n > 100):
		return Stage{}, fmt.Errorf("%q: a percentage must be from 1%% to 100%%", f)
	case !pct && n < 1:
		return Stage{}, fmt.Errorf("%q: a stage needs at least one host", f)
	}
	return Stage{N: n, Percent: pct}, nil
}

// String renders the list as it is written, e.g. "1,5,25%,100%".
func (st Stages) String() string {
	parts := make([]string, len(st))
	for i, s := range st {
		parts[i] = s.String()
	}
	return strings.Join(parts, ",")
}

// Split returns the batch sizes for n hosts, as Ansible's `serial` list does: each entry is a count or a
// percentage of all n hosts (floored, at least one), the last entry repeats until every host is covered,
// and no batch is larger than the hosts that remain. An empty list is one batch of everything.
func (st Stages) Split(n int) []int {
	if n <= 0 {
		return nil
	}
	if len(st) == 0 {
		return []int{n}
	}
	var batches []int
	for left, i := n, 0; left > 0; i = min(i+1, len(st)-1) {
		b := min(st[i].size(n), left)
		batches = append(batches, b)
		left -= b
	}
	return batches
}
