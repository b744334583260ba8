package runview

import (
	"fmt"
	"strings"
)

// diffOp is one line of a line diff.
type diffOp struct {
	kind byte // ' ', '-', '+'
	text string
}

// lineDiff compares two texts line by line with a longest common subsequence, which is exact and, for
// scripts of a few hundred lines, quick. Very large inputs fall back to "all removed, all added".
func lineDiff(a, b string) []diffOp {
	al, bl := splitLines(a), splitLines(b)
	// Trim the common head and tail first: most edits touch a few lines.
	pre := 0
	for pre < len(al) && pre < len(bl) && al[pre] == bl[pre] {
		pre++
	}
	suf := 0
	for suf < len(al)-pre && suf < len(bl)-pre && al[len(al)-1-suf] == bl[len(bl)-1-suf] {
		suf++
	}
	var ops []diffOp
	for _, l := range al[:pre] {
		ops = append(ops, diffOp{' ', l})
	}
	am, bm := al[pre:len(al)-suf], bl[pre:len(bl)-suf]
	if len(am)*len(bm) > 4_000_000 {
		for _, l := range am {
			ops = append(ops, diffOp{'-', l})
		}
		for _, l := range bm {
			ops = append(ops, diffOp{'+', l})
		}
	} else {
		ops = append(ops, lcsDiff(am, bm)...)
	}
	for _, l := range al[len(al)-suf:] {
		ops = append(ops, diffOp{' ', l})
	}
	return ops
}

func lcsDiff(a, b []string) []diffOp {
	n, m := len(a), len(b)
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []diffOp
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			ops = append(ops, diffOp{' ', a[i]})
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			ops = append(ops, diffOp{'-', a[i]})
			i++
		default:
			ops = append(ops, diffOp{'+', b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		ops = append(ops, diffOp{'-', a[i]})
	}
	for ; j < m; j++ {
		ops = append(ops, diffOp{'+', b[j]})
	}
	return ops
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// changedLines counts the lines removed plus the lines added.
func changedLines(ops []diffOp) int {
	n := 0
	for _, o := range ops {
		if o.kind != ' ' {
			n++
		}
	}
	return n
}

// unifiedDiff renders ops as a unified diff with 3 lines of context, headed by the two names.
// Identical texts give "".
func unifiedDiff(from, to string, ops []diffOp) string {
	if changedLines(ops) == 0 {
		return ""
	}
	const ctx = 3
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s\n+++ %s\n", from, to)
	// Positions (1-based line numbers) of each op in a and b.
	type pos struct{ a, b int }
	at := make([]pos, len(ops)+1)
	pa, pb := 1, 1
	for i, o := range ops {
		at[i] = pos{pa, pb}
		if o.kind != '+' {
			pa++
		}
		if o.kind != '-' {
			pb++
		}
	}
	at[len(ops)] = pos{pa, pb}
	i := 0
	for i < len(ops) {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		// A hunk: from ctx lines before the change to ctx lines after the last change within 2*ctx.
		start := max(0, i-ctx)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*ctx {
				end = min(end+ctx, len(ops))
				break
			}
			end = run
		}
		na, nb := 0, 0
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				na++
			}
			if o.kind != '-' {
				nb++
			}
		}
		sa, sb := at[start].a, at[start].b
		if na == 0 {
			sa--
		}
		if nb == 0 {
			sb--
		}
		fmt.Fprintf(&b, "@@ -%s +%s @@\n", hunkRange(sa, na), hunkRange(sb, nb))
		for _, o := range ops[start:end] {
			b.WriteByte(o.kind)
			b.WriteString(o.text)
			b.WriteByte('\n')
		}
		i = end
	}
	return b.String()
}

func hunkRange(start, n int) string {
	if n == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}
