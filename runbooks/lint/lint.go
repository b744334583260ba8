package lint

import (
	"bytes"
	"context"
	"sort"

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

// Fragments returns every bash fragment of the runbook with the position of its first character in the
// runbook's file, ready for Scripts.
func Fragments(rb *runbooks.Runbook) []Script {
	raw := []byte(rb.Raw)
	ix := tomlcheck.NewIndex(raw) // one scan for every fragment: a large runbook is not read once per step
	lines := lineStarts(raw)
	offset := func(_ []byte, line, col int) int {
		if line < 1 || line > len(lines) {
			return len(raw)
		}
		return min(lines[line-1]+col-1, len(raw))
	}
	var out []Script
	for i, st := range rb.Steps {
		for _, f := range st.Fragments() {
			line, col := textStart(raw, ix, offset, "steps", i, f.Field)
			s := Script{
				Text: f.Text, File: rb.Source, Line: line, Col: col,
				Runbook: rb.ID, Step: st.ID, Fragment: f.Field,
			}
			if vl, vc, ok := ix.Pos("steps", i, f.Field); ok {
				if rest := raw[offset(raw, vl, vc):]; bytes.HasPrefix(rest, []byte(`"`)) {
					s.positions = basicStringMap(rest, vl, vc)
				}
			}
			out = append(out, s)
		}
	}
	return out
}

// textStart is the line and column of the first character of a string value's text: after its opening
// quotes, and on the next line when a multi-line string's quotes end their line (TOML drops that newline).
func textStart(raw []byte, ix *tomlcheck.Index, offset func([]byte, int, int) int, path ...any) (int, int) {
	line, col, ok := ix.Pos(path...)
	if !ok {
		return 1, 1
	}
	off := offset(raw, line, col)
	rest := raw[off:]
	switch {
	case bytes.HasPrefix(rest, []byte(`'''`)), bytes.HasPrefix(rest, []byte(`"""`)):
		after := rest[3:]
		if bytes.HasPrefix(after, []byte("\n")) || bytes.HasPrefix(after, []byte("\r\n")) {
			return line + 1, 1
		}
		return line, col + 3
	case bytes.HasPrefix(rest, []byte(`'`)), bytes.HasPrefix(rest, []byte(`"`)):
		return line, col + 1
	}
	return line, col
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

// offset converts a 1-based line and byte column to an offset into raw.
func offset(raw []byte, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(raw[off:], '\n')
		if i < 0 {
			return len(raw)
		}
		off += i + 1
	}
	return min(off+col-1, len(raw))
}
