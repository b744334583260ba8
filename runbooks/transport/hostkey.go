package transport

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// knownHosts caches parsed known_hosts files per file list for the life of a Pool: each list is read and
// indexed once, however many hosts share it.
type knownHosts struct {
	mu    sync.Mutex
	cache map[string]ssh.HostKeyCallback
}

// callback returns the knownhosts callback for the files that exist among files.
func (k *knownHosts) callback(files []string) (ssh.HostKeyCallback, error) {
	key := strings.Join(files, "\x00")
	k.mu.Lock()
	defer k.mu.Unlock()
	if cb, ok := k.cache[key]; ok {
		return cb, nil
	}
	var existing []string
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			existing = append(existing, f)
		}
	}
	var cb ssh.HostKeyCallback
	if len(existing) == 0 {
		cb = func(string, net.Addr, ssh.PublicKey) error { return &knownhosts.KeyError{} }
	} else {
		x, err := newHostKeyIndex(existing...)
		if err != nil {
			return nil, fmt.Errorf("reading known_hosts: %w (fix or remove the bad line)", err)
		}
		cb = x.callback()
	}
	if k.cache == nil {
		k.cache = map[string]ssh.HostKeyCallback{}
	}
	k.cache[key] = cb
	return cb, nil
}

// probeKey never matches a real host key; checking it lists the keys known for a host.
var probeKey, _ = ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))

// knownAlgorithms lists the host key algorithms known_hosts has for addr, so the handshake asks the server
// for a key type we can verify (as OpenSSH does) instead of failing on a key type we do not know.
func knownAlgorithms(cb ssh.HostKeyCallback, addr string) []string {
	var ke *knownhosts.KeyError
	if err := cb(addr, &net.TCPAddr{IP: net.IPv4zero}, probeKey); !errors.As(err, &ke) {
		return nil
	}
	var algos []string
	seen := map[string]bool{}
	add := func(a ...string) {
		for _, x := range a {
			if !seen[x] {
				seen[x] = true
				algos = append(algos, x)
			}
		}
	}
	for _, w := range ke.Want {
		switch t := w.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			add(ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			add(t)
		}
	}
	return algos
}

// verifier wraps the knownhosts callback so refusals say what happened and what to do.
func verifier(cb ssh.HostKeyCallback, name string, files []string) ssh.HostKeyCallback {
	return func(addr string, remote net.Addr, key ssh.PublicKey) error {
		err := cb(addr, remote, key)
		if err == nil {
			return nil
		}
		he := &HostKeyError{Host: name, Addr: addr, Key: key, Fingerprint: ssh.FingerprintSHA256(key), KnownHosts: "~/.ssh/known_hosts"}
		if len(files) > 0 {
			he.KnownHosts = files[0]
		}
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		switch {
		case errors.As(err, &re):
			he.Revoked = true
		case errors.As(err, &ke) && len(ke.Want) > 0:
			he.Changed = true
			w := ke.Want[0]
			he.KnownAt = fmt.Sprintf("%s:%d (%s %s)", w.Filename, w.Line, w.Key.Type(), ssh.FingerprintSHA256(w.Key))
			he.KnownHosts = w.Filename
		case errors.As(err, &ke):
		default:
			return fmt.Errorf("checking the host key of %s: %w", name, err)
		}
		return he
	}
}
