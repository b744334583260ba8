package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMatchesAnsible replays host patterns whose results were recorded from the real Ansible
// (testdata/ansible/cases.tsv, from ansible-core 2.14.18: `ansible PATTERN -i FILE --list-hosts`).
func TestMatchesAnsible(t *testing.T) {
	src, err := os.ReadFile("testdata/ansible/cases.tsv")
	if err != nil {
		t.Fatal(err)
	}
	invs := map[string]*Inventory{}
	n := 0
	for _, line := range strings.Split(string(src), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("bad case line %q", line)
		}
		file, pattern, want := f[0], f[1], f[2]
		inv, ok := invs[file]
		if !ok {
			inv, err = Load([]string{filepath.Join("testdata/ansible", file)}, Options{SSHConfig: []string{}, Home: t.TempDir(), LocalUser: "tester"})
			if err != nil {
				t.Fatal(err)
			}
			invs[file] = inv
		}
		n++
		t.Run(file+"/"+pattern, func(t *testing.T) {
			hosts, err := inv.Match(pattern)
			if want == "ERROR" {
				if err == nil {
					t.Errorf("Match(%q) = %v, want an error as Ansible gives", pattern, names(hosts))
				}
				return
			}
			if err != nil {
				t.Fatalf("Match(%q): %v", pattern, err)
			}
			if got := strings.Join(names(hosts), ","); got != want {
				t.Errorf("Match(%q)\n got %s\nwant %s", pattern, got, want)
			}
		})
	}
	if n < 40 {
		t.Errorf("only %d recorded cases; keep at least 40", n)
	}
}

func names(hs []*Host) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Name
	}
	return out
}
