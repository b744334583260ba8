package transport

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/firebreak/firebreak/runbooks/inventory"
)

// knownHosts caches parsed known_hosts files per file list for the life of a Pool: each list is read and
// indexed once, however many hosts share it.
type knownHosts struct {
	mu    sync.Mutex
	cache map[string]*hostKeyIndex
}

// index returns the known_hosts of the files that exist among files, parsed once.
func (k *knownHosts) index(files []string) (*hostKeyIndex, error) {
	key := strings.Join(files, "\x00")
	k.mu.Lock()
	defer k.mu.Unlock()
	if x, ok := k.cache[key]; ok {
		return x, nil
	}
	x, err := readKnownHosts(files)
	if err != nil {
		return nil, err
	}
	if k.cache == nil {
		k.cache = map[string]*hostKeyIndex{}
	}
	k.cache[key] = x
	return x, nil
}

// readKnownHosts parses the files that exist among files (none: an index that knows no host).
func readKnownHosts(files []string) (*hostKeyIndex, error) {
	var existing []string
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			existing = append(existing, f)
		}
	}
	x, err := newHostKeyIndex(existing...)
	if err != nil {
		return nil, fmt.Errorf("reading known_hosts: %w (fix or remove the bad line)", err)
	}
	return x, nil
}

// verifier is the host key callback for h: OpenSSH's decision (see hostKeyIndex.check), refusals as
// HostKeyError saying what happened and what to do. now is the clock host certificates are checked by.
func (x *hostKeyIndex) verifier(h *inventory.Host, now func() time.Time) ssh.HostKeyCallback {
	return func(_ string, _ net.Addr, key ssh.PublicKey) error {
		var v verdict
		if x.check(h.Addr, h.Port, h.HostKeyAlias, key, now(), &v) {
			return nil
		}
		he := &HostKeyError{Host: h.Name, Addr: net.JoinHostPort(h.Addr, strconv.Itoa(h.Port)), Name: v.name, Key: key, KnownHosts: "~/.ssh/known_hosts",
			CertProblem: v.cert}
		if c, ok := key.(*ssh.Certificate); ok {
			he.Key = c.Key
			he.Cert = c
		}
		he.Fingerprint = ssh.FingerprintSHA256(he.Key)
		if len(h.KnownHostsFiles) > 0 {
			he.KnownHosts = h.KnownHostsFiles[0]
		}
		if v.ca != nil {
			he.CAAt = v.ca.at()
		}
		switch v.status {
		case hostRevoked:
			he.Revoked = true
			if v.found != nil {
				he.KnownAt = fmt.Sprintf("%s (%s %s)", v.found.at(), v.found.key.Type(), ssh.FingerprintSHA256(v.found.key))
			}
		case hostChanged:
			he.Changed = true
			he.KnownAt = fmt.Sprintf("%s (%s %s)", v.found.at(), v.found.key.Type(), ssh.FingerprintSHA256(v.found.key))
			he.KnownHosts = v.found.file
		}
		return he
	}
}
