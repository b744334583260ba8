package tomlcheck

import (
	"fmt"
	"strings"
	"testing"
)

// TestProblemsCutAtMax: a file with more unknown keys than MaxProblems reports the first MaxProblems, in
// file order, and then one problem counting the rest.
func TestProblemsCutAtMax(t *testing.T) {
	var b strings.Builder
	b.WriteString("name = \"x\"\n")
	for i := 0; i < MaxProblems+500; i++ {
		fmt.Fprintf(&b, "k%d = 1\n", i)
	}
	var v struct {
		Name string `toml:"name"`
	}
	ps, decoded := DecodeAll("f.toml", []byte(b.String()), &v)
	if !decoded || v.Name != "x" {
		t.Errorf("decoded=%v name=%q, want the known keys decoded", decoded, v.Name)
	}
	if len(ps) != MaxProblems+1 {
		t.Fatalf("%d problems, want %d and a count", len(ps), MaxProblems)
	}
	if first := ps[0]; first.Line != 2 || first.Col != 1 || first.More != 0 {
		t.Errorf("first problem %v, want f.toml:2:1", first)
	}
	if last := ps[MaxProblems-1]; last.Line != MaxProblems+1 {
		t.Errorf("problem %d at line %d, want %d", MaxProblems, last.Line, MaxProblems+1)
	}
	more := ps[MaxProblems]
	if more.More != 500 || more.Error() != "... and 500 more problems in f.toml" {
		t.Errorf("last problem %+v (%q), want a count of 500", more, more.Error())
	}
}
