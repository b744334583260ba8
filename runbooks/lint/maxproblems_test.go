package lint

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firebreak/firebreak/runbooks/tomlcheck"
)

// TestLintCutsProblemsPerFile: past tomlcheck.MaxProblems a file's problems are counted in Omitted, not
// listed, and the report is not clean.
func TestLintCutsProblemsPerFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("id = \"keys\"\ntitle = \"k\"\n")
	const n = tomlcheck.MaxProblems + 250
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "k%d = 1\n", i)
	}
	p := filepath.Join(t.TempDir(), "keys.toml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Paths(context.Background(), []string{p})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != tomlcheck.MaxProblems || r.Clean() {
		t.Fatalf("%d findings, clean %v; want %d and not clean", len(r.Findings), r.Clean(), tomlcheck.MaxProblems)
	}
	// The unknown keys (n) and the missing steps (1), less those listed.
	want := []Omitted{{File: p, Count: n + 1 - tomlcheck.MaxProblems}}
	if len(r.Omitted) != 1 || r.Omitted[0] != want[0] || r.Total() != n+1 {
		t.Errorf("omitted %v, total %d; want %v, %d", r.Omitted, r.Total(), want, n+1)
	}
	if got := r.Omitted[0].String(); got != fmt.Sprintf("... and %d more problems in %s", n+1-tomlcheck.MaxProblems, p) {
		t.Errorf("omitted line %q", got)
	}
}
