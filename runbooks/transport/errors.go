package transport

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
)

// ConnectError says a host could not be reached or logged in to; the rollout engine reports the host as
// unreachable. Errors about host keys are HostKeyError instead.
type ConnectError struct {
	Host   string // inventory name
	Target string // user@addr:port
	Err    error
}

// Error says which host failed and why.
func (e *ConnectError) Error() string {
	return fmt.Sprintf("connecting to %s (%s): %v", e.Host, e.Target, e.Err)
}

// Unwrap returns the cause.
func (e *ConnectError) Unwrap() error { return e.Err }

// HostKeyError refuses a host whose key is unknown, changed or revoked, or whose host certificate is not
// accepted (guard 9). There is no option to skip the check: the message says how to trust a key after
// checking its fingerprint out of band, or what is wrong with the certificate; it never advises removing a
// @cert-authority line.
type HostKeyError struct {
	Host        string
	Addr        string // host:port as written in known_hosts lookups
	Name        string // the name known_hosts was searched under ("[host]:port", the host, or HostKeyAlias)
	Key         ssh.PublicKey
	Cert        *ssh.Certificate // the host certificate the host presented, if it did
	CertProblem string           // why that certificate was not accepted
	CAAt        string           // FILE:LINE of the @cert-authority line that trusts its CA, if one does
	Changed     bool             // a different plain key is known: possible man-in-the-middle
	Revoked     bool             // the key, its certificate or the certificate's CA is marked @revoked
	KnownAt     string           // for a changed or revoked key: FILE:LINE (type fingerprint) of that line
	KnownHosts  string           // the file to add a trusted key to (for a changed key: the file holding the old one)
	Fingerprint string           // SHA256:... of the key the host presented (its plain key, for a certificate)
}

// Error explains what happened and what to do.
func (e *HostKeyError) Error() string {
	host, port := splitAddr(e.Addr)
	scan := "ssh-keyscan"
	if port != 22 {
		scan += " -p " + strconv.Itoa(port)
	}
	scan += " -t " + strings.TrimPrefix(e.Key.Type(), "ssh-") + " " + host + " >> " + e.KnownHosts
	cert := ""
	if e.Cert != nil {
		cert = fmt.Sprintf("; its host certificate (serial %d, key id %q) was not accepted: %s", e.Cert.Serial, e.Cert.KeyId, e.CertProblem)
		if e.CAAt != "" {
			cert += " (its CA is trusted at " + e.CAAt + ")"
		}
	}
	switch {
	case e.Revoked:
		what := ""
		if e.Cert != nil {
			what = ", or the CA that signed its host certificate,"
		}
		return fmt.Sprintf("the host key of %s (%s)%s is REVOKED in known_hosts at %s; refusing to connect", e.Host, e.Addr, what, e.KnownAt)
	case e.Changed:
		return fmt.Sprintf("WARNING: POSSIBLE MAN-IN-THE-MIDDLE: the host key of %s (%s) has CHANGED: it now presents %s %s, "+
			"which does not match the key at %s%s. Refusing to connect. If the host was reinstalled and its owner confirms the new "+
			"fingerprint, remove the old key with `ssh-keygen -R %s -f %s` (it keeps @cert-authority lines) and trust the new one with `%s`",
			e.Host, e.Addr, e.Key.Type(), e.Fingerprint, e.KnownAt, cert, shellWord(knownHostsName(host, port)), e.KnownHosts, scan)
	case e.Cert != nil:
		return fmt.Sprintf("host certificate of %s (%s) refused: %s%s. Refusing to connect (known_hosts searched under %q; the certificate's own key %s %s "+
			"is not known either). Have the host's certificate reissued by a CA your known_hosts trusts for it (ssh-keygen -s CA -h -n NAMES), "+
			"or, only after checking the fingerprint with the host's owner, trust its plain key with `%s`",
			e.Host, e.Addr, e.CertProblem, caNote(e.CAAt), e.Name, e.Key.Type(), e.Fingerprint, scan)
	}
	return fmt.Sprintf("host key of %s (%s) is not known: %s %s. Check this fingerprint with the host's owner out of band, "+
		"then trust it with `%s` (and check the added line matches)", e.Host, e.Addr, e.Key.Type(), e.Fingerprint, scan)
}

func caNote(at string) string {
	if at == "" {
		return ""
	}
	return " (its CA is trusted at " + at + ")"
}

func knownHostsName(host string, port int) string {
	if port == 22 {
		return host
	}
	return "[" + host + "]:" + strconv.Itoa(port)
}

func shellWord(s string) string {
	if strings.ContainsAny(s, "[]*? ") {
		return shellQuote(s)
	}
	return s
}

func splitAddr(a string) (string, int) {
	i := strings.LastIndex(a, ":")
	if i < 0 {
		return a, 22
	}
	p, err := strconv.Atoi(a[i+1:])
	if err != nil {
		return a, 22
	}
	return strings.Trim(a[:i], "[]"), p
}
