package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"

	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/store"
)

// Brief is what an approver sees before approving a run: the script, its diff from the version that was
// dry-run, the hosts of the stage that waits, and how the stages so far went (the canary's results and the
// end of their output). The approval binds to PlanHash.
type Brief struct {
	Run       store.RunRow
	Script    Script
	PlanHash  string
	DryRun    string // "identical to the dry run RUN-4", or "no dry run of ..." (break glass)
	Diff      string // unified diff of the script from the dry-run version, "" when identical or none
	NextStage int    // 1-based
	NextHosts []string
	Done      []store.RunHost // hosts of the stages already run, with their results and output tails
}

// BriefOf gathers what an approver of run must see.
func BriefOf(ctx context.Context, db store.Store, run int64) (*Brief, error) {
	r, err := db.Run(ctx, run)
	if errors.Is(err, store.ErrNotFound) {
		return nil, store.Errorf(ErrNotFound, "%s does not exist (firebreak runs lists them)", RunRef(run))
	}
	if err != nil {
		return nil, err
	}
	var pr planRecord
	if err := json.Unmarshal(r.Plan, &pr); err != nil {
		return nil, fmt.Errorf("%s: its recorded plan cannot be read: %w", RunRef(run), err)
	}
	b := &Brief{Run: r, Script: pr.Script, PlanHash: r.PlanHash, NextStage: r.Stage + 1}
	hosts, err := db.RunHosts(ctx, run)
	if err != nil {
		return nil, err
	}
	for _, h := range hosts {
		switch {
		case h.Stage <= r.Stage:
			b.Done = append(b.Done, h)
		case h.Stage == b.NextStage:
			b.NextHosts = append(b.NextHosts, h.Host)
		}
	}
	b.DryRun, b.Diff, err = dryRunVersion(ctx, db, r, pr.Script)
	return b, err
}

// dryRunVersion compares the run's script with the latest successful dry run of the same step (or, for
// an ad-hoc script, the latest ad-hoc dry run) in the incident.
func dryRunVersion(ctx context.Context, db store.Store, r store.RunRow, script Script) (string, string, error) {
	dry := true
	runs, err := db.Runs(ctx, store.RunQuery{Incident: r.Incident, DryRun: &dry})
	if err != nil {
		return "", "", err
	}
	for i := len(runs) - 1; i >= 0; i-- {
		d := runs[i]
		if d.Runbook != r.Runbook || d.Step != r.Step || d.Status != StatusSucceeded {
			continue
		}
		if d.ScriptHash == r.ScriptHash {
			return fmt.Sprintf("identical to the dry run %s (script %s)", RunRef(d.ID), short(d.ScriptHash)), "", nil
		}
		var pr planRecord
		if json.Unmarshal(d.Plan, &pr) != nil {
			continue
		}
		diff := udiff.Unified(RunRef(d.ID)+" (dry run)", RunRef(r.ID), scriptText(pr.Script), scriptText(script))
		return fmt.Sprintf("CHANGED since the dry run %s (script %s, now %s)", RunRef(d.ID), short(d.ScriptHash), short(r.ScriptHash)), diff, nil
	}
	return "no successful dry run of this step in the incident (a guard was overridden)", "", nil
}

// scriptText is the script with its companions, as one text to compare.
func scriptText(s Script) string {
	out := s.Main
	for _, f := range []struct{ name, text string }{{"dry_run", s.DryRun}, {"check", s.Check}, {"verify", s.Verify}, {"rollback", s.Rollback}} {
		if f.text != "" {
			out += "\n# --- " + f.name + " ---\n" + f.text
		}
	}
	if out != "" && out[len(out)-1] != '\n' {
		out += "\n"
	}
	return out
}

// Lines is the brief as plain text lines, remote output and data sanitised, for the command line and the
// console's approve dialog alike.
func (b *Brief) Lines() []string {
	clean := func(s string) string { return output.Sanitize([]byte(s)) }
	r := b.Run
	out := []string{fmt.Sprintf("%s  %s  started by %s  plan %s", RunRef(r.ID), clean(r.Title), clean(r.StartedBy), short(b.PlanHash)), "Script:"}
	for _, l := range strings.Split(strings.TrimRight(b.Script.Main, "\n"), "\n") {
		out = append(out, "  "+clean(l))
	}
	out = append(out, "Dry run: "+b.DryRun)
	if b.Diff != "" {
		for _, l := range strings.Split(strings.TrimRight(b.Diff, "\n"), "\n") {
			out = append(out, "  "+clean(l))
		}
	}
	out = append(out, fmt.Sprintf("Next: stage %d/%d on %d hosts: %s", b.NextStage, r.Stages, len(b.NextHosts), inventory.Abbreviate(b.NextHosts)))
	if len(b.Done) > 0 {
		out = append(out, "So far:")
	}
	shown, rest := b.shownDone()
	for _, h := range shown {
		out = append(out, fmt.Sprintf("  stage %d  %-20s %-10s exit %d", h.Stage, clean(h.Host), h.State, h.ExitCode))
		tail := strings.Split(strings.TrimRight(h.OutputTail, "\n"), "\n")
		if len(tail) > 5 {
			tail = tail[len(tail)-5:]
		}
		for _, l := range tail {
			if l != "" {
				out = append(out, "      | "+clean(l))
			}
		}
	}
	if len(rest) > 0 {
		out = append(out, fmt.Sprintf("  and %s more: %s", inventory.Count(len(b.Done)-len(shown)), stateCounts(rest)))
	}
	return out
}

// briefHosts is how many hosts of the stages so far a brief shows with their output: past a canary and a
// few, an approver reads the ones that went wrong and how many the rest are.
const briefHosts = 20

// shownDone picks the hosts so far that the brief shows (those that went wrong first, then the others,
// in the run's order) and counts the rest by state.
func (b *Brief) shownDone() (shown []store.RunHost, rest map[string]int) {
	if len(b.Done) <= briefHosts {
		return b.Done, nil
	}
	pick := make([]bool, len(b.Done))
	n := 0
	for _, bad := range []bool{true, false} {
		for i, h := range b.Done {
			if n < briefHosts && !pick[i] && HostState(h.State).Bad() == bad {
				pick[i], n = true, n+1
			}
		}
	}
	rest = map[string]int{}
	for i, h := range b.Done {
		if pick[i] {
			shown = append(shown, h)
		} else {
			rest[h.State]++
		}
	}
	return shown, rest
}

// stateCounts is "9,900 changed, 80 ok": the most first.
func stateCounts(c map[string]int) string {
	states := make([]string, 0, len(c))
	for s := range c {
		states = append(states, s)
	}
	sort.Slice(states, func(i, j int) bool {
		return c[states[i]] > c[states[j]] || c[states[i]] == c[states[j]] && states[i] < states[j]
	})
	parts := make([]string, len(states))
	for i, s := range states {
		parts[i] = inventory.Count(c[s]) + " " + s
	}
	return strings.Join(parts, ", ")
}
