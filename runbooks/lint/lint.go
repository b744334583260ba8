package lint

import (
	"context"
	"sort"
	"unicode/utf8"

	"github.com/firebreak/firebreak/runbooks"
	"github.com/firebreak/firebreak/runbooks/tomlcheck"
)

// Library lints the whole library: the built-in runbooks and every *.toml under dirs. The error reports
// unusable input (a directory that does not exist) or that ShellCheck could not run.
func Library(ctx context.Context, dirs []string) (*Report, error) {
	books, ps, err := runbooks.CheckLibrary(dirs)
	if err != nil {
		return nil, err
	}
	return Runbooks(ctx, books, ps)
}

// Paths lints the runbook files and directories at paths (every *.toml under a directory). The error
// reports unusable input (a path that does not exist, a file that is not .toml) or that ShellCheck could
// not run.
func Paths(ctx context.Context, paths []string) (*Report, error) {
	books, ps, err := runbooks.CheckPaths(paths)
	if err != nil {
		return nil, err
	}
	return Runbooks(ctx, books, ps)
}

// Runbooks turns the loader's problems into findings and runs ShellCheck on every fragment of books.
func Runbooks(ctx context.Context, books []*runbooks.Runbook, ps runbooks.Problems) (*Report, error) {
	r := &Report{Findings: []Finding{}}
	files := map[string]bool{}
	for _, p := range ps {
		files[p.File] = true
		if p.More > 0 {
			r.Omitted = append(r.Omitted, Omitted{File: p.File, Count: p.More})
			continue
		}
		r.Findings = append(r.Findings, Finding{
			File: p.File, Line: p.Line, Col: p.Col, Severity: "error", Message: p.Msg,
			Runbook: p.Runbook, Step: p.Step, Fragment: p.Field,
		})
	}
	var scripts []Script
	for _, rb := range books {
		files[rb.Source] = true
		if rb.ID != "" {
			r.Runbooks++
		}
		scripts = append(scripts, Fragments(rb)...)
	}
	r.Files = len(files)
	r.Fragments = len(scripts)
	fs, err := Scripts(ctx, scripts)
	if err != nil {
		return nil, err
	}
	r.Findings = append(r.Findings, fs...)
	sort.SliceStable(r.Findings, func(i, j int) bool {
		a, b := r.Findings[i], r.Findings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return r, nil
}

// Fragments returns every bash fragment of the runbook with where each of its characters is in the
// runbook's file, ready for Scripts.
func Fragments(rb *runbooks.Runbook) []Script {
	raw := []byte(rb.Raw)
	ix := tomlcheck.NewIndex(raw) // one scan for every fragment: a large runbook is not read once per step
	lines := lineStarts(raw)
	var out []Script
	for i, st := range rb.Steps {
		for _, f := range st.Fragments() {
			s := Script{
				Text: f.Text, File: rb.Source, Line: 1, Col: 1,
				Runbook: rb.ID, Step: st.ID, Fragment: f.Field,
			}
			if vl, vc, ok := ix.Pos("steps", i, f.Field); ok {
				s.Line, s.Col = vl, vc // the opening quote, should the value not line up with the text
				if m := newTextMap(raw[byteOffset(raw, lines, vl, vc):], vl, vc, f.Text); m != nil {
					s.positions = m
					s.Line, s.Col = m.at(1, 1).line, m.at(1, 1).col
				}
			}
			out = append(out, s)
		}
	}
	return out
}

// lineStarts is the offset of every line's first byte.
func lineStarts(raw []byte) []int {
	starts := []int{0}
	for i, c := range raw {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// byteOffset converts a 1-based line and character column to an offset into raw.
func byteOffset(raw []byte, starts []int, line, col int) int {
	if line < 1 || line > len(starts) {
		return len(raw)
	}
	off := starts[line-1]
	for c := 1; c < col && off < len(raw) && raw[off] != '\n'; c++ {
		_, size := utf8.DecodeRune(raw[off:])
		off += size
	}
	return off
}
