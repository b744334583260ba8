package inventory

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// osshCase is one differential case: an ssh_config (and the files it includes, written beside it; @DIR@
// in any of them is that directory) and the destination given to `ssh -G`.
type osshCase struct {
	class string
	host  string
	cfg   string
	inc   map[string]string
}

// osshCases is the corpus TestSSHConfigMatchesOpenSSH runs through both OpenSSH and firebreak.
var osshCases = []osshCase{
	// include: a file included from a block that does not apply has none of its blocks apply.
	{"include", "web1", "Host nomatch\n  Include @DIR@/inc1\nHost *\n  Port 2201\n", map[string]string{"inc1": "Host *\n  User incuser\n  Port 2999\n"}},
	{"include", "web1", "Host web*\n  Include @DIR@/inc1\nHost *\n  Port 2201\n", map[string]string{"inc1": "Host *\n  User incuser\n  Port 2999\n"}},
	{"include", "web1", "Include @DIR@/inc1\nPort 2202\n", map[string]string{"inc1": "Host other\n  User x\n"}},
	{"include", "web1", "Match user nobody\n  Include @DIR@/inc1\nUser top\n", map[string]string{"inc1": "Host *\n  User fromfile\n"}},
	{"include", "web1", "Host web1\n  Include @DIR@/inc1\n  Port 2203\n", map[string]string{"inc1": "Host zzz\n  User z\n"}},
	{"include", "web1", "Host nomatch\n  Include @DIR@/inc1\n", map[string]string{"inc1": "Include @DIR@/inc2\n", "inc2": "Host *\n  HostName deep.example\n"}},
	{"include", "web1", "Host web1\n  Include @DIR@/inc1\n", map[string]string{"inc1": "Include @DIR@/inc2\n", "inc2": "Host *\n  HostName deep.example\n"}},
	{"include", "web1", "Host nomatch\n  Include @DIR@/inc*\nHost *\n  User after\n", map[string]string{"inc1": "Match all\n  Port 2204\n", "inc2": "Host web1\n  Port 2205\n"}},
	{"include", "web1", "Include @DIR@/nothing-here-*\nHost web1\n  Port 2206\n", nil},

	// case: Host patterns and Match user are case-sensitive; Match host and originalhost are not.
	{"case", "WEB1", "Host web1\n  Port 2301\n", nil},
	{"case", "Web1", "Host Web1\n  Port 2302\n", nil},
	{"case", "web1", "Host WEB*\n  Port 2303\nHost w?b1\n  Port 2304\n", nil},
	{"case", "WEB1", "Match host web1\n  Port 2305\n", nil},
	{"case", "web1", "Match originalhost WEB1\n  Port 2306\n", nil},
	{"case", "web1", "User Deploy\nMatch user deploy\n  Port 2307\n", nil},
	{"case", "web1", "User Deploy\nMatch user Deploy\n  Port 2308\n", nil},
	{"case", "web1", "Host * !WEB1\n  Port 2309\n", nil},
	{"case", "web1", "Host * !web1\n  Port 2310\nHost *\n  Port 2311\n", nil},

	// lower: %h and the host connected to are the lower-cased destination; addresses are left alone.
	{"lower", "WEB1", "Host *\n  UserKnownHostsFile /kh/%h /kh/%n\n", nil},
	{"lower", "Web1", "Host Web1\n  HostName %h.Example.COM\n", nil},
	{"lower", "web1", "Host web1\n  HostName DB.EXAMPLE\n  UserKnownHostsFile /kh/%h\n", nil},
	{"lower", "web1", "Host web1\n  HostName Db1\nMatch host db1\n  Port 2401\n", nil},
	{"lower", "web1", "Host web1\n  HostName 2001:DB8::1\n", nil},
	{"lower", "10.0.0.5", "Host 10.0.0.*\n  Port 2402\n  UserKnownHostsFile /kh/%h-%p\n", nil},
	{"lower", "web1", "Host web1\n  HostName %%h-%h\n", nil},

	// jump: a jump host's own ProxyJump comes first; later hops ignore theirs; loops are refused.
	{"jump", "web1", "Host web1\n  ProxyJump bastion\nHost bastion\n  HostName 192.0.2.10\n  User jumper\n  Port 2222\n", nil},
	{"jump", "web1", "Host web1\n  ProxyJump b1\nHost b1\n  ProxyJump b2\nHost b2\n  HostName outer.example\n", nil},
	{"jump", "web1", "Host web1\n  ProxyJump b1,b2\nHost b1\n  ProxyJump b0\nHost b2\n  ProxyJump ignored\n", nil},
	{"jump", "web1", "Host web1\n  ProxyJump ops@b1:2200\nHost b1\n  User other\n  Port 22\n", nil},
	{"jump", "web1", "Host web1\n  ProxyJump ssh://ops@b1:2201\n", nil},
	{"jump", "web1", "Host web1\n  ProxyJump b1\nHost b1\n  ProxyJump web1\n", nil},
	{"jump", "web1", "Host web1\n  ProxyJump b1\nHost b1\n  ProxyJump b2\nHost b2\n  ProxyJump b1\n", nil},
	{"jump", "web1", "Host web1\n  ProxyJump web1\n", nil},
	{"jump", "web1", "Host web1\n  ProxyJump none\nHost *\n  ProxyJump b1\n", nil},
	{"jump", "web1", "Host web1\n  ProxyJump b1\nHost b1\n  ProxyJump none\nHost *\n  ProxyJump b9\n", nil},

	// proxy: the first of ProxyCommand and ProxyJump that applies is taken; a ProxyCommand refuses.
	{"proxy", "web1", "Host web1\n  ProxyCommand nc %h %p\n  ProxyJump b1\n", nil},
	{"proxy", "web1", "Host web1\n  ProxyJump b1\n  ProxyCommand nc %h %p\n", nil},
	{"proxy", "web1", "Host web1\n  ProxyCommand none\nHost *\n  ProxyJump b1\n", nil},
	{"proxy", "web1", "Host web1\n  ProxyJump none\nHost *\n  ProxyCommand nc %h %p\n", nil},
	{"proxy", "web1", "Host web1\n  ProxyJump b1\nHost b1\n  ProxyCommand nc %h %p\n", nil},
	{"proxy", "web1", "Host other\n  ProxyCommand nc %h %p\nHost *\n  ProxyJump b1\n", nil},
	{"proxy", "web1", "Match exec true host nope\n  ProxyCommand nc %h %p\n", nil},

	// unknown: a keyword OpenSSH does not know refuses the file, wherever it is, unless IgnoreUnknown.
	{"unknown", "web1", "Host web1\n  Prot 2222\n", nil},
	{"unknown", "web1", "Host nomatch\n  HostNmae x\n", nil},
	{"unknown", "web1", "IgnoreUnknown prot\nHost web1\n  Prot 2222\n  Port 2501\n", nil},
	{"unknown", "web1", "Host web1\n  Prot 2222\nIgnoreUnknown prot\n", nil},
	{"unknown", "web1", "Host nomatch\n  Include @DIR@/inc1\n", map[string]string{"inc1": "Usr x\n"}},
	{"unknown", "web1", "IgnoreUnknown Foo*,bar\nFooBar 1\nBar 2\nPort 2502\n", nil},
	{"unknown", "web1", "Host nomatch\n  IgnoreUnknown prot\nHost web1\n  Prot 2222\n", nil},
	{"unknown", "web1", "Host web1\n  UseKeychain yes\n", nil},

	// tokens: %-tokens and ${VAR} in paths; anything else is an error, as it is for OpenSSH.
	{"tokens", "web1", "Host web1\n  User ops\n  Port 2601\n  UserKnownHostsFile /kh/%d/%u/%h/%r/%p/%n/%i/%%\n", nil},
	{"tokens", "web1", "Host web1\n  UserKnownHostsFile /kh/%l/%L/%C\n", nil},
	{"tokens", "web1", "Host web1\n  HostKeyAlias Alias1\n  UserKnownHostsFile /kh/%k\n", nil},
	{"tokens", "web1", "Host web1\n  UserKnownHostsFile /kh/%k\n", nil},
	{"tokens", "web1", "Host web1\n  UserKnownHostsFile /kh/%x\n", nil},
	{"tokens", "web1", "Host web1\n  UserKnownHostsFile /kh/${FIREBREAK_OSSH_SET}/x\n", nil},
	{"tokens", "web1", "Host web1\n  UserKnownHostsFile /kh/${FIREBREAK_OSSH_UNSET}/x\n", nil},
	{"tokens", "web1", "Host web1\n  UserKnownHostsFile /kh/$FIREBREAK_OSSH_SET/x\n", nil},
	{"tokens", "web1", "Host web1\n  HostName %h.%d\n", nil},
	{"tokens", "web1", "Host web1\n  HostName x%\n", nil},
	{"tokens", "web1", "Host web1\n  UserKnownHostsFile /kh/x%\n", nil},

	// tilde: ~ is the passwd home directory, whatever $HOME says; ~USER is that user's.
	{"tilde", "web1", "Host web1\n  UserKnownHostsFile ~/kh ~root/kh2\n", nil},
	{"tilde", "web1", "Host web1\n  UserKnownHostsFile ~//kh\n", nil},
	{"tilde", "web1", "Host web1\n  UserKnownHostsFile ~\n", nil},
	{"tilde", "web1", "Host web1\n  UserKnownHostsFile ~no-such-user-fb/kh\n", nil},

	// general: first value wins, IdentityFile accumulates, Match is decided at its line.
	{"general", "web1", "Host web1\n  Port 2701\nHost *\n  Port 2702\n  User all\n", nil},
	{"general", "web1", "Host web1\n  IdentityFile ~/.ssh/a\nHost *\n  IdentityFile ~/.ssh/b\n  IdentityFile ~/.ssh/a\n", nil},
	{"general", "web1", "Match all\n  User everyone\n", nil},
	{"general", "web1", "Match user root,me,ops,runner\n  User changed\n  Port 2703\n", nil},
	{"general", "web1", "Host web1\n  HostName real.example\nMatch host real.example\n  Port 2704\n", nil},
	{"general", "web1", "Match !host web1\n  Port 2705\nMatch !originalhost web1\n  Port 2706\n", nil},
	{"general", "web1", "Host web1\n  UserKnownHostsFile none\n  GlobalKnownHostsFile /etc/a /etc/b\n", nil},
	{"general", "web1", "Host=web1\n  Port=2707\n  User = \"quoted user\"\n", nil},
	{"general", "web1", "Match exec true\n  Port 2708\n", nil},
	{"general", "web1", "Host web1 # a comment\n  Port 2709 # another\n", nil},
	{"general", "db1", "Host web1\n  Port 2710\n\nhost DB1 db1\n  port 2711\n", nil},
	{"general", "web1", "Match localuser root,me,ops,runner\n  Port 2712\n", nil},

	// cert: CertificateFile accumulates as IdentityFile does and takes its tokens; HostKeyAlias is lowered.
	{"cert", "web1", "Host web1\n  CertificateFile ~/.ssh/c1\nHost *\n  CertificateFile ~/.ssh/c2\n  CertificateFile ~/.ssh/c1\n", nil},
	{"cert", "web1", "Host web1\n  CertificateFile /certs/%h-%r-%p.pub\n  HostName db.example\n  User ops\n", nil},
	{"cert", "web1", "Host web1\n  HostKeyAlias Web1.Corp\n  CertificateFile /certs/%k\n", nil},
	{"cert", "web1", "Host *\n  HostKeyAlias first\nHost web1\n  HostKeyAlias second\n", nil},
	{"cert", "web1", "Host web1\n  IdentityFile ~/.ssh/k\n  CertificateFile ~/.ssh/k-cert.pub\n  UserKnownHostsFile /kh/%k\n  HostKeyAlias a1\n", nil},
}

