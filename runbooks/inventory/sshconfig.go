package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/firebreak/firebreak/runbooks/filelimit"
)

// SSHConfig is a parsed ssh_config (with its Include files), evaluated the way OpenSSH evaluates it: for
// each option the first value obtained wins, IdentityFile accumulates, Host and Match blocks apply when
// their patterns match.
type SSHConfig struct {
	entries []sshEntry
}

// SSHSettings are the options of an SSHConfig that apply to one host, before %-token expansion of paths.
type SSHSettings struct {
	HostName              string
	Port                  int
	User                  string
	IdentityFiles         []string
	IdentitiesOnly        bool
	ProxyJump             string
	ProxyCommand          string
	UserKnownHostsFiles   []string
	GlobalKnownHostsFiles []string
	set                   uint16 // settingBits of the keys set so far
}

// sshCond is a Host or Match line that decides whether the options after it apply.
type sshCond struct {
	match    bool     // a Match line (else Host)
	patterns []string // Host patterns
	criteria [][2]string
	file     string
	line     int
}

type sshEntry struct {
	cond *sshCond
	key  string // lower case
	args []string
	file string
	line int
}

// The bounds of an ssh_config Include tree. OpenSSH stops at 16 levels; the count of files keeps a tree
// whose every file includes every other (each level multiplying the work) from running for hours.
const (
	maxIncludeDepth = 16
	maxIncludeFiles = 256
)

