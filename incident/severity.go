package incident

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/firebreak/firebreak/store"
)

// Severity is SEV1 (the worst) to SEV4.
type Severity int

// The severities, worst first.
const (
	SEV1 Severity = iota + 1
	SEV2
	SEV3
	SEV4
)

// DefaultSeverity is what `declare` uses when no --sev is given.
const DefaultSeverity = SEV3

// ParseSeverity accepts 1..4, SEV1..SEV4 and sev1..sev4.
func ParseSeverity(s string) (Severity, error) {
	t := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "SEV")
	n, err := strconv.Atoi(t)
	if err != nil || n < 1 || n > 4 {
		return 0, store.Errorf(ErrInvalid, "severity %q: use 1, 2, 3 or 4 (SEV1 is the worst)", s)
	}
	return Severity(n), nil
}

func (s Severity) String() string { return fmt.Sprintf("SEV%d", int(s)) }

// MarshalJSON writes "SEV2".
func (s Severity) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads "SEV2" or 2.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	parsed, err := ParseSeverity(fmt.Sprint(v))
	*s = parsed
	return err
}
