package runbooks

import "testing"

// FuzzLoad feeds the loader arbitrary files, seeded with the built-in runbooks: it must never panic, and a
// runbook it accepts must have the ids and titles the format requires. Run it with -fuzzminimizetime 0
// (or a few seconds): minimizing every new interesting input of this size stalls Go's fuzzer for minutes.
//
//	go test -run '^$' -fuzz FuzzLoad -fuzztime 30s -fuzzminimizetime 0 ./runbooks/
func FuzzLoad(f *testing.F) {
	for _, file := range builtinFiles() {
		f.Add(file.data)
	}
	f.Add([]byte(good))
	f.Add([]byte("id = \"a\"\ntitle = \"A\"\n[[steps]]\nid = \"s\"\ntitle = \"S\"\nscript = '''\necho\n'''\nstages = [0, \"x\"]\nmax_fail = 1.5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rb, err := Parse("fuzz.toml", data)
		if err != nil {
			if rb != nil {
				t.Fatal("Parse returned a runbook and an error")
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if rb.ID == "" || rb.Title == "" || len(rb.Steps) == 0 {
			t.Fatalf("accepted a runbook without id, title or steps: %+v", rb)
		}
		seen := map[string]bool{}
		for _, s := range rb.Steps {
			if s.ID == "" || s.Title == "" || seen[s.ID] {
				t.Fatalf("accepted a bad or duplicate step: %+v", s)
			}
			seen[s.ID] = true
			if s.Concurrency < 0 || s.Timeout < 0 {
				t.Fatalf("accepted a negative concurrency or timeout: %+v", s)
			}
			if got := s.Stages.Split(7); len(s.Stages) > 0 && len(got) == 0 {
				t.Fatalf("stages %v split 7 hosts into nothing", s.Stages)
			}
		}
	})
}
