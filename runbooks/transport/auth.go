package transport

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// keyring loads identity files once per Pool and talks to ssh-agent.
type keyring struct {
	agentSock string
	mu        sync.Mutex
	files     map[string]keyFile
	agentOnce sync.Once
	agentConn net.Conn
	agentKeys []ssh.Signer
	agentErr  error
}

type keyFile struct {
	signer    ssh.Signer
	encrypted bool
	err       error
}

func (k *keyring) file(path string) keyFile {
	k.mu.Lock()
	defer k.mu.Unlock()
	if kf, ok := k.files[path]; ok {
		return kf
	}
	var kf keyFile
	pem, err := os.ReadFile(path)
	if err != nil {
		kf.err = err
	} else if s, err := ssh.ParsePrivateKey(pem); err != nil {
		var pm *ssh.PassphraseMissingError
		kf.encrypted = errors.As(err, &pm)
		kf.err = err
	} else {
		kf.signer = s
	}
	if k.files == nil {
		k.files = map[string]keyFile{}
	}
	k.files[path] = kf
	return kf
}

func (k *keyring) agent() []ssh.Signer {
	k.agentOnce.Do(func() {
		if k.agentSock == "" {
			return
		}
		c, err := net.Dial("unix", k.agentSock)
		if err != nil {
			k.agentErr = fmt.Errorf("ssh-agent at %s: %w", k.agentSock, err)
			return
		}
		k.agentConn = c
		k.agentKeys, k.agentErr = agent.NewClient(c).Signers()
	})
	return k.agentKeys
}

func (k *keyring) close() {
	if k.agentConn != nil {
		k.agentConn.Close()
	}
}

// signers returns the keys to offer: identity files first (as OpenSSH orders explicit keys), then the
// agent's. An encrypted key is skipped (firebreak never prompts); with nothing else to offer that is an
// error saying to add it to ssh-agent.
func (k *keyring) signers(files []string) ([]ssh.Signer, error) {
	var out []ssh.Signer
	var encrypted, broken []string
	seen := map[string]bool{}
	add := func(s ssh.Signer) {
		fp := string(s.PublicKey().Marshal())
		if !seen[fp] {
			seen[fp] = true
			out = append(out, s)
		}
	}
	for _, f := range files {
		kf := k.file(f)
		switch {
		case kf.signer != nil:
			add(kf.signer)
		case kf.encrypted:
			encrypted = append(encrypted, f)
		case kf.err != nil && !errors.Is(kf.err, os.ErrNotExist):
			broken = append(broken, fmt.Sprintf("%s: %v", f, kf.err))
		}
	}
	agentKeys := k.agent()
	for _, s := range agentKeys {
		add(s)
	}
	if len(out) > 0 {
		return out, nil
	}
	switch {
	case len(encrypted) > 0:
		return nil, fmt.Errorf("identity file %s is encrypted and no ssh-agent offers it: run `eval $(ssh-agent); ssh-add %s` (firebreak never asks for passphrases)", encrypted[0], encrypted[0])
	case len(broken) > 0:
		return nil, fmt.Errorf("no usable SSH key: %s", strings.Join(broken, "; "))
	case k.agentErr != nil:
		return nil, fmt.Errorf("no SSH key to log in with (identity files: %s) and %w", listOrNone(files), k.agentErr)
	}
	return nil, fmt.Errorf("no SSH key to log in with (identity files: %s; no ssh-agent with keys at SSH_AUTH_SOCK): set ansible_ssh_private_key_file or IdentityFile in ~/.ssh/config, or add a key to ssh-agent", listOrNone(files))
}

func listOrNone(fs []string) string {
	if len(fs) == 0 {
		return "none"
	}
	return strings.Join(fs, ", ")
}
