package transport

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// hostKeyIndex is known_hosts parsed once and answered as OpenSSH answers (ssh 9.2, hostfile.c and
// sshconnect.c): a line applies to a host when one of its patterns matches the name known_hosts is searched
// under ("[host]:port" off port 22, else the host; HostKeyAlias instead when set) and none of its negated
// patterns does, matched as whole strings with * and ?, case-insensitively; hashed names are hashed the same
// way. Lines whose patterns are all plain names ("web1", "[10.0.0.1]:2222") are found by name; hashed lines
// and lines with a wildcard or a negation are tried one by one, merged with the named lines in file order.
// On a fleet of thousands of hosts a scan of every line per host made checking host keys quadratic.
type hostKeyIndex struct {
	lines    []hostKeyLine
	byName   map[string][]int // plain lines, by each (lower-cased) name they list
	fallback []int            // hashed lines and lines with patterns
}

// marker is a known_hosts line's marker.
type marker uint8

const (
	markNone    marker = iota
	markCA             // @cert-authority
	markRevoked        // @revoked
)

type hostKeyLine struct {
	marker   marker
	key      ssh.PublicKey
	file     string
	line     int
	blob     string // key.Marshal()
	plain    string // the key without a certificate around it (what sshkey_equal_public compares)
	patterns []knownPattern
	hashed   bool // |1|salt|hash: matched by hashing the name with the salt
	salt     []byte
	hash     []byte
}

func (l *hostKeyLine) at() string { return fmt.Sprintf("%s:%d", l.file, l.line) }

type knownPattern struct {
	negate  bool
	pattern string // lower-cased
}

// newHostKeyIndex reads the known_hosts files in order (an error names the file and line).
func newHostKeyIndex(files ...string) (*hostKeyIndex, error) {
	x := &hostKeyIndex{byName: map[string][]int{}}
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
	mark, pattern, key, err := parseKnownHostsLine(line)
	if err != nil {
		return err
	}
	l := hostKeyLine{key: key, file: filename, line: num, blob: string(key.Marshal()), plain: plainBlob(key)}
	switch mark {
	case "@cert-authority":
		l.marker = markCA
	case "@revoked":
		l.marker = markRevoked
	}
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
			hp.pattern = strings.ToLower(p)
			if hp.negate || strings.ContainsAny(p, "*?") {
				plain = false
			}
			l.patterns = append(l.patterns, hp)
		}
	}
	i := len(x.lines)
	x.lines = append(x.lines, l)
	if !plain {
		x.fallback = append(x.fallback, i)
		return nil
	}
	for _, p := range l.patterns {
		if ix := x.byName[p.pattern]; len(ix) == 0 || ix[len(ix)-1] != i {
			x.byName[p.pattern] = append(ix, i)
		}
	}
	return nil
}

// applying calls f with every line that applies to the search name, in file order, until f returns false.
func (x *hostKeyIndex) applying(name string, f func(l *hostKeyLine) bool) {
	lower := strings.ToLower(name)
	named, other := x.byName[lower], x.fallback
	for len(named) > 0 || len(other) > 0 {
		var i int
		if len(other) == 0 || len(named) > 0 && named[0] < other[0] {
			i, named = named[0], named[1:]
		} else {
			i, other = other[0], other[1:]
			if !x.lines[i].match(name, lower) {
				continue
			}
		}
		if !f(&x.lines[i]) {
			return
		}
	}
}

// match is OpenSSH's match_hostname, or the hash of the name for a hashed line.
func (l *hostKeyLine) match(name, lower string) bool {
	if l.hashed {
		return bytes.Equal(hashHostname(name, l.salt), l.hash)
	}
	matched := false
	for _, p := range l.patterns {
		if !wildcardMatch(p.pattern, lower) {
			continue
		}
		if p.negate {
			return false
		}
		matched = true
	}
	return matched
}

// hostStatus is OpenSSH's answer for one key under one search name (check_key_in_hostkeys).
type hostStatus uint8

const (
	hostNew     hostStatus = iota // no line of the key's kind applies
	hostOK                        // a line has the key (for a certificate: its CA)
	hostChanged                   // plain lines apply, none with this key
	hostRevoked                   // a @revoked line has the key, or the certificate's CA
)

// status checks key against the lines that apply to name: plain lines for a plain key, @cert-authority
// lines for a certificate (its signing key), @revoked lines for both. found is the line that decided (for
// hostChanged, the last plain line seen).
func (x *hostKeyIndex) status(name string, key ssh.PublicKey) (st hostStatus, found *hostKeyLine) {
	cert, isCert := key.(*ssh.Certificate)
	want, blob, ca, caPlain := markNone, string(key.Marshal()), "", ""
	if isCert {
		want, ca, caPlain = markCA, string(cert.SignatureKey.Marshal()), plainBlob(cert.SignatureKey)
	}
	plain := plainBlob(key)
	var revoked *hostKeyLine
	x.applying(name, func(l *hostKeyLine) bool {
		switch {
		case l.marker == markRevoked:
			if revoked == nil && (l.plain == plain || isCert && l.plain == caPlain) {
				revoked = l
			}
		case l.marker != want || st == hostOK:
		case isCert && l.blob == ca, !isCert && l.blob == blob:
			st, found = hostOK, l
		case !isCert:
			st, found = hostChanged, l
		}
		return true
	})
	if revoked != nil {
		return hostRevoked, revoked
	}
	return st, found
}

