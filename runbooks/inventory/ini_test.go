package inventory

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func load(t *testing.T, files map[string]string, order []string, opt Options) (*Inventory, error) {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for _, name := range order {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(files[name]), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if opt.Home == "" {
		opt.Home = dir
	}
	if opt.LocalUser == "" {
		opt.LocalUser = "me"
	}
	if opt.SSHConfig == nil {
		opt.SSHConfig = []string{}
	}
	return Load(paths, opt)
}

func mustHost(t *testing.T, inv *Inventory, name string) *Host {
	t.Helper()
	h, ok := inv.Host(name)
	if !ok {
		t.Fatalf("no host %s", name)
	}
	return h
}

func TestINIVariablesAndConnection(t *testing.T) {
	const ini = `
solo ansible_host=10.0.0.9 ansible_user=ops
[web]
web[01:03] http_port=80
web04:2222 greeting="hello world" 'quoted=it''s'
[web:vars]
http_port=8080
tier = "frontend"   # a comment
hex = 0x10
[all:vars]
tier=any
ansible_user=deploy
[prod:children]
web
[prod:vars]
tier=prod
ansible_ssh_private_key_file=~/.ssh/prod_key
[legacy]
old ansible_ssh_host=10.1.1.1 ansible_ssh_port=2200 ansible_ssh_user=root
`
	inv, err := load(t, map[string]string{"inv.ini": ini}, []string{"inv.ini"}, Options{Home: "/home/me"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host, addr, user string
		port             int
		vars             map[string]string
		keys             []string
	}{
		{"solo", "10.0.0.9", "ops", 22, map[string]string{"tier": "any"}, nil},
		{"web01", "web01", "deploy", 22, map[string]string{"http_port": "80", "tier": "frontend", "hex": "16"}, []string{"/home/me/.ssh/prod_key"}},
		{"web04", "web04", "deploy", 2222, map[string]string{"http_port": "8080", "greeting": "hello world", "quoted": "its"}, []string{"/home/me/.ssh/prod_key"}},
		{"old", "10.1.1.1", "root", 2200, nil, nil},
	}
	for _, tt := range tests {
		h := mustHost(t, inv, tt.host)
		if h.Addr != tt.addr || h.User != tt.user || h.Port != tt.port || h.Local {
			t.Errorf("%s: got %s@%s:%d local=%v, want %s@%s:%d", tt.host, h.User, h.Addr, h.Port, h.Local, tt.user, tt.addr, tt.port)
		}
		for k, v := range tt.vars {
			if h.Vars[k] != v {
				t.Errorf("%s: var %s = %q, want %q", tt.host, k, h.Vars[k], v)
			}
		}
		if tt.keys != nil && !reflect.DeepEqual(h.IdentityFiles, tt.keys) {
			t.Errorf("%s: identity files %v, want %v", tt.host, h.IdentityFiles, tt.keys)
		}
	}
	if g := mustHost(t, inv, "web02").Groups; !reflect.DeepEqual(g, []string{"prod", "web"}) {
		t.Errorf("web02 groups %v", g)
	}
}

func TestINIRanges(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"web[01:03]", "web01,web02,web03"},
		{"db-[a:c]", "db-a,db-b,db-c"},
		{"n[1:10:3]", "n1,n4,n7,n10"},
		{"r[1:2]-[a:b]", "r1-a,r1-b,r2-a,r2-b"},
		{"z[:2]", "z0,z1,z2"},
		{"x[8:11].example.com", "x8.example.com,x9.example.com,x10.example.com,x11.example.com"},
	}
	for _, tt := range tests {
		got, err := expandRange(tt.in, maxExpand)
		if err != nil || strings.Join(got, ",") != tt.want {
			t.Errorf("expandRange(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"w[01:2]", "w[1]", "w[1:]", "w[c:a]", "w[1:99999999]", "w[1:x]"} {
		if _, err := expandRange(bad, maxExpand); err == nil {
			t.Errorf("expandRange(%q) succeeded, want an error", bad)
		}
	}
}

func TestINIErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		ini  string
		want string
	}{
		{"[web]\nh1\n[web:bogus]\n", "inv.ini:3: section [web:bogus] has unknown type"},
		{"[web]\nh1 novalue\n", "inv.ini:2: expected key=value"},
		{"[a:children]\nmissing\n", "inv.ini:2: section [a:children] includes group missing, which is never defined"},
		{"[ghost:vars]\nx=1\n", "inv.ini:1: section [ghost:vars] is for group ghost"},
		{"[web]\nh1 x=\"unterminated\n", "inv.ini:2: cannot parse host line"},
		{"[web ]\n", "inv.ini:1: invalid section"},
		{"[web]\nw[1:x]\n", "inv.ini:2: host range"},
		{"[a:children]\nb\n[b:children]\na\n", "inv.ini:4: adding group a as a child of b creates a loop"},
	}
	for _, tt := range tests {
		_, err := load(t, map[string]string{"inv.ini": tt.ini}, []string{"inv.ini"}, Options{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ini %q: error %v, want it to contain %q", tt.ini, err, tt.want)
		}
	}
}

// TestINIAsAnsibleReadsIt covers issue 12's INI cases, each checked against ansible-inventory 2.14: a later
// name:port does not move a host, hosts firebreak cannot reach do not stop the inventory loading, and
// float literals are Python's floats.
func TestINIAsAnsibleReadsIt(t *testing.T) {
	const ini = `
[a]
h1:2001
h2
win ansible_connection=winrm
badport ansible_port=http
local1 ansible_connection=local ansible_host=10.9.9.9
nums x=1e3 y=1.5 z=1e16 w=1e-5 v=1_0.5 u=.5 t=5. s=-1e3 q=0.0001 o=123456789012345678.0 n=1e400 m=1__0.5 l=1e
[b]
h1:3002
h2:4000
r[1:2]:2200
[c]
r[1:3]:2300
`
	inv, err := load(t, map[string]string{"inv.ini": ini}, []string{"inv.ini"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, port := range map[string]int{"h1": 2001, "h2": 22, "r1": 2200, "r2": 2200, "r3": 2300} {
		if h := mustHost(t, inv, name); h.Port != port {
			t.Errorf("%s: port %d, want %d (the first definition's)", name, h.Port, port)
		}
	}
	for name, why := range map[string]string{"win": "ansible_connection=winrm is not supported", "badport": `ansible_port "http" is not a port number`} {
		if h := mustHost(t, inv, name); !strings.Contains(h.Unsupported, why) {
			t.Errorf("%s: Unsupported %q, want %q", name, h.Unsupported, why)
		}
	}
	if h := mustHost(t, inv, "local1"); !h.Local || h.Unsupported != "" {
		t.Errorf("local1: Local=%v Unsupported=%q, want a local host", h.Local, h.Unsupported)
	}
	want := map[string]string{"x": "1000.0", "y": "1.5", "z": "1e+16", "w": "1e-05", "v": "10.5", "u": "0.5", "t": "5.0",
		"s": "-1000.0", "q": "0.0001", "o": "1.2345678901234568e+17", "n": "inf", "m": "1__0.5", "l": "1e"}
	vars := mustHost(t, inv, "nums").Vars
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("nums: %s = %q, want %q", k, vars[k], v)
		}
	}
}

func TestMergeSeveralInventories(t *testing.T) {
	a := "[web]\nw1\nw2\n[web:vars]\ncolor=red\n"
	b := "[web]\nw3\n[db]\nd1\nw1\n[web:vars]\ncolor=blue\n"
	inv, err := load(t, map[string]string{"a.ini": a, "b.ini": b}, []string{"a.ini", "b.ini"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := inv.Match("web")
	if n := strings.Join(names(got), ","); n != "w1,w2,w3" {
		t.Errorf("web = %s", n)
	}
	if c := mustHost(t, inv, "w1").Vars["color"]; c != "blue" {
		t.Errorf("later inventory should win: color=%s", c)
	}
	if g := mustHost(t, inv, "w1").Groups; !reflect.DeepEqual(g, []string{"db", "web"}) {
		t.Errorf("w1 groups %v", g)
	}
}

func TestGroupVarPrecedence(t *testing.T) {
	// child group beats parent; same depth: by name, later wins, unless ansible_group_priority says otherwise.
	ini := "[a]\nh\n[b]\nh\n[p:children]\na\n[p:vars]\nv=parent\nw=parent\n[a:vars]\nv=a\n[b:vars]\nv=b\nu=b\n[a:vars]\nu=a\nansible_group_priority=10\n"
	inv, err := load(t, map[string]string{"i.ini": ini}, []string{"i.ini"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := mustHost(t, inv, "h")
	// depths: p=1, b=1, a=2. v: a (deepest). u: a (deeper). w: parent.
	if h.Vars["v"] != "a" || h.Vars["u"] != "a" || h.Vars["w"] != "parent" {
		t.Errorf("vars %v", h.Vars)
	}
	ini2 := "[a]\nh\n[b]\nh\n[a:vars]\nv=a\nansible_group_priority=5\n[b:vars]\nv=b\n"
	inv, err = load(t, map[string]string{"i.ini": ini2}, []string{"i.ini"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v := mustHost(t, inv, "h").Vars["v"]; v != "a" {
		t.Errorf("priority 5 group a should beat b: v=%s", v)
	}
}

func TestLocalhost(t *testing.T) {
	tests := []struct {
		ini      string
		local    bool
		implicit bool
		inAll    bool
		wantAddr string
	}{
		{"[web]\nw1\n", true, true, false, "localhost"},
		{"[web]\nlocalhost\n", true, false, true, "localhost"},
		{"[web]\nlocalhost ansible_connection=local\n", true, false, true, "localhost"},
		{"[web]\nlocalhost ansible_host=127.0.0.1 ansible_port=2201\n", false, false, true, "127.0.0.1"},
		{"[web]\nlocalhost ansible_connection=ssh\n", false, false, true, "localhost"},
		{"[web]\nbox ansible_connection=local\n", true, true, false, "localhost"},
	}
	for _, tt := range tests {
		inv, err := load(t, map[string]string{"i.ini": tt.ini}, []string{"i.ini"}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		h := mustHost(t, inv, "localhost")
		all, _ := inv.Match("all")
		inAll := false
		for _, x := range all {
			inAll = inAll || x == h
		}
		if h.Local != tt.local || h.Implicit != tt.implicit || inAll != tt.inAll || h.Addr != tt.wantAddr {
			t.Errorf("%q: local=%v implicit=%v inAll=%v addr=%s", tt.ini, h.Local, h.Implicit, inAll, h.Addr)
		}
		if m, _ := inv.Match("localhost"); len(m) != 1 || m[0] != h {
			t.Errorf("%q: Match(localhost) = %v", tt.ini, names(m))
		}
	}
	inv, _ := load(t, map[string]string{"i.ini": "[web]\nbox ansible_connection=local\n"}, []string{"i.ini"}, Options{})
	if !mustHost(t, inv, "box").Local {
		t.Error("ansible_connection=local should make box local")
	}
}

func TestSelectReportsUnmatched(t *testing.T) {
	inv, err := ParseINI("i.ini", []byte("[web]\nw1\n[empty]\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := inv.Select("web:nope:empty:&zip*")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.Unmatched, ",") != "nope,zip*" || len(s.Hosts) != 0 {
		t.Errorf("unmatched %v hosts %v", s.Unmatched, s.Names())
	}
	for _, bad := range []string{"~web(", "web[5]"} {
		if _, err := inv.Match(bad); err == nil {
			t.Errorf("Match(%q) should fail", bad)
		}
	}
}

func TestSSHArgsFromAnsibleVars(t *testing.T) {
	ini := `[web]
w1 ansible_ssh_common_args='-o UserKnownHostsFile=/tmp/kh -J ops@bastion:2200'
w2 ansible_ssh_extra_args="-o 'ProxyJump b1,b2'"
`
	inv, err := load(t, map[string]string{"i.ini": ini}, []string{"i.ini"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w1 := mustHost(t, inv, "w1")
	if strings.Join(w1.KnownHostsFiles, ",") != "/tmp/kh" || len(w1.ProxyJump) != 1 || w1.ProxyJump[0].Target() != "ops@bastion:2200" {
		t.Errorf("w1: known %v jumps %v", w1.KnownHostsFiles, w1.ProxyJump)
	}
	if w2 := mustHost(t, inv, "w2"); len(w2.ProxyJump) != 2 {
		t.Errorf("w2 jumps %v", w2.ProxyJump)
	}
}
