package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// hostKey reads the server's host key, or creates it (ed25519, 0600, with a .pub beside it for clients'
// known_hosts) when there is none. A key others can read is refused: whoever reads it can pose as the
// bastion.
func hostKey(path string) (ssh.Signer, bool, error) {
	created := false
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if data, err = newHostKey(path); err != nil {
			return nil, false, err
		}
		created = true
	} else if err != nil {
		return nil, false, fmt.Errorf("the host key %s: %v", path, errors.Unwrap(err))
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, false, fmt.Errorf("the host key %s is readable by others (mode %04o): chmod 600 %s", path, st.Mode().Perm(), path)
	}
	signer, err := ssh.ParsePrivateKey(data)
	if err != nil {
		return nil, false, fmt.Errorf("the host key %s: %v: move it away and firebreak serve creates a new one (clients must then trust the new key)", path, err)
	}
	return signer, created, nil
}

func newHostKey(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the host key: %v", err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "firebreak serve host key")
	if err != nil {
		return nil, err
	}
	data := pem.EncodeToMemory(block)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating the host key: %v", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("writing the host key %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("writing the host key %s: %v", path, err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(sshPub), 0o644); err != nil {
		return nil, fmt.Errorf("writing %s.pub: %v", path, err)
	}
	return data, nil
}
