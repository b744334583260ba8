package inventory

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestInventoriesMatchAnsibleLive is a differential test against the installed Ansible (ansible-core,
// installed by .ci/test). For every inventory of testdata/ansible/live.tsv (INI, YAML, executable) it
// compares, with `ansible-inventory --list`, the groups, their children and every host's variables; and
// for every pattern of the file and every group name it compares the hosts, in order, with those of a play
// on that pattern (ansible_play_hosts_all, one ansible-playbook per inventory).
//
// Ansible orders the hosts of groups two levels down by walking a Python set, so that order follows the
// string hash seed when two groups of one level have children (see hashOrdered): in such an inventory
// only the set of hosts is compared, and patterns with a subscript are left out.
func TestInventoriesMatchAnsibleLive(t *testing.T) {
	const hint = "the live inventory test runs the real Ansible: apt-get install ansible-core (.ci/test does)"
	inventoryBin, err := exec.LookPath("ansible-inventory")
	if err != nil {
		t.Fatalf("%s: %v", hint, err)
	}
	playbookBin, err := exec.LookPath("ansible-playbook")
	if err != nil {
		t.Fatalf("%s: %v", hint, err)
	}
	src, err := os.ReadFile("testdata/ansible/live.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	patterns := map[string][]string{}
	for _, line := range strings.Split(string(src), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		file, pattern, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("bad line %q in live.tsv", line)
		}
		if _, seen := patterns[file]; !seen {
			files = append(files, file)
		}
		patterns[file] = append(patterns[file], pattern)
	}
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "ansible.cfg")
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "HOME="+tmp, "ANSIBLE_CONFIG="+cfg, "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCALHOST_WARNING=false",
		"ANSIBLE_RETRY_FILES_ENABLED=0", "ANSIBLE_STDOUT_CALLBACK=default", "ANSIBLE_LOCAL_TEMP="+filepath.Join(tmp, "tmp"))

	kinds := map[string]bool{}
	var mu sync.Mutex
	var total, unordered int
	var wg sync.WaitGroup
	for _, file := range files {
		path := filepath.Join("testdata/ansible", file)
		switch {
		case isScript(path):
			kinds["executable"] = true
		case strings.HasSuffix(file, ".ini"):
			kinds["INI"] = true
		default:
			kinds["YAML"] = true
		}
		wg.Add(1)
		go func() { // ansible starts in about a second: the inventories run side by side
			defer wg.Done()
			n, u := liveCompare(t, inventoryBin, playbookBin, env, tmp, path, patterns[file])
			mu.Lock()
			total, unordered = total+n, unordered+u
			mu.Unlock()
		}()
	}
	wg.Wait()
	t.Logf("%d inventories, %d patterns (%d compared as sets: Ansible's own order follows the hash seed)", len(files), total, unordered)
	if len(files) < 8 || total < 150 || len(kinds) < 3 {
		t.Errorf("keep at least 8 inventories (INI, YAML and executable; have %v) and 150 patterns", slices.Sorted(maps.Keys(kinds)))
	}
}

