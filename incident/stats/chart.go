package stats

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak/firebreak/incident"
)

// The charts are text: the command line prints them as they are and the console colours their pieces. The
// scaling lives here, once.

// sparks are the eight heights of a sparkline.
var sparks = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws one rune per value, its height scaled to the largest; a nil value (no data that week)
// is a blank, so a gap never reads as a low.
func Sparkline(values []*float64) string {
	top := 0.0
	for _, v := range values {
		if v != nil && *v > top {
			top = *v
		}
	}
	var b strings.Builder
	for _, v := range values {
		switch {
		case v == nil:
			b.WriteRune(' ')
		case top == 0:
			b.WriteRune(sparks[0])
		default:
			b.WriteRune(sparks[min(len(sparks)-1, int(math.Round(*v/top*float64(len(sparks)-1))))])
		}
	}
	return b.String()
}

// Counts draws counts as a sparkline.
func Counts(ns []int) string {
	vs := make([]*float64, len(ns))
	for i, n := range ns {
		f := float64(n)
		vs[i] = &f
	}
	return Sparkline(vs)
}

// Widths scales the parts of a stacked bar to cells, the whole bar of total parts of largest taking width
// cells: each part gets its share rounded, a part that is not zero gets at least one cell.
func Widths(parts []int, largest, width int) []int {
	out := make([]int, len(parts))
	if largest <= 0 || width <= 0 {
		return out
	}
	for i, p := range parts {
		if p <= 0 {
			continue
		}
		out[i] = max(1, int(math.Round(float64(p)*float64(width)/float64(largest))))
	}
	return out
}

// SeverityBlocks are the runes that tell severities apart in a bar without colour: SEV1 darkest.
var SeverityBlocks = [4]string{"█", "▓", "▒", "░"}

// Bar draws a plain bar of n of largest in at most width cells.
func Bar(n, largest, width int) string {
	return strings.Repeat("█", Widths([]int{n}, largest, width)[0])
}

// StackedBar draws a week's real incidents by severity, SEV1 first, without colour.
func StackedBar(w Week, largest, width int) string {
	var b strings.Builder
	for i, n := range Widths(w.BySeverity[:], largest, width) {
		b.WriteString(strings.Repeat(SeverityBlocks[i], n))
	}
	return b.String()
}

// Seconds writes a duration in seconds as people read it (45s, 12m, 3h05m, 2d4h), "-" for none.
func Seconds(v *float64) string {
	if v == nil {
		return "-"
	}
	d := time.Duration(*v * float64(time.Second))
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 24*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h" + pad2(int(d.Minutes())%60) + "m"
	default:
		return strconv.Itoa(int(d.Hours()/24)) + "d" + strconv.Itoa(int(d.Hours())%24) + "h"
	}
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// Medians are a response time's weekly medians, for its sparkline.
func (t Times) Medians() []*float64 {
	out := make([]*float64, len(t.Weekly))
	for i, p := range t.Weekly {
		out[i] = p.Median
	}
	return out
}

// LargestWeek is the most real incidents in one week (at least 1).
func (rep *Report) LargestWeek() int {
	top := 1
	for _, w := range rep.Weeks {
		top = max(top, w.Real)
	}
	return top
}

// SeverityLabel names the severity of a BySeverity index.
func SeverityLabel(i int) string { return incident.Severity(i + 1).String() }
