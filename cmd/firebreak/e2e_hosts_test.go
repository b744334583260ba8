package main

// End-to-end tests of `firebreak hosts` through the real binary (issue 4): inventories (Ansible INI, the
// firebreak TOML format, several -i, names from the config), Ansible host patterns, and bad inventories.
// The expected host lists were checked against `ansible PATTERN -i FILE --list-hosts` (ansible-core).

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const hostsProdINI = `# production, Ansible INI
bastion ansible_host=10.0.0.1

[web]
web[01:04]

[db]
db-[a:c] ansible_port=5432

[lb]
lb1
web02

[prod:children]
web
db

[staging]
stg[1:5:2]
web04

[staging:vars]
env=staging
`

// hostsCacheTOML is a firebreak TOML inventory adding groups and hosts to the INI one (README "firebreak
// TOML inventory"), including a host (web03) that the INI file already has.
const hostsCacheTOML = `[vars]
ansible_user = "deploy"

[[group]]
name = "cache"
vars = { port = 6379 }

[[group]]
name = "edge"
children = ["cache"]

[[host]]
name = "cache[1:2]"
address = "10.0.1.1"
port = 2201
groups = ["cache"]

[[host]]
name = "web03"
groups = ["cache"]
vars = { role = "frontend" }
`

// hostsLines runs `hosts args...`, which must succeed, and returns the printed names.
func (e *fbEnv) hostsLines(args ...string) []string {
	e.t.Helper()
	out := e.ok(append([]string{"hosts"}, args...)...)
	if !strings.HasSuffix(out, "\n") {
		e.t.Fatalf("hosts %q printed %q, want one name a line", args, out)
	}
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

func TestE2EHostsWithoutInventory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if got := e.hostsLines(); !slices.Equal(got, []string{"localhost"}) {
		t.Errorf("hosts without an inventory: %q, want localhost", got)
	}
	if got := e.hostsLines("localhost"); !slices.Equal(got, []string{"localhost"}) {
		t.Errorf("hosts localhost: %q", got)
	}
	// localhost always exists, also with an inventory, but it is not part of all (as in Ansible).
	rbWrite(t, filepath.Join(e.work, "prod.ini"), hostsProdINI)
	if got := e.hostsLines("localhost", "-i", "prod.ini"); !slices.Equal(got, []string{"localhost"}) {
		t.Errorf("hosts localhost -i prod.ini: %q", got)
	}
	if got := e.hostsLines("all", "-i", "prod.ini"); slices.Contains(got, "localhost") {
		t.Errorf("hosts all includes the implicit localhost: %q", got)
	}
}

func TestE2EHostsPatterns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rbWrite(t, filepath.Join(e.work, "prod.ini"), hostsProdINI)
	cases := []struct {
		pattern string
		want    string
	}{
		{"all", "bastion lb1 web02 stg1 stg3 stg5 web04 web01 web03 db-a db-b db-c"},
		{"*", "bastion lb1 web02 stg1 stg3 stg5 web04 web01 web03 db-a db-b db-c"},
		{"ungrouped", "bastion"},
		{"web", "web01 web02 web03 web04"},
		{"prod", "web01 web02 web03 web04 db-a db-b db-c"},
		{"lb", "lb1 web02"},
		{"web:db", "web01 web02 web03 web04 db-a db-b db-c"},
		{"lb:web", "lb1 web02 web01 web03 web04"},
		{"lb,bastion", "lb1 web02 bastion"},
		{"prod:&staging", "web04"},
		{"prod:!web", "db-a db-b db-c"},
		{"!lb:web", "web01 web03 web04"},          // exclusion applies after the union, whatever the order
		{"staging:!web04:&all", "stg1 stg3 stg5"}, // and intersection before exclusion
		{"web:&lb:db", "web02"},                   // union first: (web ∪ db) ∩ lb
		{"web[1:2]", "web02 web03"},               // slices include their end
		{"web[0]", "web01"},
		{"web[-1]", "web04"},
		{"~db-[ab]", "db-a db-b"},               // regex, anchored at the start
		{"~(web|lb)0?[12]$", "web01 web02 lb1"}, // hosts in the order the file defines them
		{"db*", "db-a db-b db-c"},
		{"*-b,stg*", "db-b stg1 stg3 stg5"},
		{"stg?", "stg1 stg3 stg5"},
		{"web:nothing-here", "web01 web02 web03 web04"}, // a part that matches nothing only warns
	}
	for _, c := range cases {
		t.Run(strings.NewReplacer("*", "star", "/", "_").Replace(c.pattern), func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := e.fb("hosts", c.pattern, "-i", "prod.ini")
			got := strings.Join(strings.Fields(stdout), " ")
			if code != 0 || got != c.want || !strings.HasSuffix(stdout, "\n") || strings.Count(stdout, "\n") != len(strings.Fields(c.want)) {
				t.Errorf("hosts %q: exit %d, printed %q, want %q one per line (stderr %q)", c.pattern, code, stdout, c.want, stderr)
			}
			if strings.Contains(c.pattern, "nothing-here") {
				if !strings.Contains(stderr, `firebreak: warning: "nothing-here"`) {
					t.Errorf("hosts %q: stderr %q, want a warning about nothing-here", c.pattern, stderr)
				}
			} else if stderr != "" {
				t.Errorf("hosts %q: stderr %q, want nothing", c.pattern, stderr)
			}
		})
	}
}

