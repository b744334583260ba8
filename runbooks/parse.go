package runbooks

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/firebreak/firebreak/runbooks/tomlcheck"
)

// fileRunbook is the runbook as written in TOML; Check turns it into a Runbook.
type fileRunbook struct {
	ID          string            `toml:"id"`
	Title       string            `toml:"title"`
	Description string            `toml:"description"`
	Symptoms    []string          `toml:"symptoms"`
	Tags        []string          `toml:"tags"`
	Vars        map[string]string `toml:"vars"`
	SecretVars  []string          `toml:"secret_vars"`
	Steps       []fileStep        `toml:"steps"`
}

// fileStep is one [[steps]] table as written.
type fileStep struct {
	ID          string `toml:"id"`
	Title       string `toml:"title"`
	Details     string `toml:"details"`
	Script      string `toml:"script"`
	Check       string `toml:"check"`
	Verify      string `toml:"verify"`
	Rollback    string `toml:"rollback"`
	DryRun      string `toml:"dry_run"`
	Targets     string `toml:"targets"`
	Stages      any    `toml:"stages"`   // "1,5,25%" or [1, 5, "25%"]
	MaxFail     any    `toml:"max_fail"` // 2, "2" or "10%"
	Timeout     string `toml:"timeout"`
	Concurrency *int   `toml:"concurrency"`
}

var (
	idPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	varPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Parse reads one runbook file strictly: it returns an error (Problems) listing every problem, or the
// runbook when there is none. file names the source in messages and in Runbook.Source.
func Parse(file string, data []byte) (*Runbook, error) {
	rb, ps := Check(file, data)
	if len(ps) > 0 {
		return nil, ps
	}
	return rb, nil
}

// Check reads one runbook file and returns as much of the runbook as could be read together with every
// problem found (syntax, unknown keys, missing fields, duplicate step ids, bad values). Lint uses it to
// check the scripts of a runbook that has other problems too; everyone else wants Parse.
func Check(file string, data []byte) (*Runbook, Problems) {
	c := checker{file: file, data: data}
	if p := tomlcheck.CheckDepth(file, data); p != nil { // before any decoder sees it
		return &Runbook{Source: file, Raw: string(data)}, Problems{{Problem: *p}}
	}
	var fr fileRunbook
	tps, decoded := tomlcheck.DecodeAll(file, data, &fr)
	if len(tps) > 0 {
		for _, p := range tps {
			if c.full(p) {
				continue
			}
			c.ps = append(c.ps, Problem{Problem: p, Runbook: fr.ID, Step: c.stepAt(p.Line, fr.Steps)})
		}
	}
	if !decoded {
		// Unknown keys leave the rest decoded; a syntax error or a type mismatch stops the decoder half
		// way, and checking what it left would only report noise.
		return &Runbook{Source: file, Raw: string(data)}, c.problems()
	}
	rb := &Runbook{
		ID: fr.ID, Title: fr.Title, Description: fr.Description,
		Symptoms: fr.Symptoms, Tags: fr.Tags, Vars: fr.Vars, SecretVars: fr.SecretVars,
		Source: file, Raw: string(data),
	}
	c.runbook(rb, len(fr.Steps))
	seen := map[string]int{}
	for i, fs := range fr.Steps {
		rb.Steps = append(rb.Steps, c.step(rb.ID, i, fs, seen))
	}
	return rb, c.problems()
}

// checker collects the problems of one file with their positions.
type checker struct {
	file string
	data []byte
	ps   Problems
	more int              // problems past tomlcheck.MaxProblems, counted, not kept
	ix   *tomlcheck.Index // made on the first question: most files have no problem to place
}

// full reports whether p is not to be kept: the file has tomlcheck.MaxProblems problems already (p is
// counted), or p counts problems left out already.
func (c *checker) full(p tomlcheck.Problem) bool {
	switch {
	case p.More > 0:
		c.more += p.More
	case len(c.ps) >= tomlcheck.MaxProblems:
		c.more++
	default:
		return false
	}
	return true
}

// problems is what Check found: at most tomlcheck.MaxProblems, then the count of the rest.
func (c *checker) problems() Problems {
	if c.more > 0 {
		return append(c.ps, Problem{Problem: tomlcheck.MoreProblems(c.file, c.more)})
	}
	return c.ps
}

// keyPos is tomlcheck.KeyPos through the file's index.
func (c *checker) keyPos(path ...any) (int, int, bool) {
	if c.ix == nil {
		c.ix = tomlcheck.NewIndex(c.data)
	}
	return c.ix.Pos(path...)
}

// add records a problem at the value of the key at path, or at the start of the enclosing table when the
// key is not in the file.
func (c *checker) add(rb, step, field string, path []any, format string, args ...any) {
	if c.full(tomlcheck.Problem{}) {
		return
	}
	line, col := c.pos(path)
	c.ps = append(c.ps, Problem{
		Problem: tomlcheck.Problem{File: c.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)},
		Runbook: rb, Step: step, Field: field,
	})
}

