package inventory

import (
	"sort"
	"strings"
)

// SecretVarsVar is the variable that marks other variables secret: a comma-separated list of names, set on
// any group or host (an INI [group:vars] line firebreak_secret_vars=DB_PASS,CUSTOMER_ID, or a TOML
// inventory's top-level secret_vars list). Their values are masked as the name rule masks API_TOKEN's.
const SecretVarsVar = "firebreak_secret_vars"

// SecretVars lists every name marked secret anywhere in the inventory, sorted. A mark holds for every host,
// whichever group or host it was written on: precedence decides values, never what must stay hidden.
func (inv *Inventory) SecretVars() []string {
	seen := map[string]bool{}
	add := func(vars map[string]string) {
		for _, n := range strings.Split(vars[SecretVarsVar], ",") {
			if n = strings.TrimSpace(n); n != "" {
				seen[n] = true
			}
		}
	}
	for _, g := range inv.data.groups {
		add(g.vars)
	}
	for _, b := range inv.data.blocks {
		add(b.e.vars)
	}
	for _, e := range inv.data.owned {
		add(e.vars)
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// setVar sets a variable, except that marks of secret variables add up: a later firebreak_secret_vars
// never unmarks what an earlier one marked.
func setVar(vars map[string]string, k, v string) {
	if prev := vars[k]; k == SecretVarsVar && prev != "" && v != "" {
		v = prev + "," + v
	}
	vars[k] = v
}
