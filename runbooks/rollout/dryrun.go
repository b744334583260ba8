package rollout

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// readsDryRun says whether a bash script reads FIREBREAK_DRY_RUN, decided from its parsed syntax: an
// expansion of the variable ($FIREBREAK_DRY_RUN, ${FIREBREAK_DRY_RUN:-0}, inside double quotes, here-documents
// and arithmetic), `[[ -v FIREBREAK_DRY_RUN ]]`, or `printenv FIREBREAK_DRY_RUN`. A comment, a single-quoted
// string or another word that merely contains the name does not count, and neither does a script bash
// could not parse: running it as its own dry run would run it for real.
func readsDryRun(script string) bool {
	if !strings.Contains(script, DryRunEnv) {
		return false // cheap answer for most scripts; the parse below decides the rest
	}
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(script), "")
	if err != nil {
		return false
	}
	found := false
	syntax.Walk(f, func(n syntax.Node) bool {
		if found {
			return false
		}
		switch n := n.(type) {
		case *syntax.ParamExp:
			found = n.Param != nil && n.Param.Value == DryRunEnv
		case *syntax.ArithmCmd:
			found = arithmNames(n.X)
		case *syntax.ArithmExp:
			found = arithmNames(n.X)
		case *syntax.UnaryTest:
			found = n.Op == syntax.TsVarSet && isLit(n.X, DryRunEnv)
		case *syntax.CallExpr:
			if len(n.Args) > 1 && isLit(n.Args[0], "printenv") {
				for _, a := range n.Args[1:] {
					found = found || isLit(a, DryRunEnv)
				}
			}
		}
		return !found
	})
	return found
}

// arithmNames says whether an arithmetic expression names the variable bare, as in (( FIREBREAK_DRY_RUN )).
func arithmNames(x syntax.ArithmExpr) bool {
	found := false
	syntax.Walk(x, func(n syntax.Node) bool {
		if w, ok := n.(*syntax.Word); ok && w.Lit() == DryRunEnv {
			found = true
		}
		return !found
	})
	return found
}

func isLit(x any, want string) bool {
	w, ok := x.(*syntax.Word)
	return ok && w.Lit() == want
}
