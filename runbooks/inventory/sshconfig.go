package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/firebreak/firebreak/runbooks/filelimit"
)

// SSHConfig is a parsed ssh_config (with its Include files), evaluated the way OpenSSH evaluates it: for
// each option the first value obtained wins, IdentityFile accumulates, Host and Match blocks apply when
// their patterns match.
type SSHConfig struct {
	entries []sshEntry
	conds   int // Host and Match lines in all
	// The entries Lookup goes through: those of blocks that may apply to any host, and by name those of
	// Host blocks that list only plain names (one per host in a generated config of thousands of hosts,
	// which made loading an inventory quadratic). Both in file order; nil: every entry.
	always  []sshSpan
	byName  map[string][]sshSpan
	indexed bool
}

// sshSpan is the entries [from, to) of SSHConfig.entries.
type sshSpan struct{ from, to int }

// SSHSettings are the options of an SSHConfig that apply to one host, before %-token expansion of paths.
type SSHSettings struct {
	HostName      string
	Port          int
	User          string
	IdentityFiles []string
	// CertificateFiles are CertificateFile values, accumulated as IdentityFile's are.
	CertificateFiles []string
	IdentitiesOnly   bool
	ProxyJump        string
	ProxyCommand     string
	// ProxyCommandAt is the FILE:LINE of ProxyCommand: a ProxyCommand taken before any ProxyJump refuses
	// the host, since OpenSSH then ignores the ProxyJump.
	ProxyCommandAt        string
	HostKeyAlias          string
	UserKnownHostsFiles   []string
	GlobalKnownHostsFiles []string
	set                   uint16 // settingBits of the keys set so far
}

// sshCond is a Host or Match line that decides whether the options after it apply.
type sshCond struct {
	match    bool     // a Match line (else Host)
	patterns []string // Host patterns
	criteria [][2]string
	// parent is the block holding the Include that read this file: a file included from a block that does
	// not apply has none of its own blocks apply either (OpenSSH parses it with SSHCONF_NEVERMATCH).
	parent *sshCond
	n      int // index in SSHConfig.conds: a block is evaluated once per lookup, at its line
	file   string
	line   int
}

type sshEntry struct {
	cond    *sshCond
	key     string // lower case
	args    []string
	unknown bool // a keyword OpenSSH does not know: an error unless IgnoreUnknown names it
	file    string
	line    int
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
	if ld.unknown {
		// OpenSSH refuses a file with a keyword it does not know, whichever host is asked for, unless an
		// IgnoreUnknown that applies to the host names it; only then does the answer depend on the host.
		ignore := false
		for _, e := range c.entries {
			ignore = ignore || e.key == "ignoreunknown"
		}
		for _, e := range c.entries {
			if e.unknown && !ignore {
				return nil, parseErr(e.file, e.line, "Bad configuration option: %s (OpenSSH refuses the file; IgnoreUnknown %s skips it)", e.key, e.key)
			}
		}
	}
	c.index()
	return c, nil
}

// index groups the entries into blocks and files the blocks of a Host line of plain names (no wildcard, no
// negation, not inside an Include from a block, no unknown keyword to refuse) under those names: such a
// block applies to exactly the hosts it names, so a lookup of any other host can skip it.
func (c *SSHConfig) index() {
	c.always, c.byName, c.indexed = nil, map[string][]sshSpan{}, true
	for from := 0; from < len(c.entries); {
		cond, to, plain := c.entries[from].cond, from, true
		for ; to < len(c.entries) && c.entries[to].cond == cond; to++ {
			plain = plain && !c.entries[to].unknown
		}
		plain = plain && cond != nil && !cond.match && cond.parent == nil
		for _, p := range cond.patternsOrNil() {
			plain = plain && !strings.ContainsAny(p, "*?!")
		}
		sp := sshSpan{from, to}
		switch {
		case !plain:
			if n := len(c.always); n > 0 && c.always[n-1].to == from {
				c.always[n-1].to = to
			} else {
				c.always = append(c.always, sp)
			}
		default:
			for _, p := range cond.patterns {
				if l := c.byName[p]; len(l) == 0 || l[len(l)-1] != sp {
					c.byName[p] = append(l, sp)
				}
			}
		}
		from = to
	}
}

func (c *sshCond) patternsOrNil() []string {
	if c == nil {
		return nil
	}
	return c.patterns
}

