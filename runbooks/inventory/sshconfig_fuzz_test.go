package inventory

import (
	"regexp"
	"strings"
	"testing"
)

// FuzzSSHConfig: any ssh_config text parses or gives a FILE:LINE error, and every host can be looked up.
// fileLine is how every ssh_config error starts: FILE:LINE.
var fileLine = regexp.MustCompile(`^[^\n:]+:\d+`)

func FuzzSSHConfig(f *testing.F) {
	for _, s := range []string{
		"Host web*\n  User deploy\n  Port 2222\nHost *\n  IdentityFile ~/.ssh/id_%h\n",
		"Match host a,b user !root\n  ProxyJump bastion\nInclude ~/nope/*.conf\n",
		"Host=\"quoted name\" x\nHostName %h.example.com\nPort 0\n",
		"Include " + strings.Repeat("*/", 20) + "\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		c := &SSHConfig{}
		ld := &sshLoader{c: c, home: "/nonexistent", base: "/nonexistent/.ssh", read: map[string][]string{}, budget: 1 << 22}
		if err := ld.parse("fuzz_config", strings.Split(src, "\n"), nil, 0); err != nil {
			// The file may be an included one (an absolute Include reaches the real filesystem).
			if !fileLine.MatchString(err.Error()) {
				t.Fatalf("error without its file and line: %v", err)
			}
			return
		}
		for _, h := range []string{"web1", "a", "", "bastion"} {
			_, _ = c.Lookup(h, "u")
		}
	})
}
