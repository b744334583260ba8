package lint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
)

// Script is one bash fragment to check, with where its first character is in its file so findings can
// point there: Line and Col are 1-based; an ad-hoc script file is Line 1, Col 1.
type Script struct {
	Text     string
	File     string
	Line     int
	Col      int
	Runbook  string
	Step     string
	Fragment string

	// positions places Text's characters in the file (a fragment of a TOML string); nil for a script
	// file, where ShellCheck's positions are the file's.
	positions *textMap
}

// ShellCheck is the command lint runs; tests and packagers may point it elsewhere.
var ShellCheck = "shellcheck"

// maxBatch is the most fragments one shellcheck process checks; the fragments are shared among one
// process per CPU, since ShellCheck's analysis, not its start-up, dominates.
const maxBatch = 200

// Scripts runs ShellCheck (as bash, all severities, no rc file) on every script, a few processes for all
// of them, and returns the findings at their positions in the scripts' files. The error reports that
// ShellCheck could not run at all.
func Scripts(ctx context.Context, scripts []Script) ([]Finding, error) {
	if len(scripts) == 0 {
		return nil, nil
	}
	path, err := exec.LookPath(ShellCheck)
	if err != nil {
		return nil, fmt.Errorf("lint needs ShellCheck: install it (apt-get install shellcheck, brew install shellcheck): %w", err)
	}
	dir, err := os.MkdirTemp("", "firebreak-lint-")
	if err != nil {
		return nil, fmt.Errorf("lint: %w", err)
	}
	defer os.RemoveAll(dir)
	names := make([]string, len(scripts))
	for i, s := range scripts {
		names[i] = filepath.Join(dir, strconv.Itoa(i)+".sh")
		if err := os.WriteFile(names[i], []byte(s.Text), 0o600); err != nil {
			return nil, fmt.Errorf("lint: %w", err)
		}
	}
	index := make(map[string]int, len(names))
	for i, n := range names {
		index[n] = i
	}

	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		findings []Finding
		errs     []error
	)
	batch := min(maxBatch, (len(names)+runtime.NumCPU()-1)/runtime.NumCPU())
	for start := 0; start < len(names); start += batch {
		chunk := names[start:min(start+batch, len(names))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			cs, err := run(ctx, path, chunk)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			for _, c := range cs {
				i, ok := index[c.File]
				if !ok {
					continue
				}
				findings = append(findings, scripts[i].finding(c))
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return findings, nil
}

// comment is one ShellCheck finding in its json1 format. Its column counts characters (code points, not
// bytes, whatever the locale) with a tab as one, as firebreak's columns do; the older json format expands
// tabs to 8 and is not used.
type comment struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Level   string `json:"level"`
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// run checks files with one shellcheck process.
func run(ctx context.Context, shellcheck string, files []string) ([]comment, error) {
	args := append([]string{"--format=json1", "--shell=bash", "--norc", "--severity=style", "--"}, files...)
	cmd := exec.CommandContext(ctx, shellcheck, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		return nil, fmt.Errorf("shellcheck failed: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	var out struct {
		Comments []comment `json:"comments"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("shellcheck output is not json1 (is it older than 0.7?): %w", err)
	}
	return out.Comments, nil
}

// finding places a ShellCheck comment on the script's file: through the fragment's position map, or else
// line 1 of the script starts at s.Line:s.Col and every later line at column 1.
func (s Script) finding(c comment) Finding {
	line, col := s.Line+c.Line-1, c.Column
	if c.Line == 1 {
		col = s.Col + c.Column - 1
	}
	if s.positions != nil {
		p := s.positions.at(c.Line, c.Column)
		line, col = p.line, p.col
	}
	return Finding{
		File: s.File, Line: line, Col: col,
		Severity: c.Level, Message: c.Message, Code: fmt.Sprintf("SC%d", c.Code),
		Runbook: s.Runbook, Step: s.Step, Fragment: s.Fragment,
	}
}
