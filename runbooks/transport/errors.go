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

// HostKeyError refuses a host whose key is unknown, changed or revoked (guard 9). There is no option to
// skip the check: the message says how to trust a key after checking its fingerprint out of band.
type HostKeyError struct {
	Host        string
	Addr        string // host:port as written in known_hosts lookups
	Key         ssh.PublicKey
	Changed     bool   // a different key is known: possible man-in-the-middle
	Revoked     bool   // the key is marked @revoked
	KnownAt     string // for a changed key: FILE:LINE (type fingerprint) of the known key
	KnownHosts  string // the file to add a trusted key to (for a changed key: the file holding the old one)
	Fingerprint string // SHA256:... of the key the host presented
}

// Error explains what happened and what to do.
func (e *HostKeyError) Error() string {
	host, port := splitAddr(e.Addr)
	scan := "ssh-keyscan"
	if port != 22 {
		scan += " -p " + strconv.Itoa(port)
	}
	scan += " -t " + strings.TrimPrefix(e.Key.Type(), "ssh-") + " " + host + " >> " + e.KnownHosts
	switch {
	case e.Revoked:
		return fmt.Sprintf("host key of %s (%s) is REVOKED in known_hosts: %s %s; refusing to connect", e.Host, e.Addr, e.Key.Type(), e.Fingerprint)
	case e.Changed:
		return fmt.Sprintf("WARNING: POSSIBLE MAN-IN-THE-MIDDLE: the host key of %s (%s) has CHANGED: it now presents %s %s, "+
			"which does not match the key at %s. Refusing to connect. If the host was reinstalled and its owner confirms the new "+
			"fingerprint, remove the old key with `ssh-keygen -R %s -f %s` and trust the new one with `%s`",
			e.Host, e.Addr, e.Key.Type(), e.Fingerprint, e.KnownAt, shellWord(knownHostsName(host, port)), e.KnownHosts, scan)
	}
	return fmt.Sprintf("host key of %s (%s) is not known: %s %s. Check this fingerprint with the host's owner out of band, "+
		"then trust it with `%s` (and check the added line matches)", e.Host, e.Addr, e.Key.Type(), e.Fingerprint, scan)
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
