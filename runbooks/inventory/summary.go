package inventory

import (
	"strconv"
	"strings"
)

// handful is how many hosts (or ranges of hosts) a message names before it summarises the rest: a line
// that names 5,000 hosts is read by no one.
const handful = 5

// Summarize names hosts for a message, in the order given: every name of a handful; past that, runs of
// three or more consecutively numbered names (same prefix, suffix and padding) as first–last, the first
// few of those then "and N more", and how many in all: "host00001–host05000, 5,000 hosts",
// "web1, web3, db1–db9 and 4,990 more (5,000 hosts)". Where the full list matters (--json, event data,
// the run screen), keep the list: this is only for text.
func Summarize(names []string) string { return summarize(names, true) }

// Abbreviate is Summarize without the count in all, for a message that says how many already:
// "stage 2/3 (4,999 hosts): host00002–host05000".
func Abbreviate(names []string) string { return summarize(names, false) }

func summarize(names []string, total bool) string {
	if len(names) <= handful {
		return strings.Join(names, ", ")
	}
	var b strings.Builder
	shown := 0
	for items := 0; items < handful && shown < len(names); items++ {
		if items > 0 {
			b.WriteString(", ")
		}
		b.WriteString(names[shown])
		if n := runLen(names[shown:]); n >= 3 {
			b.WriteString("–")
			b.WriteString(names[shown+n-1])
			shown += n
		} else {
			shown++
		}
	}
	switch {
	case shown < len(names):
		b.WriteString(" and " + Count(len(names)-shown) + " more")
		if total {
			b.WriteString(" (" + Count(len(names)) + " hosts)")
		}
	case total:
		b.WriteString(", " + Count(len(names)) + " hosts")
	}
	return b.String()
}

// runLen is how many names from the first are consecutively numbered in the same place: 1 when the
// second does not follow the first.
func runLen(names []string) int {
	if len(names) < 2 {
		return len(names)
	}
	at, ok := follows(names[0], names[1])
	if !ok {
		return 1
	}
	n := 2
	for n < len(names) {
		if p, ok := follows(names[n-1], names[n]); !ok || p != at {
			break
		}
		n++
	}
	return n
}

// follows reports whether b is a with one run of digits one higher (and nothing else changed), and where
// that run starts. Zero padding must agree: web09 → web10 and web9 → web10 follow, web09 → web010 and
// web8 → web09 do not.
func follows(a, b string) (at int, ok bool) {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	for p > 0 && isDigit(a[p-1]) {
		p--
	}
	ea, eb := digitsEnd(a, p), digitsEnd(b, p)
	da, db := a[p:ea], b[p:eb]
	if da == "" || db == "" || a[ea:] != b[eb:] {
		return 0, false
	}
	if len(da) != len(db) && (padded(da) || padded(db)) {
		return 0, false
	}
	return p, succeeds(da, db)
}

// succeeds reports whether the decimal digits b are a plus one, read as text (numbers of any length, no
// parsing): the trailing 9s of a are 0s in b and the digit before them one more; a of all 9s carries
// into a new leading 1.
func succeeds(a, b string) bool {
	i := len(a) - 1
	for i >= 0 && a[i] == '9' {
		i--
	}
	if i < 0 { // 99 → 100
		return len(b) == len(a)+1 && b[0] == '1' && strings.Count(b[1:], "0") == len(a)
	}
	if len(b) != len(a) || b[i] != a[i]+1 || a[:i] != b[:i] {
		return false
	}
	return strings.Count(b[i+1:], "0") == len(b)-i-1
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digitsEnd(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// padded reports whether a number is written with leading zeros.
func padded(digits string) bool { return len(digits) > 1 && digits[0] == '0' }

// Count writes n with thousands separators, as the summaries do: 5,000.
func Count(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	if len(s) <= 3 {
		return strconv.Itoa(n)
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	first := len(s) % 3
	if first == 0 {
		first = 3
	}
	b.WriteString(s[:first])
	for i := first; i < len(s); i += 3 {
		b.WriteByte(',')
		b.WriteString(s[i : i+3])
	}
	return b.String()
}
