package runbooks

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestStagesMatchAnsible is a differential test: for every (host count, stage list) pair of a corpus, the
// batches that ansible-playbook makes with `serial:` set to the list are compared with Split. It runs the
// real ansible-playbook (ansible-core, installed by .ci/test): one playbook per host count, one play per
// stage list, each batch printing its hosts.
func TestStagesMatchAnsible(t *testing.T) {
	bin, err := exec.LookPath("ansible-playbook")
	if err != nil {
		t.Fatalf("ansible-playbook is needed for the differential test of stages: apt-get install ansible-core (.ci/test does): %v", err)
	}
	counts := []int{1, 2, 3, 4, 5, 7, 10, 13, 17, 29, 50, 99, 100, 101}
	// Every batch is a play iteration for ansible-playbook: lists that make hundreds of small batches
	// (a plain 1 on 100 hosts) run only on the small counts, to keep the test quick.
	lists := []string{"100%", "1,5,25%,100%", "29%", "33%,100%", "1,10%", "50%", "1,99%", "7%,13%", "58%", "14%,57%,100%", "1,2,4,8,100%"}
	small := []string{"1", "2,3", "3%", "10"}
	dir := t.TempDir()
	pairs := 0
	for _, n := range counts {
		var inv strings.Builder
		inv.WriteString("[fleet]\n")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&inv, "h%03d\n", i)
		}
		inv.WriteString("\n[fleet:vars]\nansible_connection=local\n")
		invPath := filepath.Join(dir, fmt.Sprintf("inv%d.ini", n))
		if err := os.WriteFile(invPath, []byte(inv.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		lists := lists
		if n <= 17 {
			lists = append(slices.Clone(lists), small...)
		}
		var pb strings.Builder
		for li, list := range lists {
			var items []string
			for _, f := range strings.Split(list, ",") {
				items = append(items, strconv.Quote(f))
			}
			fmt.Fprintf(&pb, "- hosts: fleet\n  gather_facts: false\n  serial: [%s]\n  tasks:\n    - debug:\n        msg: \"BATCH %d {{ ansible_play_batch | join(',') }}\"\n      run_once: true\n",
				strings.Join(items, ", "), li)
		}
		pbPath := filepath.Join(dir, fmt.Sprintf("pb%d.yml", n))
		if err := os.WriteFile(pbPath, []byte(pb.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-i", invPath, pbPath)
		cmd.Env = append(os.Environ(), "HOME="+dir, "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCALHOST_WARNING=false",
			"ANSIBLE_RETRY_FILES_ENABLED=0", "ANSIBLE_STDOUT_CALLBACK=default", "ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, "tmp"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ansible-playbook for %d hosts: %v\n%s", n, err, out)
		}
		got := map[int][]int{} // list index → Ansible's batch sizes, in order
		for _, m := range regexp.MustCompile(`"msg": "BATCH (\d+) ([^"]*)"`).FindAllStringSubmatch(string(out), -1) {
			li, _ := strconv.Atoi(m[1])
			got[li] = append(got[li], len(strings.Split(m[2], ",")))
		}
		for li, list := range lists {
			st, err := ParseStages(list)
			if err != nil {
				t.Fatal(err)
			}
			pairs++
			if want := got[li]; !slices.Equal(st.Split(n), want) {
				t.Errorf("%d hosts, stages %s: firebreak %v, ansible-playbook %v", n, list, st.Split(n), want)
			}
		}
	}
	t.Logf("%d (hosts, stages) pairs compared with ansible-playbook", pairs)
}
