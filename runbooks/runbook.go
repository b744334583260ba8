// Package runbooks holds the runbook format (TOML), the library of built-in and team runbooks, and what
// executes them. A runbook is what the team learned the last time: ordered steps, each a manual check-box
// with Markdown details or a script step with its dry run, check, verify and rollback.
package runbooks

import "time"

// Runbook is one parsed runbook file.
type Runbook struct {
	ID          string            `json:"id"`
	Title       string            `json:"title"`
	Description string            `json:"description,omitempty"`
	Symptoms    []string          `json:"symptoms,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Vars        map[string]string `json:"vars,omitempty"` // defaults; scripts read them as environment variables
	// SecretVars names variables whose values are secrets although the name rule does not catch them
	// (output.IsSecretName): they are masked like API_TOKEN.
	SecretVars []string `json:"secret_vars,omitempty"`
	Steps      []Step   `json:"steps"`

	// Source is where the runbook came from: a file path, or "builtin:NAME.toml".
	Source string `json:"source"`
	// Raw is the file's exact text; an incident stores it when the runbook is attached.
	Raw string `json:"-"`
	// Overrides is the Source of the runbook with the same id this one replaces in the library, if any.
	Overrides string `json:"overrides,omitempty"`
}

// Step is one step of a runbook: manual when Script is empty, a script step otherwise.
type Step struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Details string `json:"details,omitempty"` // Markdown

	Script   string `json:"script,omitempty"`   // bash; runs with the runbook's vars in its environment
	Check    string `json:"check,omitempty"`    // exit 0: the host is already in the wanted state, skip it
	Verify   string `json:"verify,omitempty"`   // the post-condition, run after Script
	Rollback string `json:"rollback,omitempty"` // undoes a permanent change
	DryRun   string `json:"dry_run,omitempty"`  // empty: Script runs with FIREBREAK_DRY_RUN=1

	Targets     string        `json:"targets,omitempty"`     // default host pattern
	Stages      Stages        `json:"stages,omitempty"`      // nil: the run's default ramp
	MaxFail     *MaxFail      `json:"max_fail,omitempty"`    // nil: the run's default
	Timeout     time.Duration `json:"timeout,omitempty"`     // 0: the run's default
	Concurrency int           `json:"concurrency,omitempty"` // 0: the run's default
}

// DryRunEnv is the environment variable set to 1 when a script runs as its own dry run.
const DryRunEnv = "FIREBREAK_DRY_RUN"

// IsScript reports whether the step runs a script (rather than being ticked by hand).
func (s Step) IsScript() bool { return s.Script != "" }

// Step returns the step with the given id.
func (r *Runbook) Step(id string) (Step, bool) {
	for _, s := range r.Steps {
		if s.ID == id {
			return s, true
		}
	}
	return Step{}, false
}

// Fragment is one piece of bash in a step: its field name ("script", "check", ...) and its text.
type Fragment struct {
	Field string
	Text  string
}

// Fragments returns the step's non-empty bash fragments in a fixed order: script, check, verify,
// rollback, dry_run.
func (s Step) Fragments() []Fragment {
	var fs []Fragment
	for _, f := range []Fragment{
		{"script", s.Script}, {"check", s.Check}, {"verify", s.Verify},
		{"rollback", s.Rollback}, {"dry_run", s.DryRun},
	} {
		if f.Text != "" {
			fs = append(fs, f)
		}
	}
	return fs
}