// pos finds the key at path, falling back to its parents, then to the top of the file.
func (c *checker) pos(path []any) (int, int) {
	for n := len(path); n > 0; n-- {
		if line, col, ok := c.keyPos(path[:n]...); ok {
			return line, col
		}
	}
	return 1, 1
}

// stepAt names the step whose [[steps]] table holds line, or "" when line is before the first one.
func (c *checker) stepAt(line int, steps []fileStep) string {
	name := ""
	for i := 0; line > 0; i++ {
		l, _, ok := c.keyPos("steps", i)
		if !ok || l > line {
			break
		}
		name = fmt.Sprintf("#%d", i+1)
		if i < len(steps) && steps[i].ID != "" {
			name = steps[i].ID
		}
	}
	return name
}

// lf gives a script of a file saved with CRLF line endings LF ones: TOML keeps the \r of a multi-line
// string's lines, and bash would take it as part of the last word of every line (cd "/tmp\r"). The \r of
// an escape in an LF file ("\r\n" written as escapes) is left alone.
func (c *checker) lf(script string) string {
	if !bytes.Contains(c.data, []byte("\r\n")) {
		return script
	}
	return strings.ReplaceAll(script, "\r\n", "\n")
}

// runbook checks the runbook's own metadata.
func (c *checker) runbook(rb *Runbook, steps int) {
	switch {
	case rb.ID == "":
		c.add("", "", "id", nil, `missing runbook id: add id = "some-name" at the top (lower case letters, digits, - . _)`)
	case !idPattern.MatchString(rb.ID):
		c.add(rb.ID, "", "id", []any{"id"}, "runbook id %q: use lower case letters, digits, - . and _ (starting with a letter or digit)", rb.ID)
	}
	if rb.Title == "" {
		c.add(rb.ID, "", "title", []any{"title"}, `missing runbook title: add title = "what this runbook fixes"`)
	}
	for name := range rb.Vars {
		if !varPattern.MatchString(name) {
			c.add(rb.ID, "", "vars", []any{"vars", name}, "variable %q is not a shell variable name: use letters, digits and _, not starting with a digit", name)
		}
	}
	for i, name := range rb.SecretVars {
		if !varPattern.MatchString(name) {
			c.add(rb.ID, "", "secret_vars", []any{"secret_vars", i}, "secret_vars: %q is not a shell variable name: list the names of variables whose values are secret", name)
		}
	}
	if steps == 0 {
		c.add(rb.ID, "", "steps", nil, "runbook %q has no steps: add at least one [[steps]] table", rb.ID)
	}
}