// osshRefusals are the configs firebreak refuses where OpenSSH accepts them, and why: the documented
// deviations (README, ssh_config).
var osshRefusals = map[string]string{
	"Match exec true\n  Port 2708\n": "Match exec: firebreak runs no commands from ssh_config",
}

// sshG is what `ssh -G` says about one destination, for the keywords firebreak uses.
type sshG struct {
	failed                            string // stderr when ssh exited non-zero
	hostname, user, port, pjump, pcmd string
	ids, certs, known, global         []string
	alias                             string
}

func runSSHG(t *testing.T, cfg, host string, extra ...string) sshG {
	t.Helper()
	args := append([]string{"-G", "-F", cfg}, extra...)
	cmd := exec.Command("ssh", append(args, host)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		// The last line is ssh's reason; the first may be about the terminal.
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		return sshG{failed: "ssh -G: " + lines[len(lines)-1]}
	}
	var g sshG
	for _, line := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "hostname":
			g.hostname = v
		case "user":
			g.user = v
		case "port":
			g.port = v
		case "proxyjump":
			g.pjump = v
		case "proxycommand":
			g.pcmd = v
		case "identityfile":
			g.ids = append(g.ids, v)
		case "certificatefile":
			g.certs = append(g.certs, v)
		case "hostkeyalias":
			g.alias = v
		case "userknownhostsfile":
			if v != "none" {
				g.known = strings.Fields(v)
			}
		case "globalknownhostsfile":
			if v != "none" {
				g.global = strings.Fields(v)
			}
		}
	}
	return g
}

