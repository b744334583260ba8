package lint

import (
	"context"
	"os/exec"
	"testing"
)

// TestBuiltinLibraryLintsClean is the quality gate on our own runbooks, with the real ShellCheck: it fails
// (never skips) when ShellCheck is missing.
func TestBuiltinLibraryLintsClean(t *testing.T) {
	if _, err := exec.LookPath(ShellCheck); err != nil {
		t.Fatalf("ShellCheck is required for this test: apt-get install shellcheck (%v)", err)
	}
	r, err := Library(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		t.Errorf("%s", f)
	}
	if r.Runbooks < 8 || r.Fragments < 30 {
		t.Errorf("linted %d runbooks, %d fragments: want at least 8 and 30", r.Runbooks, r.Fragments)
	}
}
