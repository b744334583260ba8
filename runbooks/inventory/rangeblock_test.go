package inventory

import (
	"maps"
	"slices"
	"testing"
)

// TestRangeNamesMatchExpand: a range kept unexpanded names its hosts as expandRange does, in the same order,
// and the ranges it declines (errors, names given twice, no names) are left to expandRange.
func TestRangeNamesMatchExpand(t *testing.T) {
	for _, tt := range []struct {
		pattern string
		ok      bool
	}{
		{"web[1:3]", true},
		{"web[01:10].example.com", true},
		{"db-[a:c]", true},
		{"x[1:10:3]y", true},
		{"r[1:2]-n[01:12]", true},
		{"l[a:C:2]", true},
		{"[7:9]", true},
		{"n[8:11]x[1:2]", false}, // two sequences of varying width side by side could name a host twice
		{"i[1:12][0:12]", false}, // i111 is i1 + 11 and i11 + 1
		{"w[3:2]", false},
		{"w[01:3]", false},
		{"w[1:", false},
		{"w[1:3]]", false},
		{"w[a:3]", false},
		{"w[1:3:0]", false},
		{"w[1:200000]", false}, // more than max
	} {
		r, ok := parseRange(tt.pattern, maxExpand)
		if ok != tt.ok {
			t.Errorf("parseRange(%q) ok=%v, want %v", tt.pattern, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		want, err := expandRange(tt.pattern, maxExpand)
		if err != nil {
			t.Fatalf("expandRange(%q): %v", tt.pattern, err)
		}
		var got []string
		for i := 0; i < r.n; i++ {
			got = append(got, string(r.appendName(nil, i)))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q:\n got %v\nwant %v", tt.pattern, got, want)
		}
	}
}

// TestRangeHostsChangedAlone: a host of a range that is named again (another group, its own variables) is
// changed alone; its neighbours keep the line's groups and variables.
func TestRangeHostsChangedAlone(t *testing.T) {
	inv, err := ParseINI("r.ini", []byte("web[1:3] a=1\n[db]\nweb2 b=2\n[g]\nweb[3:4]\n[g:vars]\nc=3\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		groups []string
		vars   map[string]string
	}{
		{"web1", []string{"ungrouped"}, map[string]string{"a": "1"}},
		{"web2", []string{"db"}, map[string]string{"a": "1", "b": "2"}},
		{"web3", []string{"g"}, map[string]string{"a": "1", "c": "3"}},
		{"web4", []string{"g"}, map[string]string{"c": "3"}},
	} {
		h, ok := inv.Host(tt.name)
		if !ok {
			t.Fatalf("no host %s", tt.name)
		}
		if !slices.Equal(h.Groups, tt.groups) || !maps.Equal(h.Vars, tt.vars) {
			t.Errorf("%s: groups %v vars %v, want %v %v", tt.name, h.Groups, h.Vars, tt.groups, tt.vars)
		}
	}
	names, _, err := inv.Names("all")
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Collect(names); !slices.Equal(got, []string{"web1", "web2", "web3", "web4"}) {
		t.Errorf("Names(all) = %v", got)
	}
}
