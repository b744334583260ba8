package inventory

import (
	"strings"
	"testing"
)

const exampleTOML = `
[vars]
ansible_user = "deploy"
retries = 3

[[group]]
name = "web"
vars = { http_port = 8080 }

[[group]]
name = "prod"
children = ["web"]
vars = { env = "production", debug = false }

[[host]]
name = "web[01:02]"
address = "10.0.0.1"
port = 2201
groups = ["web"]
vars = { role = "frontend" }

[[host]]
name = "bastion"
address = "203.0.113.1"
user = "jump"

[[host]]
name = "db1"
address = "10.0.1.1"
identity_file = "~/.ssh/db_key"
proxy_jump = "bastion"
groups = ["prod"]
`

func TestTOMLInventory(t *testing.T) {
	inv, err := load(t, map[string]string{"inv.toml": exampleTOML}, []string{"inv.toml"}, Options{Home: "/h"})
	if err != nil {
		t.Fatal(err)
	}
	w := mustHost(t, inv, "web02")
	if w.Addr != "10.0.0.1" || w.Port != 2201 || w.User != "deploy" || w.Vars["http_port"] != "8080" || w.Vars["env"] != "production" || w.Vars["retries"] != "3" || w.Vars["debug"] != "false" {
		t.Errorf("web02 = %+v", w)
	}
	d := mustHost(t, inv, "db1")
	if len(d.ProxyJump) != 1 || d.ProxyJump[0].Target() != "jump@203.0.113.1:22" || d.IdentityFiles[0] != "/h/.ssh/db_key" {
		t.Errorf("db1 jumps %v keys %v", d.ProxyJump, d.IdentityFiles)
	}
	got, _ := inv.Match("prod")
	if n := strings.Join(names(got), ","); n != "db1,web01,web02" {
		t.Errorf("prod = %s", n)
	}
	// TOML and INI merge like two Ansible sources.
	inv, err = load(t, map[string]string{"inv.toml": exampleTOML, "more.ini": "[web]\nweb03\n"}, []string{"inv.toml", "more.ini"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = inv.Match("web")
	if n := strings.Join(names(got), ","); n != "web01,web02,web03" {
		t.Errorf("web = %s", n)
	}
}

func TestTOMLErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"[[host]]\nname = \"a\"\nadress = \"x\"\n", "inv.toml:3"},
		{"[[host]]\nport = 22\n", "inv.toml:1: [[host]] needs a name"},
		{"[[group]]\nname = \"a\"\nchildren = [\"nope\"]\n", "inv.toml:3: group a lists child group nope"},
		{"[[host]]\nname = \"a\"\nport = \"22\"\n", "inv.toml:3"},
		{"[[host]]\nname = \"a\"\nvars = { x = [1] }\n", "inv.toml:3: variable x"},
		{"[[host\n", "inv.toml:2"},
	}
	for _, tt := range tests {
		_, err := load(t, map[string]string{"inv.toml": tt.src}, []string{"inv.toml"}, Options{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.src, err, tt.want)
		}
	}
}
