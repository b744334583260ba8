package inventory

// Host is one host as firebreak reaches it, with every connection detail resolved.
type Host struct {
	// Name is the inventory name, the one host patterns match.
	Name string
	// Addr is the address to connect to: ansible_host, else ssh_config HostName, else Name.
	Addr string
	// Port is the SSH port: ansible_port, else ssh_config Port, else 22.
	Port int
	// User is the remote user: ansible_user, else ssh_config User, else the local user.
	User string
	// IdentityFiles are private keys to offer, in order (expanded paths).
	IdentityFiles []string
	// CertificateFiles are user certificates to offer with the private keys they certify (ssh_config
	// CertificateFile, expanded paths). As OpenSSH does, FILE-cert.pub beside each identity file is offered
	// too, without being listed here.
	CertificateFiles []string
	// HostKeyAlias is ssh_config's HostKeyAlias: the name known_hosts is searched under (without the port)
	// and a host certificate must name, instead of the address.
	HostKeyAlias string
	// ProxyJump lists the bastions to pass through, first hop first; each is resolved like a host.
	ProxyJump []*Host
	// KnownHostsFiles are the known_hosts files that verify the host key (missing files are skipped).
	KnownHostsFiles []string
	// Groups are the groups the host belongs to, directly or through children, excluding all, sorted.
	Groups []string
	// Vars are the host's variables after Ansible's precedence (all < parent groups < child groups < host).
	Vars map[string]string
	// Local says the host runs commands on this machine, without SSH.
	Local bool
	// Unsupported, when set, says why firebreak cannot run commands on the host (another ansible_connection,
	// a port that is not a number): the host is listed and matched, and refused when a run reaches it.
	Unsupported string
	// Implicit marks the localhost that exists without being in any inventory.
	Implicit bool
}

// Target is the host's SSH destination as user@addr:port, for messages.
func (h *Host) Target() string {
	if h.Local {
		return "local"
	}
	if h.Unsupported != "" {
		return "unsupported"
	}
	return h.User + "@" + joinHostPort(h.Addr, h.Port)
}
