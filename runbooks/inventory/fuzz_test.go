package inventory

import (
	"testing"
)

func FuzzParseINI(f *testing.F) {
	for _, s := range []string{
		"[web]\nw[01:03] a=1 b=\"x y\"\n[web:vars]\nk='v'\n[all:children]\nweb\n",
		"h1:22\n[g:children]\nh\n[h]\nx[a:c]\n",
		"; c\n# c\n[a]\n[b:children]\na\n[a:vars]\nansible_group_priority=3\n",
		"x ansible_host=1.2.3.4 ansible_port=0x16\n[z]\n\\#odd\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		inv, err := ParseINI("fuzz.ini", []byte(src))
		if err != nil {
			return
		}
		for _, p := range []string{"all", "*", "ungrouped:!a", "a:&b", "x*[0:2]"} {
			if _, err := inv.Match(p); err != nil {
				_ = err
			}
		}
		seen := map[string]bool{}
		for _, h := range inv.Hosts() {
			if seen[h.Name] {
				t.Fatalf("host %s listed twice", h.Name)
			}
			seen[h.Name] = true
		}
	})
}

func FuzzMatch(f *testing.F) {
	inv, err := ParseINI("f.ini", []byte("a1\n[web]\nw[1:5]\n[db]\nd[a:c]\nw2\n[all2:children]\nweb\ndb\n"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range []string{"all", "web:&db", "web:!w1", "~w[0-9]", "web[0:2]", "web[-1]", "w*,d?", "!web", "&db:web[1:]", "[wd]1", "::1"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		hosts, err := inv.Match(pattern)
		if err != nil {
			return
		}
		seen := map[*Host]bool{}
		for _, h := range hosts {
			if h == nil || seen[h] {
				t.Fatalf("Match(%q) gave a nil or duplicate host", pattern)
			}
			seen[h] = true
		}
	})
}
