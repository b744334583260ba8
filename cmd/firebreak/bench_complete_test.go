package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkCompletionIncidents measures what a person waits for after TAB: a whole `firebreak __complete
// show ""` process (start, config, database open, query, output) against a database made by
// cmd/firebreak-gen (1,000 incidents, 200,000 events). The target is 100 ms. FIREBREAK_BENCH_DB names a
// database made earlier (go run ./cmd/firebreak-gen --db PATH), else one is made first (not timed).
func BenchmarkCompletionIncidents(b *testing.B) {
	benchComplete(b, "show", "")
}

// BenchmarkCompletionRunSteps completes the steps of a runbook (the library is read, not the database).
func BenchmarkCompletionRunSteps(b *testing.B) {
	benchComplete(b, "run", "INC-1", "--runbook", "free-disk", "--step", "")
}

func benchComplete(b *testing.B, args ...string) {
	db := os.Getenv("FIREBREAK_BENCH_DB")
	if db == "" {
		db = filepath.Join(b.TempDir(), "gen.db")
		gen := exec.Command("go", "run", "../firebreak-gen", "--db", db)
		if out, err := gen.CombinedOutput(); err != nil {
			b.Fatalf("firebreak-gen: %v\n%s", err, out)
		}
	}
	home := b.TempDir()
	env := append(os.Environ(), "FIREBREAK_DB="+db, "HOME="+home, "XDG_CONFIG_HOME="+home, "XDG_DATA_HOME="+home)
	run := func() string {
		cmd := exec.Command(fbBin, append([]string{"__complete"}, args...)...)
		cmd.Env, cmd.Dir = env, home
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("__complete %q: %v", args, err)
		}
		return string(out)
	}
	if out := run(); strings.Count(out, "\n") < 2 {
		b.Fatalf("__complete %q offered nothing:\n%s", args, out)
	}
	for b.Loop() {
		run()
	}
}
