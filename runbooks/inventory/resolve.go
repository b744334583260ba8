package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// resolver turns an inventory entry into a Host with connection details, as Ansible's ssh connection and
// OpenSSH would: Ansible passes ansible_host as the host argument and ansible_port/ansible_user/the key as
// command-line options, which beat ssh_config; ssh_config fills in the rest, matched on that host argument.
type resolver struct {
	cfg  *SSHConfig
	opt  Options
	all  *group
	data *data

	// What a million hosts share is worked out once: the default keys (a stat each), and the sorted group
	// names and merged group variables of hosts that sit in one group only.
	defaultKeys []string
	keysKnown   bool
	byGroup     map[*group]groupView
}

// groupView is what a host in exactly one group gets from its groups.
type groupView struct {
	names []string
	vars  map[string]string
}

// groups returns the host's group names (all excluded, sorted) and its effective variables. With shared,
// the variables of a host in one group without its own are the group view's, not a copy.
func (r *resolver) groups(e *entry, shared bool) ([]string, map[string]string) {
	if len(e.groups) == 1 {
		if v, ok := r.byGroup[e.groups[0]]; ok {
			if shared && len(e.vars) == 0 {
				return v.names, v.vars
			}
			vars := make(map[string]string, len(v.vars)+len(e.vars))
			for k, x := range v.vars {
				vars[k] = x
			}
			for k, x := range e.vars {
				vars[k] = x
			}
			return v.names, vars
		}
	}
	var names []string
	for _, g := range e.hostGroups() {
		if g != r.all {
			names = append(names, g.name)
		}
	}
	sort.Strings(names)
	names = names[:len(names):len(names)] // shared between hosts: an append must copy
	if len(e.groups) == 1 {
		if r.byGroup == nil {
			r.byGroup = map[*group]groupView{}
		}
		r.byGroup[e.groups[0]] = groupView{names, (&entry{groups: e.groups}).effectiveVars(r.all)}
	}
	return names, e.effectiveVars(r.all)
}

// defaultIdentityFiles is DefaultIdentityFiles for the resolver's home, looked up once.
func (r *resolver) defaultIdentityFiles() []string {
	if !r.keysKnown {
		r.defaultKeys, r.keysKnown = DefaultIdentityFiles(r.opt.Home), true
	}
	return r.defaultKeys[:len(r.defaultKeys):len(r.defaultKeys)]
}

// connVar returns the value of the last of names that is set: Ansible's config manager walks an option's
// variable names in order and keeps the last one defined, so ansible_ssh_user beats ansible_user.
func connVar(vars map[string]string, names ...string) string {
	v := ""
	for _, n := range names {
		if x, ok := vars[n]; ok && x != "" {
			v = x
		}
	}
	return v
}

// resolve makes the Host of the host called name, whose entry is e.
func (r *resolver) resolve(name string, e *entry) (*Host, error) {
	return r.resolveHost(name, e, false)
}

// check resolves the host to learn whether it can be, sharing what it can with other hosts: the Host is
// for reading only.
func (r *resolver) check(name string, e *entry) error {
	_, err := r.resolveHost(name, e, true)
	return err
}