// hopWant is one jump host as OpenSSH reaches it.
type hopWant struct{ addr, user, port string }

// osshChain follows OpenSSH's ProxyJump the way ssh does when it connects: the last hop through the
// others (-J), the first with its own config, whose ProxyJump comes before it. It returns why OpenSSH
// would not connect, if it would not: an error of ssh -G, a ProxyCommand, or a loop (which ssh -G does
// not see, but ssh would follow for ever).
func osshChain(t *testing.T, cfg string, g sshG, seen []string) ([]hopWant, string) {
	if g.failed != "" {
		return nil, g.failed
	}
	if g.pcmd != "" && g.pcmd != "none" {
		return nil, "proxycommand " + g.pcmd
	}
	if g.pjump == "" {
		return nil, ""
	}
	var hops []hopWant
	specs := strings.Split(g.pjump, ",")
	for i, spec := range specs {
		host, port, user := splitJump(spec)
		var extra []string
		if user != "" {
			extra = append(extra, "-l", user)
		}
		if port != "" {
			extra = append(extra, "-p", port)
		}
		hg := runSSHG(t, cfg, host, extra...)
		if hg.failed != "" {
			return nil, hg.failed
		}
		if i == 0 {
			for _, s := range seen {
				if s == host {
					return nil, "loop via " + host
				}
			}
			own, why := osshChain(t, cfg, hg, append(seen, host))
			if why != "" {
				return nil, why
			}
			hops = append(hops, own...)
		}
		hops = append(hops, hopWant{hg.hostname, hg.user, hg.port})
	}
	return hops, ""
}

