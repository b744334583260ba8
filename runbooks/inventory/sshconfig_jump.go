package inventory

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// maxJumpChain bounds a ProxyJump chain; a longer one is almost surely a loop through HostName aliases.
const maxJumpChain = 16

// refuseProxyCommand refuses a host whose ssh_config takes a ProxyCommand (before any ProxyJump, which
// OpenSSH then ignores): firebreak does not run commands from a config file.
func refuseProxyCommand(s SSHSettings, target string, where place) error {
	if s.ProxyCommand == "" || strings.EqualFold(s.ProxyCommand, "none") {
		return nil
	}
	return fmt.Errorf("%s: %s: ssh_config sets ProxyCommand for %s, which firebreak does not run; use ProxyJump instead", where, s.ProxyCommandAt, target)
}

// jumpChain expands a ProxyJump list as OpenSSH does. OpenSSH reaches the last hop with `ssh -J
// REST LAST`, so every hop but the first is reached through the ones before it whatever its own config
// says; the first is reached with its own ssh_config, so its own ProxyJump comes before it (and its own
// ProxyCommand refuses the host). seen holds the hosts already on the way: meeting one again is a loop.
func (r *resolver) jumpChain(jump string, seen []string, where place) ([]string, error) {
	jump = strings.TrimSpace(jump)
	if jump == "" || strings.EqualFold(jump, "none") {
		return nil, nil
	}
	specs := strings.Split(jump, ",")
	for i := range specs {
		specs[i] = strings.TrimSpace(specs[i])
	}
	first, _, _ := splitJump(specs[0])
	for _, s := range seen {
		if s == first {
			return nil, fmt.Errorf("%s: ProxyJump loop: %s -> %s", where, strings.Join(seen, " -> "), first)
		}
	}
	if len(seen) > maxJumpChain {
		return nil, fmt.Errorf("%s: ProxyJump chain longer than %d hops: %s", where, maxJumpChain, strings.Join(seen, " -> "))
	}
	s, err := r.cfg.Lookup(first, r.opt.LocalUser)
	if err != nil {
		return nil, fmt.Errorf("%s: jump host %s: ssh_config: %w", where, first, err)
	}
	if err := refuseProxyCommand(s, "jump host "+first, where); err != nil {
		return nil, err
	}
	own, err := r.jumpChain(s.ProxyJump, append(seen[:len(seen):len(seen)], first), where)
	if err != nil {
		return nil, err
	}
	return append(own, specs...), nil
}

// splitJump splits one ProxyJump hop, [user@]host[:port] or ssh://[user@]host[:port]; host is "" when
// the spec is malformed.
func splitJump(spec string) (host, port, user string) {
	hostport := spec
	if strings.HasPrefix(spec, "ssh://") {
		u, err := url.Parse(spec)
		if err != nil {
			return "", "", ""
		}
		user, hostport = u.User.Username(), u.Host
	} else if i := strings.LastIndex(spec, "@"); i >= 0 {
		user, hostport = spec[:i], spec[i+1:]
	}
	host = hostport
	if strings.HasPrefix(hostport, "[") {
		if j := strings.Index(hostport, "]"); j > 0 {
			host = hostport[1:j]
			port = strings.TrimPrefix(hostport[j+1:], ":")
		}
	} else if i := strings.LastIndex(hostport, ":"); i >= 0 && strings.Count(hostport, ":") == 1 {
		host, port = hostport[:i], hostport[i+1:]
	}
	return host, port, user
}

// jumpPort is the port a hop's spec names, 22 when it names none.
func jumpPort(port string) int {
	if p, err := strconv.Atoi(port); err == nil {
		return p
	}
	return 22
}
