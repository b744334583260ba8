package output

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeUnits are the suffixes ParseSize accepts: IEC (powers of 1024) and SI (powers of 1000).
var sizeUnits = map[string]uint64{
	"": 1, "b": 1,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
}

// ParseSize reads a byte size: a whole number of bytes ("1048576") or a number with a unit, IEC ("64MiB",
// "1GiB") or SI ("500MB"); units ignore case and may follow a space. "64M" is refused as ambiguous.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	unit, ok := sizeUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	n, err := strconv.ParseUint(t[:i], 10, 64)
	if i == 0 || !ok || err != nil {
		return 0, fmt.Errorf("%q is not a size: use a form like 64MiB, 1GiB, 500MB or a number of bytes", s)
	}
	if n > math.MaxInt64/unit {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return int64(n * unit), nil
}

// FormatSize writes a byte count for people, in IEC units ("12 MiB", "1.5 GiB", "300 B").
func FormatSize(n uint64) string {
	const units = "KMGTPE"
	if n < 1<<10 {
		return fmt.Sprintf("%d B", n)
	}
	v, u := float64(n)/1024, 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if v >= 10 || v == math.Trunc(v) {
		return fmt.Sprintf("%.0f %ciB", math.Floor(v), units[u])
	}
	return fmt.Sprintf("%.1f %ciB", math.Floor(v*10)/10, units[u])
}