// spans lists, in file order, the entries that may apply to host.
func (c *SSHConfig) spans(host string) []sshSpan {
	if !c.indexed {
		return []sshSpan{{0, len(c.entries)}}
	}
	named := c.byName[host]
	if len(named) == 0 {
		return c.always
	}
	out := make([]sshSpan, 0, len(c.always)+len(named))
	a := c.always
	for len(a) > 0 || len(named) > 0 {
		if len(named) == 0 || len(a) > 0 && a[0].from < named[0].from {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, named = append(out, named[0]), named[1:]
		}
	}
	return out
}

// sshLoader reads one ssh_config and its Include tree: each file is read from disk once (an Include of a
// file already read uses its lines again), and the tree is bounded.
type sshLoader struct {
	c          *SSHConfig
	home, base string
	read       map[string][]string
	files      int   // files parsed in this tree, the top one included
	budget     int64 // bytes of text that may still be parsed
	unknown    bool  // an unknown keyword was seen
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

func (ld *sshLoader) parse(file string, lines []string, top *sshCond, depth int) error {
	c := ld.c
	cond := top
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
			cond = &sshCond{patterns: args, parent: top, n: c.conds, file: file, line: lineno}
			c.conds++
		case "match":
			mc, err := parseMatch(args)
			if err != nil {
				return parseErr(file, lineno, "%v", err)
			}
			mc.file, mc.line, mc.parent, mc.n = file, lineno, top, c.conds
			c.conds++
			cond = mc
		case "include":
			for _, pat := range args {
				pat = expandTilde(pat, ld.home)
				if !filepath.IsAbs(pat) {
					pat = filepath.Join(ld.base, pat)
				}
				matches, err := boundedGlob(pat, maxIncludeScan)
				if err != nil {
					return parseErr(file, lineno, "Include pattern %q: %v", pat, err)
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
			known := sshKeywords[key]
			if !known {
				ld.unknown = true
			}
			if key == "port" {
				if p, err := strconv.Atoi(args[0]); err != nil || p < 1 || p > 65535 {
					return parseErr(file, lineno, "Port %q is not a port number (1-65535)", args[0])
				}
			}
			if key == "hostname" {
				if err := checkHostNameTokens(args[0]); err != nil {
					return parseErr(file, lineno, "%v", err)
				}
			}
			c.entries = append(c.entries, sshEntry{cond: cond, key: key, args: args, unknown: !known, file: file, line: lineno})
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

// sshMatchPattern is OpenSSH's match_pattern: * and ? wildcards, compared byte for byte (case-sensitive).
// Callers lower-case both sides where OpenSSH does (Match host and originalhost).
func sshMatchPattern(s, pat string) bool {
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

// sshLookup is the state of one Lookup: the destination as given, the options so far, and each block's
// answer, worked out once at its line as OpenSSH does (a later User does not undo a Match user).
type sshLookup struct {
	host, localUser string
	s               *SSHSettings
	hostname        string // HostName with %h expanded, before it is lower-cased
	memo            []int8 // per sshCond.n: 0 not yet, 1 applies, 2 does not
}

func (l *sshLookup) applies(c *sshCond) (bool, error) {
	if c == nil {
		return true, nil
	}
	if m := l.memo[c.n]; m != 0 {
		return m == 1, nil
	}
	ok, err := l.parentApplies(c)
	if err == nil && ok {
		ok, err = l.eval(c)
	}
	if err != nil {
		return false, err
	}
	l.memo[c.n] = 2
	if ok {
		l.memo[c.n] = 1
	}
	return ok, nil
}

func (l *sshLookup) parentApplies(c *sshCond) (bool, error) {
	return l.applies(c.parent)
}

// eval is OpenSSH's answer for one Host or Match line. Host patterns are matched against the destination
// as typed, case-sensitively; Match host and originalhost ignore case; Match user and localuser do not.
// A criterion firebreak cannot decide (exec, canonical, final, localnetwork, tagged) refuses the host,
// unless another criterion of the line already rules the block out.
func (l *sshLookup) eval(c *sshCond) (bool, error) {
	if !c.match {
		return sshMatchList(l.host, c.patterns), nil
	}
	user := l.s.User
	if user == "" {
		user = l.localUser
	}
	result := true
	var undecided string
	for _, cr := range c.criteria {
		neg := strings.HasPrefix(cr[0], "!")
		var ok bool
		switch name := strings.TrimPrefix(cr[0], "!"); name {
		case "all":
			ok = true
		case "host":
			ok = sshMatchList(strings.ToLower(l.hostname), strings.Split(strings.ToLower(cr[1]), ","))
		case "originalhost":
			ok = sshMatchList(strings.ToLower(l.host), strings.Split(strings.ToLower(cr[1]), ","))
		case "user":
			ok = sshMatchList(user, strings.Split(cr[1], ","))
		case "localuser":
			ok = sshMatchList(l.localUser, strings.Split(cr[1], ","))
		default:
			if undecided == "" {
				undecided = name
			}
			continue
		}
		if ok == neg {
			result = false
		}
	}
	if result && undecided != "" {
		return false, parseErr(c.file, c.line, "Match %s is not supported and may apply to %s: firebreak does not run commands or canonicalise names while resolving hosts; use Host or Match host/user blocks", undecided, l.host)
	}
	return result, nil
}

// Lookup returns the settings OpenSSH would use for `ssh host`, with HostName expanded and lower-cased
// as OpenSSH's %h is. An error says which line refuses the host: an unsupported Match criterion, or a
// keyword OpenSSH does not know and no IgnoreUnknown names.
func (c *SSHConfig) Lookup(host, localUser string) (SSHSettings, error) {
	var s SSHSettings
	if c == nil {
		s.HostName = lowerHost(host)
		return s, nil
	}
	var small [32]int8
	l := sshLookup{host: host, localUser: localUser, s: &s, hostname: host, memo: small[:0]}
	if c.conds <= len(small) {
		l.memo = small[:c.conds]
	} else {
		m := memos.Get().(*[]int8)
		defer memos.Put(m)
		if cap(*m) < c.conds {
			*m = make([]int8, c.conds)
		}
		l.memo = (*m)[:c.conds]
		clear(l.memo)
	}
	var ignore []string
	for _, sp := range c.spans(host) {
		for i := sp.from; i < sp.to; i++ {
			e := &c.entries[i]
			if e.unknown {
				// Refused whichever block it is in, as OpenSSH refuses it while reading the file.
				if ignore == nil || !sshMatchList(e.key, ignore) {
					return SSHSettings{}, parseErr(e.file, e.line, "Bad configuration option: %s", e.key)
				}
				continue
			}
			ok, err := l.applies(e.cond)
			if err != nil {
				return SSHSettings{}, err
			}
			if !ok {
				continue
			}
			switch e.key {
			case "identityfile":
				if !slicesContains(s.IdentityFiles, e.args[0]) {
					s.IdentityFiles = append(s.IdentityFiles, e.args[0])
				}
				continue
			case "certificatefile":
				if !slicesContains(s.CertificateFiles, e.args[0]) {
					s.CertificateFiles = append(s.CertificateFiles, e.args[0])
				}
				continue
			case "ignoreunknown":
				if ignore == nil {
					ignore = strings.Split(strings.ToLower(e.args[0]), ",")
				}
				continue
			case "proxyjump":
				// OpenSSH takes a ProxyJump only while neither it nor ProxyCommand is set ...
				if s.ProxyJump == "" && s.ProxyCommand == "" {
					s.ProxyJump = e.args[0]
				}
				continue
			case "proxycommand":
				// ... and a ProxyCommand only while no ProxyJump other than none is (OpenSSH 9.2, as ssh -G says).
				if s.ProxyCommand == "" && (s.ProxyJump == "" || strings.EqualFold(s.ProxyJump, "none")) {
					s.ProxyCommand = strings.Join(e.args, " ")
					s.ProxyCommandAt = fmt.Sprintf("%s:%d", e.file, e.line)
				}
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
				s.HostName = expandHostName(e.args[0], host)
				l.hostname = s.HostName
			case "port":
				s.Port, _ = strconv.Atoi(e.args[0])
			case "user":
				s.User = e.args[0]
			case "identitiesonly":
				s.IdentitiesOnly = strings.EqualFold(e.args[0], "yes")
			case "hostkeyalias":
				s.HostKeyAlias = strings.ToLower(e.args[0])
			case "userknownhostsfile":
				s.UserKnownHostsFiles = e.args
			case "globalknownhostsfile":
				s.GlobalKnownHostsFiles = e.args
			}
		}
	}
	if s.HostName == "" {
		s.HostName = host
	}
	s.HostName = lowerHost(s.HostName)
	return s, nil
}

// memos are Lookup's per-block answers for configs of many blocks, reused: a config with a Host block per
// host would otherwise allocate a block's worth per host looked up.
var memos = sync.Pool{New: func() any { return new([]int8) }}

func slicesContains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// settingBits are the keys Lookup reads, a bit each for SSHSettings.set.
var settingBits = map[string]uint16{
	"hostname": 1 << 0, "port": 1 << 1, "user": 1 << 2, "identitiesonly": 1 << 3,
	"hostkeyalias": 1 << 4, "userknownhostsfile": 1 << 6, "globalknownhostsfile": 1 << 7,
}
