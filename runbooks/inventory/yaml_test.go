package inventory

import (
	"strings"
	"testing"
)

func parseYAMLInv(t testing.TB, src string) (*Inventory, error) {
	t.Helper()
	d := newData()
	if err := d.parseYAML("hosts.yml", []byte(src)); err != nil {
		return nil, err
	}
	return build(d, nil, Options{Home: "/nonexistent", LocalUser: "root"})
}

// TestYAMLValuesAsAnsibleTypesThem: PyYAML reads YAML 1.1, so yes is True, 0755 is 493 and 1e3 (no point)
// is a string; quoted values stay strings. Values checked with ansible-inventory 2.14.
func TestYAMLValuesAsAnsibleTypesThem(t *testing.T) {
	inv, err := parseYAMLInv(t, `
web:
  hosts:
    w1:2222:
      a: yes
      b: 0755
      c: 1e3
      d: 1.50
      e: "yes"
      f: [1, two, 3.0]
      g: ~
      h: !!str 12
      i: 0x1F
      j: 1_000
      k: {x: off}
    w2: {ansible_connection: winrm}
  vars:
    ansible_group_priority: 3
`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "True", "b": "493", "c": "1e3", "d": "1.5", "e": "yes", "f": `[1,"two",3.0]`, "g": "",
		"h": "12", "i": "31", "j": "1000", "k": `{"x":false}`}
	h := mustHost(t, inv, "w1")
	for k, v := range want {
		if got, ok := h.Vars[k]; !ok || got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if h.Port != 2222 {
		t.Errorf("w1 port %d, want 2222", h.Port)
	}
	if w2 := mustHost(t, inv, "w2"); !strings.Contains(w2.Unsupported, "winrm") {
		t.Errorf("w2 Unsupported = %q, want it refused at run time for winrm", w2.Unsupported)
	}
}

func TestYAMLErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"", "is empty"},
		{"- a\n- b\n", "is a mapping of group names"},
		{"plugin: aws_ec2\n", "inventory plugin's configuration"},
		{"web:\n  hosts: [a, b]\n", "hosts must be a mapping"},
		{"web:\n  hosts:\n    a: [1]\n", "host a: its variables must be a mapping"},
		{"web:\n  children:\n    sub: [x]\n", "child sub is neither a group definition nor a known group"},
		{"a:\n  children:\n    b:\n      children:\n        a:\n", "creates a loop"},
		{"web:\n  hosts:\n    \"w[1:x]\":\n", "host range"},
		{"web: {\n", "not a YAML inventory"},
	}
	for _, tt := range tests {
		if _, err := parseYAMLInv(t, tt.src); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want it to contain %q", tt.src, err, tt.want)
		}
	}
}

func FuzzParseYAML(f *testing.F) {
	for _, s := range []string{
		"all:\n  hosts:\n    a:\n  children:\n    web:\n      hosts:\n        w[1:3]:2222: {x: 1}\n      vars: {y: yes}\n",
		"x: &d\n  vars: {a: 1}\ny:\n  <<: *d\n  hosts: h1\n",
		"ungrouped:\n  hosts:\n    h: ~\nempty:\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		inv, err := parseYAMLInv(t, src)
		if err != nil {
			return
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
