package runbooks

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxFail is how many failures a stage tolerates: a count, or a percentage of the stage's hosts. A stage
// halts the run when its failures exceed it (exceeded, not reached, as Ansible's max_fail_percentage).
// The zero value tolerates no failure at all.
type MaxFail struct {
	N       int  // the count, or the percentage when Percent is true
	Percent bool // N is a percentage (0-100) of the stage's hosts
}

// ParseMaxFail parses a failure tolerance: a count such as "2" or a percentage such as "10%".
func ParseMaxFail(s string) (MaxFail, error) {
	f := strings.TrimSpace(s)
	num, pct := strings.CutSuffix(f, "%")
	n, err := strconv.Atoi(num)
	if err != nil || num == "" || strings.ContainsAny(num, "+-") {
		return MaxFail{}, fmt.Errorf("max_fail %q is neither a count (e.g. 2) nor a percentage (e.g. 10%%)", s)
	}
	if pct && n > 100 {
		return MaxFail{}, fmt.Errorf("max_fail %q: a percentage must be from 0%% to 100%%", s)
	}
	return MaxFail{N: n, Percent: pct}, nil
}

// Exceeded reports whether failed failures in a stage of size hosts exceed the tolerance.
func (m MaxFail) Exceeded(failed, size int) bool {
	if m.Percent {
		// failed/size > N/100, kept in integers so 1 of 3 against 33% is exact.
		return failed*100 > m.N*size
	}
	return failed > m.N
}

// String renders the tolerance as it is written: "2" or "10%".
func (m MaxFail) String() string {
	if m.Percent {
		return strconv.Itoa(m.N) + "%"
	}
	return strconv.Itoa(m.N)
}
