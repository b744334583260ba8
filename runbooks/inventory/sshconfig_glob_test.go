package inventory

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBoundedGlob matches what filepath.Glob matches, and refuses a pattern that would walk too much.
func TestBoundedGlob(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.conf", "b.conf", "c.txt", "sub/d.conf", "sub/e.conf", "sub2/f.conf"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o600)
	}
	for _, pat := range []string{"*.conf", "*/*.conf", "sub*/*", "nope/*", "a.conf", "missing", "[ab].conf"} {
		full := filepath.Join(dir, pat)
		want, _ := filepath.Glob(full)
		got, err := boundedGlob(full, 1000)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: got %v %v, want %v", pat, got, err, want)
		}
	}
	if got, err := boundedGlob("/*", 100000); err != nil || !slices.Contains(got, "/tmp") {
		t.Errorf("/*: %v %v", got, err)
	}
	if _, err := boundedGlob(filepath.Join(dir, "*", "*"), 3); err == nil || !strings.Contains(err.Error(), "more than 3") {
		t.Errorf("a pattern over the budget: %v", err)
	}
}