// TestSSHConfigMatchesOpenSSH runs every case of osshCases through `ssh -G -F CONFIG HOST` and through
// firebreak, and compares what firebreak uses: host name, port, user, identity and known_hosts files, the
// ProxyJump chain (each hop resolved by OpenSSH too), and refusals (errors, ProxyCommand, loops).
func TestSSHConfigMatchesOpenSSH(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Fatalf("the differential ssh_config tests need OpenSSH's ssh: apt-get install openssh-client (or run .ci/test, which installs it): %v", err)
	}
	home, err := PasswdHome()
	if err != nil {
		t.Fatal(err)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	// OpenSSH takes ~ and %d from the passwd entry: a different $HOME must change nothing.
	t.Setenv("HOME", t.TempDir())
	t.Setenv("FIREBREAK_OSSH_SET", "envval")
	os.Unsetenv("FIREBREAK_OSSH_UNSET")
	counts := map[string]int{}
	for i, c := range osshCases {
		counts[c.class]++
		dir := t.TempDir()
		write := func(name, text string) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(strings.ReplaceAll(text, "@DIR@", dir)), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		cfg := write("config", c.cfg)
		for name, text := range c.inc {
			write(name, text)
		}
		t.Run(strconv.Itoa(i)+"-"+c.class, func(t *testing.T) {
			g := runSSHG(t, cfg, c.host)
			hops, refused := osshChain(t, cfg, g, []string{c.host})
			inv, err := Load([]string{write("inv.ini", c.host+"\n")}, Options{SSHConfig: []string{cfg}, Home: home, LocalUser: me.Username})
			if why, ok := osshRefusals[c.cfg]; ok && refused == "" {
				refused = "firebreak by design: " + why
			}
			if refused != "" {
				t.Logf("refused: OpenSSH %s; firebreak %v", refused, err)
				if err == nil {
					t.Fatalf("OpenSSH refuses %s (%s) but firebreak loads it\nconfig:\n%s", c.host, refused, c.cfg)
				}
				if !strings.Contains(err.Error(), dir) {
					t.Errorf("firebreak's error does not name the file: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("OpenSSH accepts %s but firebreak: %v\nconfig:\n%s", c.host, err, c.cfg)
			}
			h := mustHost(t, inv, c.host)
			want := func(what, got, wantv string) {
				if got != wantv {
					t.Errorf("%s: firebreak %q, OpenSSH %q\nconfig:\n%s", what, got, wantv, c.cfg)
				}
			}
			want("hostname", h.Addr, g.hostname)
			want("port", strconv.Itoa(h.Port), g.port)
			want("user", h.User, g.user)
			want("known_hosts files", strings.Join(h.KnownHostsFiles, " "), strings.Join(append(append([]string(nil), g.known...), g.global...), " "))
			s, _ := inv.res.cfg.Lookup(c.host, me.Username)
			if len(s.IdentityFiles) > 0 {
				// ssh -G prints IdentityFile as written; it is expanded (like UserKnownHostsFile, compared
				// above) when ssh connects.
				want("identity files (as written)", strings.Join(s.IdentityFiles, " "), strings.Join(g.ids, " "))
				var exp []string
				for _, id := range g.ids {
					x, err := expandTokens(id, sshTokens{home: home, localUser: me.Username, host: g.hostname, user: g.user, port: h.Port, orig: c.host, keyAlias: c.host})
					if err != nil {
						t.Fatal(err)
					}
					exp = append(exp, x)
				}
				want("identity files", strings.Join(h.IdentityFiles, " "), strings.Join(exp, " "))
			}
			want("host key alias", h.HostKeyAlias, g.alias)
			want("certificate files (as written)", strings.Join(s.CertificateFiles, " "), strings.Join(g.certs, " "))
			var certs []string
			for _, cf := range g.certs {
				keyAlias := c.host
				if g.alias != "" {
					keyAlias = g.alias
				}
				x, err := expandTokens(cf, sshTokens{home: home, localUser: me.Username, host: g.hostname, user: g.user, port: h.Port, orig: c.host, keyAlias: keyAlias})
				if err != nil {
					t.Fatal(err)
				}
				certs = append(certs, x)
			}
			want("certificate files", strings.Join(h.CertificateFiles, " "), strings.Join(certs, " "))
			var got, wantHops []string
			for _, j := range h.ProxyJump {
				got = append(got, j.User+"@"+j.Addr+":"+strconv.Itoa(j.Port))
			}
			for _, w := range hops {
				wantHops = append(wantHops, w.user+"@"+w.addr+":"+w.port)
			}
			want("jump chain", strings.Join(got, ","), strings.Join(wantHops, ","))
		})
	}
	if len(osshCases) < 60 {
		t.Errorf("%d cases; the corpus should hold at least 60", len(osshCases))
	}
	t.Logf("cases per class: %v", counts)
}
