package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostileHostNamesRefused: a host name with an escape sequence (OSC 52 clipboard write, ESC [2J),
// another control character, a bidi override or a zero-width character is refused at load, naming the
// file and line, in every format and for an ssh_config HostName.
func TestHostileHostNamesRefused(t *testing.T) {
	tests := []struct{ name, file, src, want string }{
		{"ini osc52", "inv.ini", "[web]\nok1\nweb\x1b]52;c;ZWNobyBvd25lZA==\x07\n", "inv.ini:3: host \"web\\x1b]52;c;ZWNobyBvd25lZA==\\a\" contains the control character U+001B"},
		{"ini clear", "inv.ini", "web\x1b[2J ansible_host=10.0.0.1\n", "inv.ini:1: host \"web\\x1b[2J\" contains"},
		{"ini del", "inv.ini", "[db]\ndb\x7f1\n", "inv.ini:2: host"},
		{"ini c1", "inv.ini", "db\u009b2J\n", "inv.ini:1: host"},
		{"ini bidi", "inv.ini", "[web]\nweb\u202e1\n", "inv.ini:2: host \"web\\u202e1\" contains the control character U+202E"},
		{"ini zero width", "inv.ini", "web\u200b1\n", "inv.ini:1: host"},
		{"ini range", "inv.ini", "\n\nweb[1:2]\x1b[2J\n", "inv.ini:3: host"},
		{"ini bad utf8", "inv.ini", "web\xff\n", "inv.ini:1: host \"web\\xff\" is not valid UTF-8"},
		{"toml osc", "inv.toml", "[[host]]\nname = \"ok\"\n\n[[host]]\nname = \"web\\u001b]52;c;eA==\\u0007\"\n", "inv.toml:5: host"},
		{"toml bidi", "inv.toml", "[[host]]\nname = \"web\u202e1\"\n", "inv.toml:2: host"},
		{"address", "inv.ini", "web1 ansible_host=\"10.0.0.1\x1b[2J\"\n", "inv.ini:1: host web1: address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, map[string]string{tt.file: tt.src}, []string{tt.file}, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), "remove it") && !strings.Contains(err.Error(), "fix the inventory") {
				t.Errorf("error %v does not say what to do", err)
			}
		})
	}
}

// TestHostileSSHConfigHostNameRefused: a HostName from ssh_config is the address firebreak shows; an escape
// sequence in it is refused with the inventory host's file and line.
func TestHostileSSHConfigHostNameRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ssh_config")
	if err := os.WriteFile(cfg, []byte("Host web1\n  HostName evil\x1b]0;pwned\x07.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := load(t, map[string]string{"inv.ini": "[web]\nweb1\n"}, []string{"inv.ini"}, Options{SSHConfig: []string{cfg}})
	if err == nil || !strings.Contains(err.Error(), "inv.ini:2: host web1: address (ansible_host or ssh_config HostName): host \"evil\\x1b]0;pwned\\a.example\" contains the control character U+001B") {
		t.Fatalf("error %v", err)
	}
}

func TestPlainHostNamesAccepted(t *testing.T) {
	inv, err := load(t, map[string]string{"inv.ini": "web-01.example.com\nnode_é\n[::1]:2222\n"}, []string{"inv.ini"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Hosts()) != 3 {
		t.Errorf("hosts %v", inv.Hosts())
	}
}