// step checks one step and converts it; seen maps step ids to their index, for duplicates.
func (c *checker) step(rb string, i int, fs fileStep, seen map[string]int) Step {
	at := func(key string) []any { return []any{"steps", i, key} }
	name := fs.ID
	if name == "" {
		name = fmt.Sprintf("#%d", i+1)
	}
	s := Step{
		ID: fs.ID, Title: fs.Title, Details: fs.Details,
		Script: c.lf(fs.Script), Check: c.lf(fs.Check), Verify: c.lf(fs.Verify), Rollback: c.lf(fs.Rollback),
		DryRun: c.lf(fs.DryRun), Targets: fs.Targets,
	}
	switch {
	case fs.ID == "":
		c.add(rb, name, "id", at("id"), `step %s has no id: add id = "some-name" to it`, name)
	case !idPattern.MatchString(fs.ID):
		c.add(rb, name, "id", at("id"), "step id %q: use lower case letters, digits, - . and _", fs.ID)
	default:
		if j, dup := seen[fs.ID]; dup {
			line, _ := c.pos([]any{"steps", j, "id"})
			c.add(rb, name, "id", at("id"), "duplicate step id %q (first used on line %d): step ids must be unique within a runbook", fs.ID, line)
		} else {
			seen[fs.ID] = i
		}
	}
	if fs.Title == "" {
		c.add(rb, name, "title", at("title"), `step %s has no title: add title = "what this step does"`, name)
	}
	if fs.Script == "" {
		for _, f := range []struct {
			key string
			set bool
		}{
			{"check", fs.Check != ""}, {"verify", fs.Verify != ""}, {"rollback", fs.Rollback != ""},
			{"dry_run", fs.DryRun != ""}, {"targets", fs.Targets != ""}, {"stages", fs.Stages != nil},
			{"max_fail", fs.MaxFail != nil}, {"timeout", fs.Timeout != ""}, {"concurrency", fs.Concurrency != nil},
		} {
			if f.set {
				c.add(rb, name, f.key, at(f.key), "%s on manual step %s: only script steps take %s; add a script or remove it", f.key, name, f.key)
			}
		}
	}
	if fs.Stages != nil {
		st, err := stagesValue(fs.Stages)
		if err != nil {
			c.add(rb, name, "stages", at("stages"), "stages: %v", err)
		}
		s.Stages = st
	}
	if fs.MaxFail != nil {
		m, err := maxFailValue(fs.MaxFail)
		if err != nil {
			c.add(rb, name, "max_fail", at("max_fail"), "%v", err)
		} else {
			s.MaxFail = &m
		}
	}
	if fs.Timeout != "" {
		d, err := time.ParseDuration(fs.Timeout)
		switch {
		case err != nil:
			c.add(rb, name, "timeout", at("timeout"), "timeout %q is not a duration: write e.g. \"30s\", \"5m\" or \"1h30m\"", fs.Timeout)
		case d <= 0:
			c.add(rb, name, "timeout", at("timeout"), "timeout %q must be positive", fs.Timeout)
		}
		s.Timeout = d
	}
	if fs.Concurrency != nil {
		if *fs.Concurrency <= 0 {
			c.add(rb, name, "concurrency", at("concurrency"), "concurrency %d: it must be at least 1", *fs.Concurrency)
		}
		s.Concurrency = *fs.Concurrency
	}
	return s
}

// stagesValue reads stages written as a string ("1,5,25%") or an array ([1, 5, "25%"]).
func stagesValue(v any) (Stages, error) {
	switch v := v.(type) {
	case string:
		return ParseStages(v)
	case []any:
		if len(v) == 0 {
			return nil, fmt.Errorf("empty stage list: write e.g. %q", DefaultStages)
		}
		var st Stages
		for i, e := range v {
			var text string
			switch e := e.(type) {
			case int64:
				text = fmt.Sprint(e)
			case string:
				text = e
			default:
				return nil, fmt.Errorf("stage %d is a %T: write a count (5) or a percentage (\"25%%\")", i+1, e)
			}
			s, err := parseStage(text)
			if err != nil {
				return nil, fmt.Errorf("stage %d: %w", i+1, err)
			}
			st = append(st, s)
		}
		return st, nil
	default:
		return nil, fmt.Errorf("a %T is not a stage list: write \"1,5,25%%,100%%\" or [1, 5, \"25%%\", \"100%%\"]", v)
	}
}

// maxFailValue reads max_fail written as an integer (2) or a string ("2", "10%").
func maxFailValue(v any) (MaxFail, error) {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return MaxFail{}, fmt.Errorf("max_fail %d must not be negative", v)
		}
		return ParseMaxFail(fmt.Sprint(v))
	case string:
		return ParseMaxFail(v)
	default:
		return MaxFail{}, fmt.Errorf("max_fail is a %T: write a count (2) or a percentage (\"10%%\")", v)
	}
}
