package inventory

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSSHConfigResolution(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".ssh", "conf.d"), 0o700)
	os.WriteFile(filepath.Join(home, ".ssh", "conf.d", "extra.conf"), []byte("Host inc*\n  Port 2300\n"), 0o600)
	cfg := `
# first obtained value wins
Include conf.d/*.conf
Host web* !web-bad
  HostName %h.internal
  User webops
  IdentityFile ~/.ssh/web_key
Host web-bad
  HostName bad.internal
Host *.example.com db?
  Port 2222
  UserKnownHostsFile ~/.ssh/kh1 /etc/kh2
  ProxyJump jumpuser@bastion:2200,bastion2
Host bastion
  HostName 10.0.0.1
  User jump
Host "quoted host" ipaddr
  HostName=192.0.2.1
Match host 192.0.2.1
  Port 2444
Match exec "true" host nothing-here
  Port 9
Host *
  User defaultuser
  IdentityFile ~/.ssh/id_common
  Port 2022
`
	cfgPath := filepath.Join(home, ".ssh", "config")
	os.WriteFile(cfgPath, []byte(cfg), 0o600)
	ini := `web1
web-bad
db1
x.example.com ansible_port=2999 ansible_user=root
inc1
ipaddr
alias ansible_host=web9
`
	inv, err := load(t, map[string]string{"i.ini": ini}, []string{"i.ini"}, Options{Home: home, SSHConfig: []string{cfgPath}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, addr, user string
		port             int
		keys             []string
		jumps            string
	}{
		{"web1", "web1.internal", "webops", 2022, []string{home + "/.ssh/web_key", home + "/.ssh/id_common"}, ""},
		{"web-bad", "bad.internal", "defaultuser", 2022, []string{home + "/.ssh/id_common"}, ""},
		{"db1", "db1", "defaultuser", 2222, nil, "jumpuser@10.0.0.1:2200,defaultuser@bastion2:2022"},
		{"x.example.com", "x.example.com", "root", 2999, nil, "jumpuser@10.0.0.1:2200,defaultuser@bastion2:2022"},
		{"inc1", "inc1", "defaultuser", 2300, nil, ""},
		{"ipaddr", "192.0.2.1", "defaultuser", 2444, nil, ""},
		{"alias", "web9.internal", "webops", 2022, nil, ""}, // ssh_config matches ansible_host, not the name
	}
	for _, tt := range tests {
		h := mustHost(t, inv, tt.name)
		if h.Addr != tt.addr || h.User != tt.user || h.Port != tt.port {
			t.Errorf("%s: got %s@%s:%d, want %s@%s:%d", tt.name, h.User, h.Addr, h.Port, tt.user, tt.addr, tt.port)
		}
		if tt.keys != nil && !reflect.DeepEqual(h.IdentityFiles, tt.keys) {
			t.Errorf("%s: keys %v, want %v", tt.name, h.IdentityFiles, tt.keys)
		}
		var js []string
		for _, j := range h.ProxyJump {
			js = append(js, j.Target())
		}
		if strings.Join(js, ",") != tt.jumps {
			t.Errorf("%s: jumps %v, want %s", tt.name, js, tt.jumps)
		}
	}
	if kh := mustHost(t, inv, "db1").KnownHostsFiles; kh[0] != home+"/.ssh/kh1" || kh[1] != "/etc/kh2" {
		t.Errorf("db1 known hosts %v", kh)
	}
	if kh := mustHost(t, inv, "web1").KnownHostsFiles; kh[0] != home+"/.ssh/known_hosts" {
		t.Errorf("web1 known hosts default %v", kh)
	}
}

func TestSSHConfigErrors(t *testing.T) {
	for cfg, want := range map[string]string{
		"Host a\n  Port abc\n":           "config:2: Port \"abc\" is not a port number",
		"Host\n":                         "config:1: Host needs at least one pattern",
		"Host a\n  HostName \"open\n":    "config:2: unterminated quote",
		"Match nosuch x\n":               "config:1: unsupported Match criterion",
		"Host a\n  ProxyCommand nc %h\n": "ProxyCommand",
		"Host a\n  ProxyCommand nc %h %p\n  ProxyJump b\n": "config:2: ssh_config sets ProxyCommand",
		"Match exec true\n  Port 2\n":                      "config:1: Match exec is not supported",
		"Host *\n  Prot 22\n":                              "config:2: Bad configuration option: prot",
		"Host a\n  HostName %d.x\n":                        "config:2: HostName",
		"Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n":   "ProxyJump loop",
		"Host a\n  IdentityFile ${FIREBREAK_UNSET_X}\n":    "FIREBREAK_UNSET_X is not set",
		"Host a\n  UserKnownHostsFile ~/%x\n":              "unknown token %x",
	} {
		home := t.TempDir()
		p := filepath.Join(home, "config")
		os.WriteFile(p, []byte(cfg), 0o600)
		_, err := load(t, map[string]string{"i.ini": "a\n"}, []string{"i.ini"}, Options{Home: home, SSHConfig: []string{p}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", cfg, err, want)
		}
	}
}

func TestSSHMatchPattern(t *testing.T) {
	tests := []struct {
		s    string
		pats []string
		want bool
	}{
		{"web1", []string{"web*"}, true},
		{"WEB1", []string{"web?"}, false}, // case-sensitive, as OpenSSH's match_pattern
		{"web12", []string{"web?"}, false},
		{"web1", []string{"*", "!web1"}, false},
		{"web2", []string{"*", "!web1"}, true},
		{"x", []string{"!y"}, false},
	}
	for _, tt := range tests {
		if got := sshMatchList(tt.s, tt.pats); got != tt.want {
			t.Errorf("sshMatchList(%q, %v) = %v", tt.s, tt.pats, got)
		}
	}
}
