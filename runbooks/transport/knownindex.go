package transport

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// hostKeyIndex is known_hosts parsed once, with the answers of golang.org/x/crypto/ssh/knownhosts (same
// errors, same keys in the same order) but without its scan of every line per host: on a fleet of
// thousands of hosts that scan made checking host keys quadratic. Lines whose host patterns are all plain
// names ("web1", "[10.0.0.1]:2222") are found by name; hashed lines (|1|...) and lines with a wildcard or a
// negation cannot be, and are tried one by one as before, merged with the named lines in file order.
type hostKeyIndex struct {
	lines    []hostKeyLine
	byAddr   map[hostAddr][]int // plain lines, by each name they list
	fallback []int              // hashed lines and lines with patterns
	certs    []int              // @cert-authority lines
	revoked  map[string]*knownhosts.KnownKey
}

type hostAddr struct{ host, port string }

type hostKeyLine struct {
	cert     bool
	known    knownhosts.KnownKey
	blob     string // known.Key.Marshal()
	patterns []knownPattern
	hashed   bool // |1|salt|hash: matched by hashing the name with the salt
	salt     []byte
	hash     []byte
}

type knownPattern struct {
	negate bool
	addr   hostAddr
}

// newHostKeyIndex reads the known_hosts files in order (an error names the file and line, as knownhosts
// does).
func newHostKeyIndex(files ...string) (*hostKeyIndex, error) {
	x := &hostKeyIndex{byAddr: map[hostAddr][]int{}, revoked: map[string]*knownhosts.KnownKey{}}
	for _, fn := range files {
		f, err := os.Open(fn)
		if err != nil {
			return nil, err
		}
		err = x.read(f, fn)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return x, nil
}

func (x *hostKeyIndex) read(f *os.File, filename string) error {
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.Trim(sc.Bytes(), " \t")
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if err := x.add(line, filename, n); err != nil {
			return fmt.Errorf("knownhosts: %s:%d: %v", filename, n, err)
		}
	}
	return sc.Err()
}

func (x *hostKeyIndex) add(line []byte, filename string, num int) error {
	marker, pattern, key, err := parseKnownHostsLine(line)
	if err != nil {
		return err
	}
	if marker == "@revoked" {
		x.revoked[plainBlob(key)] = &knownhosts.KnownKey{Key: key, Filename: filename, Line: num}
		return nil
	}
	l := hostKeyLine{cert: marker == "@cert-authority", known: knownhosts.KnownKey{Key: key, Filename: filename, Line: num},
		blob: string(key.Marshal())}
	plain := true
	if pattern[0] == '|' {
		l.hashed = true
		if l.salt, l.hash, err = decodeHashedHost(pattern); err != nil {
			return err
		}
		plain = false
	} else {
		for _, p := range strings.Split(pattern, ",") {
			if p == "" {
				continue
			}
			var hp knownPattern
			if p[0] == '!' {
				hp.negate, p = true, p[1:]
			}
			if p == "" {
				return errors.New("knownhosts: negation without following hostname")
			}
			if hp.addr.host, hp.addr.port, err = net.SplitHostPort(p); err != nil {
				if p[0] == '[' {
					return err
				}
				hp.addr = hostAddr{p, "22"}
			}
			if hp.negate || strings.ContainsAny(hp.addr.host, "*?") {
				plain = false
			}
			l.patterns = append(l.patterns, hp)
		}
	}
	i := len(x.lines)
	x.lines = append(x.lines, l)
	if l.cert {
		x.certs = append(x.certs, i)
	}
	if !plain {
		x.fallback = append(x.fallback, i)
		return nil
	}
	for _, p := range l.patterns {
		if ix := x.byAddr[p.addr]; len(ix) == 0 || ix[len(ix)-1] != i {
			x.byAddr[p.addr] = append(ix, i)
		}
	}
	return nil
}

// callback is the host key callback (certificates checked against the @cert-authority lines, as knownhosts
// does).
func (x *hostKeyIndex) callback() ssh.HostKeyCallback {
	c := ssh.CertChecker{IsHostAuthority: x.isHostAuthority, IsRevoked: x.isRevoked, HostKeyFallback: x.check}
	return c.CheckHostKey
}

func (x *hostKeyIndex) isHostAuthority(remote ssh.PublicKey, address string) bool {
	h, p, err := net.SplitHostPort(address)
	if err != nil {
		return false
	}
	a, blob := hostAddr{h, p}, string(remote.Marshal())
	for _, i := range x.certs {
		if l := &x.lines[i]; l.blob == blob && l.match(a) {
			return true
		}
	}
	return false
}

func (x *hostKeyIndex) isRevoked(c *ssh.Certificate) bool {
	return x.revoked[plainBlob(c)] != nil || x.revoked[plainBlob(c.SignatureKey)] != nil
}

