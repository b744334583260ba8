package transport

import (
	"fmt"

	"golang.org/x/crypto/ssh"

	"github.com/firebreak/firebreak/runbooks/inventory"
)

// Trust says which known_hosts lines vouch for a host's key, without connecting: what `firebreak hosts
// --json` shows, so a team can see whether a host is trusted by its own key, by a CA, or not at all.
type Trust struct {
	// SearchedAs is the name known_hosts is searched under: "[host]:port" off port 22, else the host, or
	// the HostKeyAlias.
	SearchedAs string `json:"searched_as"`
	// Via sums it up: "known_hosts" (a plain line has a key for the host), "cert-authority" (only CA
	// lines), "known_hosts and cert-authority", or "none" (the host would be refused as unknown).
	Via string `json:"via"`
	// Keys, CertAuthorities and Revoked are the lines that apply, as FILE:LINE TYPE SHA256:...
	Keys            []string `json:"keys,omitempty"`
	CertAuthorities []string `json:"cert_authorities,omitempty"`
	Revoked         []string `json:"revoked,omitempty"`
	// Principal is the name a host certificate must list (the HostKeyAlias, else the host).
	Principal string `json:"principal,omitempty"`
	// Error says why the known_hosts files could not be read.
	Error string `json:"error,omitempty"`
}

// TrustOf reads h's known_hosts files and reports the lines that apply to it. Lines found only under the
// bare host (OpenSSH's second look, off port 22 without an alias) count too.
func TrustOf(h *inventory.Host) Trust {
	t := Trust{SearchedAs: h.HostKeyAlias, Principal: h.HostKeyAlias, Via: "none"}
	if t.SearchedAs == "" {
		t.SearchedAs, t.Principal = knownHostsName(h.Addr, h.Port), h.Addr
	}
	x, err := readKnownHosts(h.KnownHostsFiles)
	if err != nil {
		t.Error = err.Error()
		return t
	}
	names := []string{t.SearchedAs}
	if h.HostKeyAlias == "" && h.Port != 22 {
		names = append(names, h.Addr)
	}
	seen := map[*hostKeyLine]bool{}
	for _, n := range names {
		x.applying(n, func(l *hostKeyLine) bool {
			if seen[l] {
				return true
			}
			seen[l] = true
			desc := fmt.Sprintf("%s %s %s", l.at(), l.key.Type(), ssh.FingerprintSHA256(l.key))
			switch l.marker {
			case markNone:
				t.Keys = append(t.Keys, desc)
			case markCA:
				t.CertAuthorities = append(t.CertAuthorities, desc)
			case markRevoked:
				t.Revoked = append(t.Revoked, desc)
			}
			return true
		})
	}
	switch {
	case len(t.Keys) > 0 && len(t.CertAuthorities) > 0:
		t.Via = "known_hosts and cert-authority"
	case len(t.Keys) > 0:
		t.Via = "known_hosts"
	case len(t.CertAuthorities) > 0:
		t.Via = "cert-authority"
	}
	return t
}