func (r *resolver) resolveHost(name string, e *entry, shared bool) (*Host, error) {
	names, vars := r.groups(e, shared)
	where := place{e.file, e.line, name}
	h := Host{Name: name, Vars: vars, Groups: names} // a value: checking a million hosts makes none
	addr := connVar(vars, "ansible_host", "ansible_ssh_host")
	portVar := connVar(vars, "ansible_port", "ansible_ssh_port")
	conn := connVar(vars, "ansible_connection")
	switch conn {
	case "local":
		h.Local = true
	case "", "ssh", "smart", "paramiko", "paramiko_ssh":
		// firebreak's promise: localhost runs locally unless the inventory says how to reach it otherwise.
		h.Local = conn == "" && localNames[name] && addr == "" && portVar == ""
	default:
		// Listed and matched as Ansible lists them; refused only when a run reaches the host.
		h.Unsupported = fmt.Sprintf("ansible_connection=%s is not supported: firebreak reaches hosts over ssh or locally (ansible_connection=local)", conn)
	}
	if h.Local {
		h.Addr, h.User = "localhost", r.opt.LocalUser
		return r.made(h, shared), nil
	}
	target := addr
	if target == "" {
		target = name
	}
	if p, err := strconv.Atoi(portVar); portVar != "" && (err != nil || p < 1 || p > 65535) && h.Unsupported == "" {
		h.Unsupported = fmt.Sprintf("ansible_port %q is not a port number (1-65535)", portVar)
	}
	if h.Unsupported != "" {
		h.Addr, h.User = target, r.opt.LocalUser
		return r.made(h, shared), nil
	}
	ep, err := r.endpoint(target, connVar(vars, "ansible_user", "ansible_ssh_user"), portVar, where, !shared)
	if err != nil {
		return nil, err
	}
	if err := checkHostName(ep.Addr); err != nil {
		return nil, fmt.Errorf("%s: address (ansible_host or ssh_config HostName): %w", where, err)
	}
	h.Addr, h.Port, h.User, h.KnownHostsFiles = ep.Addr, ep.Port, ep.User, ep.KnownHostsFiles
	h.CertificateFiles, h.HostKeyAlias = ep.CertificateFiles, ep.HostKeyAlias
	if key := connVar(vars, "ansible_private_key_file", "ansible_ssh_private_key_file"); key != "" {
		h.IdentityFiles = append(h.IdentityFiles, expandTilde(key, r.opt.Home))
	}
	h.IdentityFiles = append(h.IdentityFiles, ep.IdentityFiles...)
	if len(h.IdentityFiles) == 0 {
		h.IdentityFiles = r.defaultIdentityFiles()
	}
	var argJump string
	var opts map[string]string
	if args := connVar(vars, "ansible_ssh_common_args") + " " + connVar(vars, "ansible_ssh_extra_args"); args != " " {
		argJump, opts = sshArgs(args)
	}
	if a, ok := opts["hostkeyalias"]; ok {
		h.HostKeyAlias = strings.ToLower(a)
	}
	if c, ok := opts["certificatefile"]; ok {
		h.CertificateFiles = append([]string{expandTilde(c, r.opt.Home)}, h.CertificateFiles...)
	}
	if kh, ok := opts["userknownhostsfile"]; ok {
		h.KnownHostsFiles = nil
		for _, f := range strings.Fields(kh) {
			if !strings.EqualFold(f, "none") {
				h.KnownHostsFiles = append(h.KnownHostsFiles, expandTilde(f, r.opt.Home))
			}
		}
	}
	jump := connVar(vars, "firebreak_proxy_jump")
	if jump == "" {
		jump = argJump
	}
	if jump == "" {
		settings, err := r.cfg.Lookup(target, r.opt.LocalUser)
		if err != nil {
			return nil, fmt.Errorf("%s: ssh_config: %w", where, err)
		}
		if err := refuseProxyCommand(settings, target, where); err != nil {
			return nil, err
		}
		jump = settings.ProxyJump
	}
	specs, err := r.jumpChain(jump, []string{target}, where)
	if err != nil {
		return nil, err
	}
	if len(specs) > 0 {
		if host, port, user := splitJump(specs[len(specs)-1]); host == h.Addr && jumpPort(port) == h.Port && (user == "" || user == h.User) {
			// OpenSSH's own check: the last hop is the destination itself.
			return nil, fmt.Errorf("%s: ProxyJump loop via %s", where, host)
		}
		for _, spec := range specs {
			hop, err := r.jumpHost(strings.TrimSpace(spec), where, !shared)
			if err != nil {
				return nil, err
			}
			h.ProxyJump = append(h.ProxyJump, hop)
		}
	}
	return r.made(h, shared), nil
}

// made is the *Host of a resolved host, or nil when it was only checked.
func (r *resolver) made(h Host, checked bool) *Host {
	if checked {
		return nil
	}
	out := new(Host) // not &h, which would put every checked host on the heap too
	*out = h
	return out
}

// place names a host in errors: FILE:LINE: host NAME, or NAME for a host from no file. A value, formatted
// only when there is an error to report.
type place struct {
	file string
	line int
	name string
}

func (p place) String() string {
	if p.file == "" {
		return p.name
	}
	return fmt.Sprintf("%s:%d: host %s", p.file, p.line, p.name)
}

