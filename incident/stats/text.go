package stats

import (
	"fmt"
	"io"
	"strings"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/inventory"
)

// Part names a piece of the text that a painter may colour.
type Part int

// The parts of the text.
const (
	Plain   Part = iota
	Heading      // a section's title
	Subtle       // labels, legends, notes
	Sev1         // a SEV1 piece of a bar; Sev2..Sev4 follow
	Sev2
	Sev3
	Sev4
	Bars  // a bar of counts
	Spark // a sparkline
	Warn  // what the numbers cannot say
)

// Painter colours a part of the text; NoPaint leaves it as it is (the command line: no colour, ever).
type Painter func(p Part, s string) string

// NoPaint is the painter of plain text.
func NoPaint(_ Part, s string) string { return s }

// Lines lays the report out as lines at most width cells wide (charts take what the labels leave), each
// part coloured by paint. The command line writes them; the console shows them in a scrolling view.
func Lines(rep *Report, width int, paint Painter) []string {
	if paint == nil {
		paint = NoPaint
	}
	width = max(40, min(width, maxWidth))
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	// item adds text wrapped to the width, each line painted as part: the first after first, the rest
	// indented as deep.
	item := func(part Part, first, text string) {
		for i, l := range wrap(text, width-len(first)) {
			lead := first
			if i > 0 {
				lead = strings.Repeat(" ", len(first))
			}
			out = append(out, lead+paint(part, l))
		}
	}
	head := func(s string) { out = append(out, ""); item(Heading, "", s) }

	item(Heading, "", fmt.Sprintf("# Trends since %s (%d weeks): %s, %s real, %s",
		rep.Since.Format("2006-01-02"), len(rep.Weeks), plural(rep.Incidents, "incident"), inventory.Count(rep.Real), plural(rep.Drills, "drill")))

	var legend []string
	for i, b := range SeverityBlocks {
		legend = append(legend, paint(Sev1+Part(i), b)+" "+SeverityLabel(i))
	}
	head("## Incidents per week (real ones, by severity)")
	add("  %s", paint(Subtle, "week of    ")+strings.Join(legend, "  ")+paint(Subtle, "  · drills"))
	barW := width - 2 - 10 - 2 - 12
	largest := rep.LargestWeek()
	for _, w := range rep.Weeks {
		var bar strings.Builder
		for i, n := range Widths(w.BySeverity[:], largest, barW) {
			bar.WriteString(paint(Sev1+Part(i), strings.Repeat(SeverityBlocks[i], n)))
		}
		cells := 0
		for _, n := range Widths(w.BySeverity[:], largest, barW) {
			cells += n
		}
		drills := ""
		if w.Drills > 0 {
			drills = paint(Subtle, fmt.Sprintf(" · %d", w.Drills))
		}
		add("  %s  %s%s %d%s", w.Start.Format("2006-01-02"), bar.String(), strings.Repeat(" ", max(0, barW-cells)), w.Real, drills)
	}

	head("## Response times of real incidents")
	item(Subtle, "  ", "median / p90; the trend is the weekly median, oldest week first")
	for _, t := range rep.Times {
		of := paint(Subtle, fmt.Sprintf("%d of %d", t.Count, rep.Real))
		add("  %-20s %7s / %-7s %s  %s", t.Measure.Label(), Seconds(t.Median), Seconds(t.P90), paint(Spark, Sparkline(t.Medians())), of)
	}

	head("## Runbooks most used (attached · run)")
	if len(rep.Runbooks) == 0 {
		add("  %s", paint(Subtle, "no runbook was attached or run"))
	}
	topUse := 1
	for _, u := range rep.Runbooks {
		topUse = max(topUse, u.Attached+u.Runs)
	}
	for _, u := range rep.Runbooks {
		add("  %-24s %4d · %-4d %s", clip(oneLine(u.Runbook), 24), u.Attached, u.Runs, paint(Bars, Bar(u.Attached+u.Runs, topUse, width-2-24-12-1)))
	}

	head("## Runs and hosts")
	weekly := make([]int, len(rep.Weeks))
	for i, w := range rep.Weeks {
		weekly[i] = w.Runs
	}
	add("  real runs %s, dry runs %s; weekly real runs %s", inventory.Count(rep.Runs.Real), inventory.Count(rep.Runs.Dry), paint(Spark, Counts(weekly)))
	add("  hosts touched by real runs: %s distinct, %s host runs", inventory.Count(rep.Runs.HostsTouched), inventory.Count(rep.Runs.HostRuns))

	pairW := width - 2 - 8 - 8
	head("## Drills and real incidents")
	topPair := max(1, rep.Real, rep.Drills)
	add("  %-8s%6s  %s", "real", inventory.Count(rep.Real), paint(Bars, Bar(rep.Real, topPair, pairW)))
	add("  %-8s%6s  %s", "drills", inventory.Count(rep.Drills), paint(Bars, Bar(rep.Drills, topPair, pairW)))

	head("## Action items")
	a := rep.ActionItems
	topItems := max(1, a.Open, a.Done)
	add("  %-8s%6s  %s", "open", inventory.Count(a.Open), paint(Bars, Bar(a.Open, topItems, pairW)))
	add("  %-8s%6s  %s", "done", inventory.Count(a.Done), paint(Bars, Bar(a.Done, topItems, pairW)))

	if len(rep.Notes) > 0 {
		head("## What the numbers cannot say")
		for _, n := range rep.Notes {
			item(Warn, "- ", n)
		}
	}
	return out
}

// maxWidth bounds the charts' width: a bar across a wide terminal is harder to read, not easier.
const maxWidth = 100

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return inventory.Count(n) + " " + what + "s"
}

// Text writes the report as plain text, 80 columns wide, no colour.
func Text(w io.Writer, rep *Report) error {
	_, err := io.WriteString(w, strings.Join(Lines(rep, 80, NoPaint), "\n")+"\n")
	return err
}

func oneLine(s string) string { return incident.FoldLine(s) }

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// wrap breaks text into lines of at most width runes, at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		switch {
		case line == "":
			line = w
		case len([]rune(line))+1+len([]rune(w)) > width:
			lines = append(lines, line)
			line = w
		default:
			line += " " + w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