func TestE2EHostsNoMatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rbWrite(t, filepath.Join(e.work, "prod.ini"), hostsProdINI)
	for _, p := range []string{"nothing-here", "web:&db", "web[x]", "~zz.*"} {
		stdout, stderr, code := e.fb("hosts", p, "-i", "prod.ini")
		if code != 1 || stdout != "" {
			t.Errorf("hosts %q: exit %d, stdout %q; want exit 1 and nothing", p, code, stdout)
		}
		if !strings.Contains(stderr, "firebreak: ") || !strings.Contains(stderr, "match") || strings.Contains(stderr, "panic") {
			t.Errorf("hosts %q: stderr %q, want a warning that nothing matches", p, stderr)
		}
	}
	stdout, stderr, code := e.fb("hosts", "~(", "-i", "prod.ini")
	wantError(t, "hosts with a bad regex", stdout, stderr, code, 2, "~(")
}

// -i twice merges inventories as `ansible -i A -i B` does; TOML inventories have the same groups and hosts.
func TestE2EHostsMergedInventories(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rbWrite(t, filepath.Join(e.work, "prod.ini"), hostsProdINI)
	rbWrite(t, filepath.Join(e.work, "cache.toml"), hostsCacheTOML)

	if got := e.hostsLines("-i", "cache.toml"); !slices.Equal(got, []string{"cache1", "cache2", "web03"}) {
		t.Errorf("hosts -i cache.toml: %q, want cache1 cache2 web03 in file order", got)
	}
	if got := e.hostsLines("edge", "-i", "cache.toml"); !slices.Equal(got, []string{"cache1", "cache2", "web03"}) {
		t.Errorf("hosts edge -i cache.toml (children): %q", got)
	}
	cases := []struct{ pattern, want string }{
		{"cache", "cache1 cache2 web03"},
		{"edge:&web", "web03"},
		{"prod:!cache", "web01 web02 web04 db-a db-b db-c"},
		{"cache:lb", "cache1 cache2 web03 lb1 web02"},
		{"web", "web01 web02 web03 web04"},
	}
	for _, c := range cases {
		got := strings.Join(e.hostsLines(c.pattern, "-i", "prod.ini", "-i", "cache.toml"), " ")
		if got != c.want {
			t.Errorf("hosts %q -i prod.ini -i cache.toml: %q, want %q", c.pattern, got, c.want)
		}
	}
	// all: every host of both, each once (the order of hosts in sibling nested groups is not stable even
	// in Ansible, so only the set is compared).
	all := e.hostsLines("all", "-i", "prod.ini", "-i", "cache.toml")
	want := strings.Fields("bastion lb1 web02 stg1 stg3 stg5 web04 web01 web03 db-a db-b db-c cache1 cache2")
	if !slices.Equal(slices.Sorted(slices.Values(all)), slices.Sorted(slices.Values(want))) {
		t.Errorf("hosts all of both: %q, want %q", all, want)
	}
	if !slices.Equal(all[:7], want[:7]) {
		t.Errorf("hosts all of both starts %q, want %q", all[:7], want[:7])
	}

	// Names from the config stand for paths; inventories in the config are used without -i.
	rbWrite(t, filepath.Join(e.work, "firebreak.toml"), fmt.Sprintf("inventories = [%q]\n\n[inventory_names]\nprod = %q\ncache = %q\n",
		filepath.Join(e.work, "cache.toml"), filepath.Join(e.work, "prod.ini"), filepath.Join(e.work, "cache.toml")))
	if got := strings.Join(e.hostsLines("cache:lb", "-i", "prod", "-i", "cache"), " "); got != "cache1 cache2 web03 lb1 web02" {
		t.Errorf("hosts cache:lb -i prod -i cache (names): %q", got)
	}
	if got := strings.Join(e.hostsLines("web", "-i", "prod"), " "); got != "web01 web02 web03 web04" {
		t.Errorf("hosts web -i prod (a name): %q", got)
	}
	if got := strings.Join(e.hostsLines(), " "); got != "cache1 cache2 web03" {
		t.Errorf("hosts with inventories from the config: %q", got)
	}
	stdout, stderr, code := e.fb("hosts", "-i", "unknown-name")
	wantError(t, "hosts -i of an unknown name", stdout, stderr, code, 2, "unknown-name")
}

// A malformed inventory is exit 2, naming the file and line.
func TestE2EHostsMalformedInventory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		name, content, marker string
		contains              []string
	}{
		{"range.ini", "[web]\nweb1\nweb[01:x]\n", "web[01:x]", []string{"01:x"}},
		{"child.ini", "[web]\nweb1\n\n[prod:children]\nnosuch\n", "nosuch", []string{"nosuch"}},
		{"hostvar.ini", "[web]\nweb1 ansible_port=22\nweb2 justaword\n", "justaword", []string{"justaword"}},
		{"typo.toml", "[[host]]\nname = \"a\"\nadress = \"10.0.0.1\"\n", "adress", []string{"adress", `did you mean "address"`}},
		{"child.toml", "[[group]]\nname = \"prod\"\nchildren = [\"web\"]\n", "children", []string{"web"}},
	}
	for _, c := range cases {
		rbWrite(t, filepath.Join(e.work, c.name), c.content)
		line := rbLineOf(t, c.content, c.marker)
		stdout, stderr, code := e.fb("hosts", "-i", c.name)
		wantError(t, "hosts -i "+c.name, stdout, stderr, code, 2, append(c.contains, fmt.Sprintf("%s:%d", c.name, line))...)
		// The same with a good inventory first: still refused.
		rbWrite(t, filepath.Join(e.work, "good.ini"), "[ok]\nok1\n")
		stdout, stderr, code = e.fb("hosts", "ok", "-i", "good.ini", "-i", c.name)
		wantError(t, "hosts -i good.ini -i "+c.name, stdout, stderr, code, 2, fmt.Sprintf("%s:%d", c.name, line))
	}
	stdout, stderr, code := e.fb("hosts", "-i", "missing.ini")
	wantError(t, "hosts -i missing.ini", stdout, stderr, code, 2, "missing.ini")
}
