// Package rollout runs a script on a set of hosts the careful way: stage by stage (one canary, a handful, a
// group, everyone), a sliding window of hosts inside a stage, a pause for a person between stages, and the
// guards that keep a run from making things worse (dry run first, canary, ShellCheck, working hours, a
// second person's approval, the off-switch). It records everything on the incident's timeline, sends what
// happens to whoever watches (the console, the headless command) and takes their decisions.
package rollout

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Script is the bash of a step: the script itself and its companions.
type Script struct {
	Main     string `json:"script"`
	DryRun   string `json:"dry_run,omitempty"`
	Check    string `json:"check,omitempty"`
	Verify   string `json:"verify,omitempty"`
	Rollback string `json:"rollback,omitempty"`
	// AdHoc marks a command typed for this incident rather than a runbook step.
	AdHoc bool `json:"adhoc,omitempty"`
}

// Hash identifies the script text: any change to any fragment needs its own dry run.
func (s Script) Hash() string {
	b, _ := json.Marshal([]string{s.Main, s.DryRun, s.Check, s.Verify, s.Rollback})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// HonoursDryRun says whether running the script as its own dry run is safe: it has a dry_run command, or
// its shell syntax reads FIREBREAK_DRY_RUN (a comment that mentions it does not count). A command that does
// neither is never executed by a dry run.
func (s Script) HonoursDryRun() bool {
	return s.DryRun != "" || readsDryRun(s.Main)
}

// DryRunEnv is set to 1 in every fragment of a dry run and 0 in a real run.
const DryRunEnv = "FIREBREAK_DRY_RUN"