// endpoint resolves one ssh destination through ssh_config; user and port, when given, win. Without
// paths it leaves out the key and known_hosts files, which cannot fail: enough to check a host.
func (r *resolver) endpoint(target, user, port string, where place, paths bool) (Host, error) {
	s, err := r.cfg.Lookup(target, r.opt.LocalUser)
	if err != nil {
		return Host{}, fmt.Errorf("%s: ssh_config: %w", where, err)
	}
	h := Host{Name: target, Addr: s.HostName, Port: 22, User: r.opt.LocalUser}
	if s.Port != 0 {
		h.Port = s.Port
	}
	if port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 {
			return Host{}, fmt.Errorf("%s: port %q is not a port number (1-65535)", where, port)
		}
		h.Port = p
	}
	if s.User != "" {
		h.User = s.User
	}
	if user != "" {
		h.User = user
	}
	if !paths {
		// Only what can fail is expanded: a %-token, ${VAR} or ~USER (a million hosts are checked at load).
		for _, f := range append(append(append(append([]string(nil), s.IdentityFiles...), s.CertificateFiles...), s.UserKnownHostsFiles...), s.GlobalKnownHostsFiles...) {
			if strings.ContainsAny(f, "%$") || (strings.HasPrefix(f, "~") && f != "~" && !strings.HasPrefix(f, "~/")) {
				return r.endpoint(target, user, port, where, true)
			}
		}
		return h, nil
	}
	tokens := sshTokens{home: r.opt.Home, localUser: r.opt.LocalUser, host: h.Addr, user: h.User, port: h.Port, orig: target, keyAlias: target}
	if s.HostKeyAlias != "" {
		tokens.keyAlias = s.HostKeyAlias
	}
	var expErr error
	exp := func(p string) string {
		x, err := expandTokens(p, tokens)
		if err != nil && expErr == nil {
			expErr = fmt.Errorf("%s: ssh_config: %w", where, err)
		}
		return x
	}
	for _, f := range s.IdentityFiles {
		h.IdentityFiles = append(h.IdentityFiles, exp(f))
	}
	for _, f := range s.CertificateFiles {
		h.CertificateFiles = append(h.CertificateFiles, exp(f))
	}
	h.HostKeyAlias = s.HostKeyAlias
	known := s.UserKnownHostsFiles
	if known == nil {
		known = []string{"~/.ssh/known_hosts", "~/.ssh/known_hosts2"}
	}
	global := s.GlobalKnownHostsFiles
	if global == nil {
		global = []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}
	}
	for _, f := range append(append([]string(nil), known...), global...) {
		if !strings.EqualFold(f, "none") {
			h.KnownHostsFiles = append(h.KnownHostsFiles, exp(f))
		}
	}
	return h, expErr
}

// jumpHost resolves one ProxyJump hop: [user@]host[:port] or ssh://[user@]host[:port].
func (r *resolver) jumpHost(spec string, where place, paths bool) (*Host, error) {
	host, port, user := splitJump(spec)
	if host == "" {
		return nil, fmt.Errorf("%s: bad ProxyJump %q: expected [user@]host[:port]", where, spec)
	}
	var key string
	if id, ok := r.data.lookup(host); ok {
		// firebreak's addition: a jump host that is in the inventory is reached as the inventory says.
		vars := r.data.entry(id).effectiveVars(r.all)
		if a := connVar(vars, "ansible_host", "ansible_ssh_host"); a != "" {
			host = a
		}
		if user == "" {
			user = connVar(vars, "ansible_user", "ansible_ssh_user")
		}
		if port == "" {
			port = connVar(vars, "ansible_port", "ansible_ssh_port")
		}
		if k := connVar(vars, "ansible_private_key_file", "ansible_ssh_private_key_file"); k != "" {
			key = expandTilde(k, r.opt.Home)
		}
	}
	hop, err := r.endpoint(host, user, port, where, paths)
	if err != nil {
		return nil, err
	}
	if !paths {
		return nil, nil
	}
	if key != "" {
		hop.IdentityFiles = append([]string{key}, hop.IdentityFiles...)
	}
	if len(hop.IdentityFiles) == 0 {
		hop.IdentityFiles = DefaultIdentityFiles(r.opt.Home)
	}
	return &hop, nil
}

// sshArgs reads the OpenSSH options Ansible passes through ansible_ssh_common_args and
// ansible_ssh_extra_args: -J HOST and -o Key=Value (keys lower-cased). Command-line options beat ssh_config.
func sshArgs(args string) (jump string, opts map[string]string) {
	opts = map[string]string{}
	toks, err := shlexSplit(args)
	if err != nil {
		return "", opts
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t == "-J" && i+1 < len(toks):
			jump = toks[i+1]
			i++
		case strings.HasPrefix(t, "-J"):
			jump = t[2:]
		case strings.HasPrefix(t, "-o"):
			o := strings.TrimPrefix(t, "-o")
			if o == "" && i+1 < len(toks) {
				o = toks[i+1]
				i++
			}
			o = strings.TrimSpace(o)
			k, v, ok := strings.Cut(strings.Replace(o, " ", "=", 1), "=")
			if ok {
				k = strings.ToLower(strings.TrimSpace(k))
				if _, dup := opts[k]; !dup {
					opts[k] = strings.TrimSpace(v)
				}
			}
		}
	}
	if j, ok := opts["proxyjump"]; ok && jump == "" {
		jump = j
	}
	return jump, opts
}

// DefaultIdentityFiles are the keys OpenSSH tries when no IdentityFile is configured, those that exist.
func DefaultIdentityFiles(home string) []string {
	var out []string
	for _, n := range []string{"id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_xmss", "id_dsa"} {
		p := filepath.Join(home, ".ssh", n)
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}
