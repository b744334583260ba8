package inventory

import (
	"fmt"
	"reflect"
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
		indexCorpus,
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
		sameAnswersIndexed(t, c, "web1", "web2", "a", "b", "", "bastion", "db1", "x")
	})
}

// indexCorpus mixes Host blocks of plain names (indexed) with every kind of block that is not.
const indexCorpus = `Host web1
  User one
Host web2 web1 web2
  Port 2201
Host web*
  User wild
  IdentityFile ~/.ssh/wild
Host a !b
  Port 2202
Host db1
  HostName %h.internal
  IgnoreUnknown frob
  Frob yes
Match host web1.internal,db1.internal
  User matched
Host b
  Frobnicate yes
Host x
  ProxyJump bastion
Host *
  IdentityFile ~/.ssh/id_%h
  Port 22
`

// sameAnswersIndexed checks that Lookup answers the same with the index as by going through every entry.
func sameAnswersIndexed(t *testing.T, c *SSHConfig, hosts ...string) {
	t.Helper()
	c.index()
	for _, h := range hosts {
		got, gerr := c.Lookup(h, "u")
		c.indexed = false
		want, werr := c.Lookup(h, "u")
		c.indexed = true
		if fmt.Sprint(gerr) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: indexed %+v %v, every entry %+v %v", h, got, gerr, want, werr)
		}
	}
}

func TestSSHConfigIndexAnswersAsAScan(t *testing.T) {
	c := &SSHConfig{}
	ld := &sshLoader{c: c, home: "/nonexistent", base: "/nonexistent/.ssh", read: map[string][]string{}, budget: 1 << 22}
	if err := ld.parse("config", strings.Split(indexCorpus, "\n"), nil, 0); err != nil {
		t.Fatal(err)
	}
	sameAnswersIndexed(t, c, "web1", "web2", "web3", "a", "b", "db1", "x", "y", "WEB1", "")
	if len(c.byName["web1"]) != 2 || len(c.byName["db1"]) != 0 || len(c.byName["b"]) != 0 {
		t.Errorf("index: %v", c.byName)
	}
}
