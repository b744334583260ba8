package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/firebreak/firebreak/incident"
)

// servedKey is one line of the keys file: a public key and the person it proves.
type servedKey struct {
	Person      string
	Fingerprint string // ssh.FingerprintSHA256: "SHA256:..."
}

// maxKeysFile bounds the keys file firebreak reads: a few thousand keys, far more than a team has.
const maxKeysFile = 4 << 20

// parseKeysFile reads a keys file in authorized_keys format where every key names its person in the
// comment ("ssh-ed25519 AAAA... alice"). It refuses, naming the line, what would make identity unclear:
// a key without a person, a person's name that CheckAs refuses, one key given to two people, and
// authorized_keys options (from=, command=...), which firebreak does not apply and must not seem to.
func parseKeysFile(path string, data []byte) (map[string]servedKey, error) {
	keys := map[string]servedKey{}
	for n, line := range bytes.Split(data, []byte("\n")) {
		where := fmt.Sprintf("%s:%d", path, n+1)
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		pub, comment, options, rest, err := ssh.ParseAuthorizedKey(line)
		if err != nil {
			return nil, fmt.Errorf("%s: not a public key in authorized_keys format (%v): write `ssh-ed25519 AAAA... NAME`", where, err)
		}
		if len(bytes.TrimSpace(rest)) > 0 {
			return nil, fmt.Errorf("%s: more than one key on the line: put each key on a line of its own", where)
		}
		if len(options) > 0 {
			return nil, fmt.Errorf("%s: the key has options (%s), which firebreak serve does not apply: remove them (limit who can connect with a firewall instead)", where, strings.Join(options, ","))
		}
		if _, ok := pub.(*ssh.Certificate); ok {
			return nil, fmt.Errorf("%s: a certificate, not a key: list the person's public key", where)
		}
		if comment == "" {
			return nil, fmt.Errorf("%s: the key names no person: add their name after the key (`ssh-ed25519 AAAA... alice`)", where)
		}
		person, err := incident.CheckAs(comment)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where, strings.Replace(err.Error(), "--as ", "the name ", 1))
		}
		fp := ssh.FingerprintSHA256(pub)
		if prev, ok := keys[string(pub.Marshal())]; ok && prev.Person != person {
			return nil, fmt.Errorf("%s: the key %s is already %s's: a key proves one person, give %s a key of their own", where, fp, prev.Person, person)
		}
		keys[string(pub.Marshal())] = servedKey{Person: person, Fingerprint: fp}
	}
	return keys, nil
}

// keyring is the keys file as the server knows it: read again whenever the file changes (its size, mtime
// or inode), at most every keyringRecheck, so an added key works for the next connection and a removed
// key ends its person's sessions (see watch) without a restart.
type keyring struct {
	path string
	log  func(format string, args ...any)

	mu    sync.Mutex
	keys  map[string]servedKey
	stamp string    // what the file looked like when read
	err   error     // why the file as it is now is not used
	check time.Time // when the file was last looked at
}

// keyringRecheck is how often the keys file is looked at, at most.
const keyringRecheck = 250 * time.Millisecond

// loadKeyring reads the keys file for the first time: a missing or invalid file stops the server.
func loadKeyring(path string, log func(string, ...any)) (*keyring, error) {
	k := &keyring{path: path, log: func(string, ...any) {}} // the first reading's error is returned, not logged
	k.refresh(true)
	if k.err != nil {
		return nil, k.err
	}
	k.log = log
	return k, nil
}

// refresh rereads the file if it changed. A file that has become unreadable or invalid is logged and
// leaves no key valid (refusing everyone is the safe side of a half-edited file) until it is fixed.
func (k *keyring) refresh(force bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !force && time.Since(k.check) < keyringRecheck {
		return
	}
	k.check = time.Now()
	st, err := os.Stat(k.path)
	stamp := ""
	if err == nil {
		stamp = fmt.Sprintf("%d %d %v", st.Size(), st.ModTime().UnixNano(), inode(st))
		if stamp == k.stamp && !force {
			return
		}
	}
	keys, err := readKeysFile(k.path, err)
	k.stamp = stamp
	if err != nil {
		if k.err == nil || k.err.Error() != err.Error() {
			k.log("keys file: %v; no key is accepted until it is fixed", err)
		}
		k.keys, k.err = nil, err
		return
	}
	if k.keys != nil || k.err != nil {
		k.log("keys file %s reloaded: %d keys", k.path, len(keys))
	}
	k.keys, k.err = keys, nil
}

func readKeysFile(path string, statErr error) (map[string]servedKey, error) {
	if statErr != nil {
		return nil, fmt.Errorf("the keys file %s: %v: create it with one line per person, `ssh-ed25519 AAAA... NAME` (their ~/.ssh/id_ed25519.pub with their name)", path, statErr)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the keys file %s: %v", path, err)
	}
	if len(data) > maxKeysFile {
		return nil, fmt.Errorf("the keys file %s is %d bytes, more than the %d firebreak reads: is it the right file?", path, len(data), maxKeysFile)
	}
	return parseKeysFile(path, data)
}

// lookup is the person a key proves, from the file as it is now.
func (k *keyring) lookup(pub ssh.PublicKey) (servedKey, bool) {
	k.refresh(false)
	k.mu.Lock()
	defer k.mu.Unlock()
	who, ok := k.keys[string(pub.Marshal())]
	return who, ok
}

// count is how many keys the file holds now.
func (k *keyring) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.keys)
}

// still reports whether the key still proves the same person: false once it was removed or renamed.
func (k *keyring) still(pub ssh.PublicKey, who servedKey) bool {
	now, ok := k.lookup(pub)
	return ok && now == who
}

// inode is the file's inode number (0 where the system has none): a keys file replaced by a rename is a
// new file even with the same size and time.
func inode(st os.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return s.Ino
	}
	return 0
}