// liveCompare checks one inventory and its patterns, and returns how many patterns it compared and how
// many of them only as sets.
func liveCompare(t *testing.T, inventoryBin, playbookBin string, env []string, tmp, path string, pats []string) (int, int) {
	inv, err := Load([]string{path}, Options{SSHConfig: []string{}, Home: tmp, LocalUser: "tester"})
	if err != nil {
		t.Errorf("%s: firebreak: %v", path, err)
		return 0, 0
	}
	cmd := exec.Command(inventoryBin, "-i", path, "--list")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Errorf("%s: ansible-inventory --list: %v\n%s", path, err, stderrOf(err))
		return 0, 0
	}
	listed, err := decodeJSON(out)
	if err != nil {
		t.Errorf("%s: ansible-inventory --list printed no JSON: %v", path, err)
		return 0, 0
	}
	// Groups and their children.
	var groups []string
	for i, name := range listed.keys {
		if name == "_meta" {
			continue
		}
		groups = append(groups, name)
		if _, ok := inv.GroupVars(name); !ok {
			t.Errorf("%s: ansible has group %s, firebreak does not", path, name)
			continue
		}
		var want []string
		if cs := listed.vals[i].get("children"); cs != nil {
			for _, c := range cs.vals {
				want = append(want, c.str)
			}
		}
		if got := inv.Children(name); !slices.Equal(got, want) {
			t.Errorf("%s: children of %s: firebreak %v, ansible %v", path, name, got, want)
		}
	}
	// Every host's variables, as Ansible merges them.
	hostvars := listed.get("_meta").get("hostvars")
	for _, h := range inv.Hosts() {
		if h.Implicit {
			continue
		}
		want := map[string]string{}
		if hv := hostvars.get(h.Name); hv != nil {
			for j, k := range hv.keys {
				want[k] = hv.vals[j].text()
			}
		}
		if !maps.Equal(h.Vars, want) {
			t.Errorf("%s: variables of %s:\nfirebreak %v\nansible   %v", path, h.Name, h.Vars, want)
		}
	}
	// Host patterns: the file's, then every group's name.
	for _, g := range groups {
		if !slices.Contains(pats, g) {
			pats = append(pats, g)
		}
	}
	var pb strings.Builder
	for i, p := range pats {
		fmt.Fprintf(&pb, "- hosts: %s\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: \"PATTERN %d {{ ansible_play_hosts_all | join(',') }}\"\n      run_once: true\n", strconv.Quote(p), i)
	}
	pbPath := filepath.Join(tmp, filepath.Base(path)+".yml")
	if err := os.WriteFile(pbPath, []byte(pb.String()), 0o600); err != nil {
		t.Error(err)
		return 0, 0
	}
	// ansible_connection=local as an extra variable: listing the hosts must not need winrm or docker.
	cmd = exec.Command(playbookBin, "-i", path, "-e", "ansible_connection=local", pbPath)
	cmd.Env = env
	out, err = cmd.CombinedOutput()
	if err != nil {
		t.Errorf("%s: ansible-playbook: %v\n%s", path, err, out)
		return 0, 0
	}
	played := map[int][]string{}
	for _, m := range patternLine.FindAllStringSubmatch(string(out), -1) {
		i, _ := strconv.Atoi(m[1])
		played[i] = strings.Split(m[2], ",")
	}
	setOrder := hashOrdered(listed)
	unordered, skipped := 0, 0
	for i, p := range pats {
		want := played[i]
		hosts, err := inv.Match(p)
		if err != nil {
			t.Errorf("%s: pattern %q: firebreak: %v; ansible %v", path, p, err, want)
			continue
		}
		got := names(hosts)
		if setOrder {
			if strings.Contains(p, "[") {
				skipped++
				continue // a subscript picks from an order Ansible does not define here
			}
			unordered++
			got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: pattern %q:\nfirebreak %v\nansible   %v", path, p, got, want)
		}
	}
	return len(pats) - skipped, unordered
}

// hashOrdered says some group's hosts come in an order Ansible does not define: its get_descendants walks
// each level below a group's children through a Python set, so where two groups of one level both have
// children, the order of the next level follows the string hash seed.
func hashOrdered(listed *jsonValue) bool {
	children := func(g string) []string {
		var out []string
		for _, c := range listed.get(g).get("children").elems() {
			out = append(out, c.str)
		}
		return out
	}
	for _, g := range listed.keys {
		seen := map[string]bool{g: true}
		level := []string{g}
		for len(level) > 0 {
			var next []string
			parents := 0
			for _, p := range level {
				if len(children(p)) > 0 {
					parents++
				}
				for _, c := range children(p) {
					if !seen[c] {
						seen[c] = true
						next = append(next, c)
					}
				}
			}
			if parents > 1 && len(level) > 1 {
				return true
			}
			level = next
		}
	}
	return false
}

var patternLine = regexp.MustCompile(`"msg": "PATTERN (\d+) ([^"]*)"`)

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