// ParseSSHConfig reads ssh_config files in order (OpenSSH reads ~/.ssh/config, then /etc/ssh/ssh_config);
// a file that does not exist is skipped. home is used for ~ and for relative Include paths of user files.
// Every file goes through filelimit; an Include tree is at most 16 levels deep and 256 files in all (a
// file included twice counts twice), and its text in all at most four times the file size limit.
func ParseSSHConfig(home string, files ...string) (*SSHConfig, error) {
	c := &SSHConfig{}
	ld := &sshLoader{c: c, home: home, read: map[string][]string{}, budget: 4 * filelimit.MaxSize()}
	for _, f := range files {
		lines, err := ld.lines(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if errors.Is(err, filelimit.ErrLimit) {
			return nil, err
		}
		if err != nil {
			return nil, fmt.Errorf("reading ssh config: %w", err)
		}
		ld.base = filepath.Join(home, ".ssh")
		if strings.HasPrefix(f, "/etc/") {
			ld.base = "/etc/ssh"
		}
		ld.files = 1
		if err := ld.parse(f, lines, nil, 0); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// sshLoader reads one ssh_config and its Include tree: each file is read from disk once (an Include of a
// file already read uses its lines again), and the tree is bounded.
type sshLoader struct {
	c          *SSHConfig
	home, base string
	read       map[string][]string
	files      int   // files parsed in this tree, the top one included
	budget     int64 // bytes of text that may still be parsed
}

// lines returns the lines of file, reading it on first use.
func (ld *sshLoader) lines(file string) ([]string, error) {
	if ls, ok := ld.read[file]; ok {
		return ls, nil
	}
	src, err := filelimit.Read(file)
	if err != nil {
		return nil, err
	}
	ls := strings.Split(string(src), "\n")
	ld.read[file] = ls
	return ls, nil
}

func (ld *sshLoader) parse(file string, lines []string, cond *sshCond, depth int) error {
	c := ld.c
	for _, l := range lines {
		ld.budget -= int64(len(l)) + 1
	}
	if ld.budget < 0 {
		return parseErr(file, 1, "the ssh_config and the files it includes hold more than %d bytes of text in all: include fewer files or raise [limits] max_file_size", 4*filelimit.MaxSize())
	}
	for i, raw := range lines {
		lineno := i + 1
		key, args, err := sshSplitLine(raw)
		if err != nil {
			return parseErr(file, lineno, "%v", err)
		}
		if key == "" {
			continue
		}
		switch key {
		case "host":
			if len(args) == 0 {
				return parseErr(file, lineno, "Host needs at least one pattern")
			}
			cond = &sshCond{patterns: args, file: file, line: lineno}
		case "match":
			mc, err := parseMatch(args)
			if err != nil {
				return parseErr(file, lineno, "%v", err)
			}
			mc.file, mc.line = file, lineno
			cond = mc
		case "include":
			for _, pat := range args {
				pat = expandTilde(pat, ld.home)
				if !filepath.IsAbs(pat) {
					pat = filepath.Join(ld.base, pat)
				}
				matches, err := filepath.Glob(pat)
				if err != nil {
					return parseErr(file, lineno, "bad Include pattern %q: %v", pat, err)
				}
				for _, m := range matches {
					if depth+1 > maxIncludeDepth {
						return parseErr(file, lineno, "Include nested too deeply (more than %d levels): look for a file that includes itself", maxIncludeDepth)
					}
					if ld.files++; ld.files > maxIncludeFiles {
						return parseErr(file, lineno, "Include reads more than %d files in all (a file included twice counts twice): include fewer files, or look for files that include each other", maxIncludeFiles)
					}
					sub, err := ld.lines(m)
					if errors.Is(err, filelimit.ErrLimit) {
						return parseErr(file, lineno, "Include %v", err)
					}
					if err != nil {
						return parseErr(file, lineno, "Include %s: %v", m, err)
					}
					if err := ld.parse(m, sub, cond, depth+1); err != nil {
						return err
					}
				}
			}
		default:
			if len(args) == 0 {
				return parseErr(file, lineno, "%s needs a value", key)
			}
			if key == "port" {
				if p, err := strconv.Atoi(args[0]); err != nil || p < 1 || p > 65535 {
					return parseErr(file, lineno, "Port %q is not a port number (1-65535)", args[0])
				}
			}
			c.entries = append(c.entries, sshEntry{cond: cond, key: key, args: args, file: file, line: lineno})
		}
	}
	return nil
}

// sshSplitLine splits `Keyword args` or `Keyword=args` into a lower-case keyword and its arguments, with
// OpenSSH's quoting (double or single quotes, backslash escapes) and # comments.
func sshSplitLine(line string) (string, []string, error) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return "", nil, nil
	}
	end := strings.IndexAny(line, " \t=")
	if end < 0 {
		return strings.ToLower(line), nil, nil
	}
	key := strings.ToLower(line[:end])
	rest := strings.TrimLeft(line[end:], " \t")
	if strings.HasPrefix(rest, "=") {
		rest = strings.TrimLeft(rest[1:], " \t")
	}
	var args []string
	for rest != "" {
		if rest[0] == '#' {
			break
		}
		var tok strings.Builder
		i := 0
		var q byte
		for ; i < len(rest); i++ {
			ch := rest[i]
			if q == 0 && (ch == ' ' || ch == '\t') {
				break
			}
			switch {
			case ch == '\\' && i+1 < len(rest) && q != '\'':
				i++
				tok.WriteByte(rest[i])
			case q == 0 && (ch == '"' || ch == '\''):
				q = ch
			case q != 0 && ch == q:
				q = 0
			default:
				tok.WriteByte(ch)
			}
		}
		if q != 0 {
			return "", nil, fmt.Errorf("unterminated quote in %q", line)
		}
		args = append(args, tok.String())
		rest = strings.TrimLeft(rest[i:], " \t")
	}
	return key, args, nil
}

// parseMatch reads the criteria of a Match line. Supported: all, host, originalhost, user, localuser;
// canonical, final, exec, localnetwork and tagged never match (see the README).
func parseMatch(args []string) (*sshCond, error) {
	c := &sshCond{match: true}
	for i := 0; i < len(args); i++ {
		crit := strings.ToLower(args[i])
		neg := strings.HasPrefix(crit, "!")
		name := strings.TrimPrefix(crit, "!")
		switch name {
		case "all", "canonical", "final":
			c.criteria = append(c.criteria, [2]string{crit, ""})
		case "host", "originalhost", "user", "localuser", "exec", "localnetwork", "tagged":
			if i+1 >= len(args) {
				return nil, fmt.Errorf("Match %s needs an argument", name)
			}
			i++
			c.criteria = append(c.criteria, [2]string{crit, args[i]})
		default:
			_ = neg
			return nil, fmt.Errorf("unsupported Match criterion %q", args[i])
		}
	}
	if len(c.criteria) == 0 {
		return nil, errors.New("Match needs criteria, e.g. Match host NAME")
	}
	return c, nil
}

// sshMatchPattern is OpenSSH's match_pattern: * and ? wildcards, case-insensitive for host names.
func sshMatchPattern(s, pat string) bool {
	s, pat = strings.ToLower(s), strings.ToLower(pat)
	for {
		if pat == "" {
			return s == ""
		}
		switch pat[0] {
		case '*':
			for len(pat) > 0 && pat[0] == '*' {
				pat = pat[1:]
			}
			if pat == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if sshMatchPattern(s[i:], pat) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			s, pat = s[1:], pat[1:]
		default:
			if s == "" || s[0] != pat[0] {
				return false
			}
			s, pat = s[1:], pat[1:]
		}
	}
}

// sshMatchList is OpenSSH's match_pattern_list: a negated pattern that matches vetoes, else any match wins.
func sshMatchList(s string, pats []string) bool {
	matched := false
	for _, p := range pats {
		if neg := strings.HasPrefix(p, "!"); neg {
			if sshMatchPattern(s, p[1:]) {
				return false
			}
		} else if sshMatchPattern(s, p) {
			matched = true
		}
	}
	return matched
}

func (c *sshCond) applies(host, hostname, user, localUser string) bool {
	if c == nil {
		return true
	}
	if !c.match {
		return sshMatchList(host, c.patterns)
	}
	for _, cr := range c.criteria {
		neg := strings.HasPrefix(cr[0], "!")
		var ok bool
		switch strings.TrimPrefix(cr[0], "!") {
		case "all":
			ok = true
		case "host":
			ok = sshMatchList(hostname, strings.Split(cr[1], ","))
		case "originalhost":
			ok = sshMatchList(host, strings.Split(cr[1], ","))
		case "user":
			ok = sshMatchList(user, strings.Split(cr[1], ","))
		case "localuser":
			ok = sshMatchList(localUser, strings.Split(cr[1], ","))
		default:
			ok = false // exec, canonical, final, localnetwork, tagged: not evaluated
			neg = false
		}
		if ok == neg {
			return false
		}
	}
	return true
}

// Lookup returns the settings OpenSSH would use for `ssh host`.
func (c *SSHConfig) Lookup(host, localUser string) SSHSettings {
	var s SSHSettings
	if c == nil {
		return s
	}
	for _, e := range c.entries {
		hostname := host
		if s.HostName != "" {
			hostname = s.HostName
		}
		user := s.User
		if user == "" {
			user = localUser
		}
		if !e.cond.applies(host, hostname, user, localUser) {
			continue
		}
		if e.key == "identityfile" {
			s.IdentityFiles = append(s.IdentityFiles, e.args[0])
			continue
		}
		// The first value of a key wins. Only the keys below are read: a bit each, not a map, because a
		// million hosts are looked up when an inventory loads.
		bit := settingBits[e.key]
		if bit == 0 || s.set&bit != 0 {
			continue
		}
		s.set |= bit
		switch e.key {
		case "hostname":
			s.HostName = strings.ReplaceAll(strings.ReplaceAll(e.args[0], "%h", host), "%%", "%")
		case "port":
			s.Port, _ = strconv.Atoi(e.args[0])
		case "user":
			s.User = e.args[0]
		case "identitiesonly":
			s.IdentitiesOnly = strings.EqualFold(e.args[0], "yes")
		case "proxyjump":
			s.ProxyJump = e.args[0]
		case "proxycommand":
			s.ProxyCommand = strings.Join(e.args, " ")
		case "userknownhostsfile":
			s.UserKnownHostsFiles = e.args
		case "globalknownhostsfile":
			s.GlobalKnownHostsFiles = e.args
		}
	}
	return s
}

// settingBits are the keys Lookup reads, a bit each for SSHSettings.set.
var settingBits = map[string]uint16{
	"hostname": 1 << 0, "port": 1 << 1, "user": 1 << 2, "identitiesonly": 1 << 3, "proxyjump": 1 << 4,
	"proxycommand": 1 << 5, "userknownhostsfile": 1 << 6, "globalknownhostsfile": 1 << 7,
}

// expandTokens expands ~ and the %-tokens OpenSSH allows in IdentityFile and UserKnownHostsFile.
func expandTokens(p, home, localUser, host, user string, port int, orig string) string {
	p = expandTilde(p, home)
	if !strings.Contains(p, "%") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' || i+1 >= len(p) {
			b.WriteByte(p[i])
			continue
		}
		i++
		switch p[i] {
		case '%':
			b.WriteByte('%')
		case 'd':
			b.WriteString(home)
		case 'u':
			b.WriteString(localUser)
		case 'h':
			b.WriteString(host)
		case 'r':
			b.WriteString(user)
		case 'p':
			b.WriteString(strconv.Itoa(port))
		case 'n':
			b.WriteString(orig)
		case 'i':
			b.WriteString(strconv.Itoa(os.Getuid()))
		default:
			b.WriteByte('%')
			b.WriteByte(p[i])
		}
	}
	return b.String()
}

func expandTilde(p, home string) string {
	if p == "~" {
		return home
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(home, p[2:])
	}
	return p
}
