package rollout

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
)

// PlanHash identifies what a run will do: its script and companions (check, verify, rollback, dry_run),
// its hosts stage by stage, its stage spec, max_fail, variables (secret values only as their hashes) and
// mode. Dry-run-first, confirmations and approvals bind to it: when it changes, they are asked again.
func PlanHash(spec Spec, plan Plan) string {
	type kv struct{ K, V string }
	var vars []kv
	for k, v := range spec.Vars {
		if spec.Secrets.IsSecret(k) {
			sum := sha256.Sum256([]byte(v))
			v = "sha256:" + hex.EncodeToString(sum[:])
		}
		vars = append(vars, kv{k, v})
	}
	sort.Slice(vars, func(i, j int) bool { return vars[i].K < vars[j].K })
	stages := make([][]string, len(plan.Stages))
	for i, st := range plan.Stages {
		stages[i] = names(st)
	}
	b, _ := json.Marshal(struct {
		Script  string
		Stages  [][]string
		Spec    string
		MaxFail string
		Vars    []kv
		Dry     bool
	}{spec.Script.Hash(), stages, spec.Stages.String(), spec.MaxFail.String(), vars, spec.DryRun})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// PlanHash is the hash of the spec's plan (see PlanHash).
func (s Spec) PlanHash() (string, error) {
	plan, err := PlanOf(s)
	if err != nil {
		return "", err
	}
	return PlanHash(s, plan), nil
}

// Bind says the spec's overrides and confirmations were given for its plan as it is now: the command line
// gives them with the request itself; the console binds them to the plan the person saw in the preview.
func (s *Spec) Bind() error {
	h, err := s.PlanHash()
	s.Overrides.Plan = h
	return err
}