// verdict collects why check refused a host key, for the error.
type verdict struct {
	status hostStatus   // the last answer for the key as presented (or its plain key)
	found  *hostKeyLine // the line behind it
	name   string       // the name known_hosts was searched under
	cert   string       // why a host certificate was not accepted ("" if none was presented, or it was)
	ca     *hostKeyLine // the @cert-authority line that trusted the certificate's CA
}

// check is OpenSSH's check_host_key for StrictHostKeyChecking yes, without writing: host is the name the
// host is reached under (ssh_config HostName, the inventory address), alias its HostKeyAlias. A host
// certificate is checked against the @cert-authority lines for the search name and then itself (a host
// certificate, valid now, naming the alias or else the host, no critical options); a certificate that
// fails, or whose CA no line trusts, is checked again as its plain key against the plain lines. Off port 22
// without an alias, a key not found under "[host]:port" is looked for under the bare host too.
func (x *hostKeyIndex) check(host string, port int, alias string, key ssh.PublicKey, now time.Time, v *verdict) bool {
	return x.checkName(host, port, alias, key, false, now, v)
}

func (x *hostKeyIndex) checkName(host string, port int, alias string, key ssh.PublicKey, bare bool, now time.Time, v *verdict) bool {
	name := alias
	if name == "" {
		name = host
		if !bare {
			name = knownHostsName(host, port)
		}
	}
	k := key
	for {
		cert, isCert := k.(*ssh.Certificate)
		st, found := x.status(name, k)
		switch st {
		case hostOK:
			if !isCert {
				return true
			}
			principal := alias
			if principal == "" {
				principal = host
			}
			why := hostCertProblem(cert, principal, now)
			if why == "" {
				return true
			}
			if v.cert == "" {
				v.cert, v.ca = why, found
			}
		case hostNew:
			if alias == "" && port != 22 && !bare && x.checkName(host, port, alias, k, true, now, v) {
				return true
			}
			if isCert && v.cert == "" {
				v.cert = fmt.Sprintf("it is signed by CA %s %s, which no @cert-authority line for %s trusts", cert.SignatureKey.Type(),
					ssh.FingerprintSHA256(cert.SignatureKey), name)
			}
		}
		if isCert && st != hostRevoked {
			k = cert.Key // OpenSSH's downgrade: the certificate's plain key, against the plain lines
			continue
		}
		if !bare {
			v.status, v.found, v.name = st, found, name
		}
		return false
	}
}

// hostCertProblem says why a host certificate whose CA is trusted is still refused ("" when it is not),
// as sshkey_cert_check_host does: principals are compared exactly; no principals means any host.
func hostCertProblem(c *ssh.Certificate, principal string, now time.Time) string {
	if c.CertType != ssh.HostCert {
		return "it is a user certificate, not a host certificate"
	}
	t := uint64(now.Unix())
	if t < c.ValidAfter {
		return fmt.Sprintf("it is not valid until %s", certTime(c.ValidAfter))
	}
	if c.ValidBefore != ssh.CertTimeInfinity && t >= c.ValidBefore {
		return fmt.Sprintf("it expired at %s", certTime(c.ValidBefore))
	}
	if len(c.ValidPrincipals) > 0 && !slices.Contains(c.ValidPrincipals, principal) {
		return fmt.Sprintf("it names %s, not %s", strings.Join(c.ValidPrincipals, ", "), principal)
	}
	if len(c.CriticalOptions) > 0 {
		return "it carries critical options, which host certificates may not"
	}
	return ""
}

// certTime formats a certificate's validity bound.
func certTime(t uint64) string {
	if t > uint64(1<<62) {
		return "forever"
	}
	return time.Unix(int64(t), 0).UTC().Format(time.RFC3339)
}

// algorithms are the host key algorithms to ask the server for, as OpenSSH orders them: every
// certificate algorithm first when a @cert-authority line applies, then the types of the plain keys known
// for the host. With neither, nil: the library's defaults (the host is then refused as unknown). With
// certificates but no plain key, the defaults follow the certificate algorithms, so a host that has no
// certificate is refused as unknown, not for want of a common algorithm.
func (x *hostKeyIndex) algorithms(host string, port int, alias string) []string {
	name := alias
	if name == "" {
		name = knownHostsName(host, port)
	}
	var algos []string
	seen := map[string]bool{}
	add := func(a ...string) {
		for _, s := range a {
			if !seen[s] {
				seen[s] = true
				algos = append(algos, s)
			}
		}
	}
	ca, plain := false, false
	x.applying(name, func(l *hostKeyLine) bool {
		switch l.marker {
		case markCA:
			ca = true
		case markNone:
			plain = true
		}
		return true
	})
	if ca {
		add(certAlgorithms...)
	}
	x.applying(name, func(l *hostKeyLine) bool {
		if l.marker == markNone {
			switch t := l.key.Type(); t {
			case ssh.KeyAlgoRSA:
				add(ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
			default:
				add(t)
			}
		}
		return true
	})
	if ca && !plain {
		add(plainAlgorithms...)
	}
	return algos
}

// certAlgorithms and plainAlgorithms are the host key algorithms golang.org/x/crypto/ssh verifies, in its
// order of preference.
var (
	certAlgorithms = []string{ssh.CertAlgoED25519v01, ssh.CertAlgoECDSA256v01, ssh.CertAlgoECDSA384v01, ssh.CertAlgoECDSA521v01,
		ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01, ssh.CertAlgoSKED25519v01, ssh.CertAlgoSKECDSA256v01, ssh.CertAlgoRSAv01}
	plainAlgorithms = []string{ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
		ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoSKED25519, ssh.KeyAlgoSKECDSA256, ssh.KeyAlgoRSA}
)

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
