package runview

import (
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"
	"github.com/aymanbagabas/go-udiff/lcs"
)

// scriptDiff compares two versions of a script line by line (go-udiff): the unified diff with 3 lines of
// context headed by the two names, and the count of lines removed plus lines added. Identical texts give
// "" and 0.
func scriptDiff(from, to, a, b string) (diff string, changed int) {
	// A missing last newline is no change of lines here; left alone, udiff would mark the last line changed
	// and note "\ No newline at end of file".
	a, b = endLine(a), endLine(b)
	u, err := udiff.ToUnifiedDiff(from, to, a, lineEdits(a, b), udiff.DefaultContextLines)
	if err != nil { // cannot happen: lineEdits gives ordered edits within a
		return "", 0
	}
	for _, h := range u.Hunks {
		for _, l := range h.Lines {
			if l.Kind != udiff.Equal {
				changed++
			}
		}
	}
	return u.String(), changed
}

// lineEdits diffs a and b as sequences of whole lines, for udiff.ToUnifiedDiff: each distinct line becomes
// one rune for go-udiff's lcs.DiffRunes, and each of its diffs an edit at line boundaries. (udiff.Strings
// diffs characters: a line added at the end shows the line before it as removed and added again.) Like
// udiff's own, the search is bounded, so texts that differ a lot may get a longer diff than the least.
func lineEdits(a, b string) []udiff.Edit {
	if a == b {
		return nil
	}
	al, bl := lines(a), lines(b)
	ids := map[string]rune{}
	seq := func(ls []string) []rune {
		rs := make([]rune, len(ls))
		for i, l := range ls {
			if _, ok := ids[l]; !ok {
				ids[l] = rune(len(ids))
			}
			rs[i] = ids[l]
		}
		return rs
	}
	ar, br := seq(al), seq(bl)
	at := make([]int, len(al)+1) // at[i] is the byte offset of line i of a
	for i, l := range al {
		at[i+1] = at[i] + len(l)
	}
	var edits []udiff.Edit
	for _, d := range lcs.DiffRunes(ar, br) {
		edits = append(edits, udiff.Edit{Start: at[d.Start], End: at[d.End], New: strings.Join(bl[d.ReplStart:d.ReplEnd], "")})
	}
	return edits
}

// lines splits s, which ends in a newline (endLine), after each newline.
func lines(s string) []string {
	ls := strings.SplitAfter(s, "\n")
	return ls[:len(ls)-1]
}

// endLine gives s its last newline if it lacks one.
func endLine(s string) string {
	if s != "" && !strings.HasSuffix(s, "\n") {
		return s + "\n"
	}
	return s
}

// splitLines splits s into its lines, without their newlines.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