func (x *hostKeyIndex) check(address string, remote net.Addr, key ssh.PublicKey) error {
	if r := x.revoked[plainBlob(key)]; r != nil {
		return &knownhosts.RevokedError{Revoked: *r}
	}
	if address == "" {
		address = remote.String()
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("knownhosts: SplitHostPort(%s): %v", address, err)
	}
	return x.checkAddr(hostAddr{host, port}, key)
}

// checkAddr goes through the lines that can match a in file order: the first with the key accepts it,
// else every matching line's key is wanted.
func (x *hostKeyIndex) checkAddr(a hostAddr, key ssh.PublicKey) error {
	blob := string(key.Marshal())
	ke := &knownhosts.KeyError{}
	named, other := x.byAddr[a], x.fallback
	for len(named) > 0 || len(other) > 0 {
		var i int
		if len(other) == 0 || len(named) > 0 && named[0] < other[0] {
			i, named = named[0], named[1:]
		} else {
			i, other = other[0], other[1:]
			if !x.lines[i].match(a) {
				continue
			}
		}
		l := &x.lines[i]
		ke.Want = append(ke.Want, l.known)
		if l.blob == blob {
			return nil
		}
	}
	return ke
}

// match is knownhosts' rule: a hashed name, or any pattern and no negated one.
func (l *hostKeyLine) match(a hostAddr) bool {
	if l.hashed {
		return bytes.Equal(hashHostname(knownhosts.Normalize(a.String()), l.salt), l.hash)
	}
	matched := false
	for _, p := range l.patterns {
		if !wildcardMatch(p.addr.host, a.host) || p.addr.port != a.port {
			continue
		}
		if p.negate {
			return false
		}
		matched = true
	}
	return matched
}

func (a hostAddr) String() string {
	h := a.host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return h + ":" + a.port
}

// wildcardMatch matches * and ? with no regard for separators, as OpenSSH's match_pattern.
func wildcardMatch(pat, s string) bool {
	for {
		if pat == "" {
			return s == ""
		}
		if s == "" {
			return false
		}
		if pat[0] == '*' {
			if len(pat) == 1 {
				return true
			}
			for j := range len(s) {
				if wildcardMatch(pat[1:], s[j:]) {
					return true
				}
			}
			return false
		}
		if pat[0] != '?' && pat[0] != s[0] {
			return false
		}
		pat, s = pat[1:], s[1:]
	}
}

func plainBlob(key ssh.PublicKey) string {
	if c, ok := key.(*ssh.Certificate); ok {
		key = c.Key
	}
	return string(key.Marshal())
}

// parseKnownHostsLine splits a line into its marker, host patterns and key, with knownhosts' errors.
func parseKnownHostsLine(line []byte) (marker, host string, key ssh.PublicKey, err error) {
	if w, next := nextWord(line); w == "@cert-authority" || w == "@revoked" {
		marker, line = w, next
	}
	host, line = nextWord(line)
	if len(host) > 0 && host[0] == '@' {
		return "", "", nil, fmt.Errorf("knownhosts: unexpected marker: %q", host)
	}
	if len(line) == 0 {
		return "", "", nil, errors.New("knownhosts: missing host pattern")
	}
	wantType, line := nextWord(line)
	if len(line) == 0 {
		return "", "", nil, errors.New("knownhosts: missing key type pattern")
	}
	blob, _ := nextWord(line)
	raw, err := base64.StdEncoding.DecodeString(blob)
	if err != nil {
		return "", "", nil, err
	}
	if key, err = ssh.ParsePublicKey(raw); err != nil {
		return "", "", nil, err
	}
	if key.Type() != wantType {
		return "", "", nil, fmt.Errorf("knownhosts: key type mismatch: found %q, want %q", key.Type(), wantType)
	}
	return marker, host, key, nil
}

func nextWord(line []byte) (string, []byte) {
	i := bytes.IndexAny(line, "\t ")
	if i == -1 {
		return string(line), nil
	}
	return string(line[:i]), bytes.Trim(line[i:], " \t")
}

// decodeHashedHost reads |1|salt|hash (the only hash OpenSSH writes).
func decodeHashedHost(encoded string) (salt, hash []byte, err error) {
	if len(encoded) == 0 || encoded[0] != '|' {
		return nil, nil, errors.New("knownhosts: hashed host must start with '|'")
	}
	c := strings.Split(encoded, "|")
	if len(c) != 4 {
		return nil, nil, fmt.Errorf("knownhosts: got %d components, want 3", len(c))
	}
	if salt, err = base64.StdEncoding.DecodeString(c[2]); err != nil {
		return nil, nil, err
	}
	if hash, err = base64.StdEncoding.DecodeString(c[3]); err != nil {
		return nil, nil, err
	}
	if c[1] != "1" {
		return nil, nil, fmt.Errorf("knownhosts: got hash type %s, must be '1'", c[1])
	}
	return salt, hash, nil
}

func hashHostname(host string, salt []byte) []byte {
	m := hmac.New(sha1.New, salt)
	m.Write([]byte(host))
	return m.Sum(nil)
}
