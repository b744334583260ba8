package transport

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// keyring loads identity files once per Pool and talks to ssh-agent.
type keyring struct {
	agentSock string
	mu        sync.Mutex
	files     map[string]keyFile
	certs     map[string]certEntry
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

// signers returns the keys to offer: identity files first (as OpenSSH orders explicit keys), each preceded
// by its certificate when FILE-cert.pub is beside it or a CertificateFile certifies it, then the agent's
// keys (certificates the agent holds among them, and CertificateFile certificates of agent keys). An
// encrypted key is skipped (firebreak never prompts); with nothing else to offer that is an error saying to
// add it to ssh-agent. A user certificate that is expired or not yet valid is not offered: notes say so,
// and with nothing else to offer it is the error, before any connection is made.
func (k *keyring) signers(files, certFiles []string, now time.Time) (out []ssh.Signer, notes []string, err error) {
	var encrypted, broken []string
	seen := map[string]bool{}
	add := func(s ssh.Signer) {
		fp := string(s.PublicKey().Marshal())
		if !seen[fp] {
			seen[fp] = true
			out = append(out, s)
		}
	}
	// The certificates: CertificateFile ones, then FILE-cert.pub beside each identity file (missing: none).
	type certFile struct {
		path     string
		cert     *ssh.Certificate
		explicit bool
	}
	var certs []certFile
	for _, c := range certFiles {
		cert, err := k.cert(c)
		switch {
		case errors.Is(err, os.ErrNotExist):
			broken = append(broken, fmt.Sprintf("CertificateFile %s does not exist", c))
		case err != nil:
			broken = append(broken, fmt.Sprintf("%s: %v", c, err))
		default:
			certs = append(certs, certFile{c, cert, true})
		}
	}
	for _, f := range files {
		if cert, err := k.cert(f + "-cert.pub"); err == nil {
			certs = append(certs, certFile{path: f + "-cert.pub", cert: cert})
		} else if !errors.Is(err, os.ErrNotExist) {
			broken = append(broken, fmt.Sprintf("%s-cert.pub: %v", f, err))
		}
	}
	usable := func(c certFile) bool {
		if why := userCertProblem(c.cert, now); why != "" {
			notes = append(notes, fmt.Sprintf("user certificate %s %s: renew it (with your CA's login or signing command) and try again", c.path, why))
			return false
		}
		return true
	}
	withCerts := func(s ssh.Signer) {
		for _, c := range certs {
			if bytes.Equal(c.cert.Key.Marshal(), s.PublicKey().Marshal()) && usable(c) {
				if cs, err := ssh.NewCertSigner(c.cert, s); err == nil {
					add(cs)
				} else {
					broken = append(broken, fmt.Sprintf("%s: %v", c.path, err))
				}
			}
		}
		add(s)
	}
	for _, f := range files {
		kf := k.file(f)
		switch {
		case kf.signer != nil:
			withCerts(kf.signer)
		case kf.encrypted:
			encrypted = append(encrypted, f)
		case kf.err != nil && !errors.Is(kf.err, os.ErrNotExist):
			broken = append(broken, fmt.Sprintf("%s: %v", f, kf.err))
		}
	}
	for _, s := range k.agent() {
		// The agent's keys come as its own type: parse one to see whether it is a certificate.
		if pk, err := ssh.ParsePublicKey(s.PublicKey().Marshal()); err != nil {
			continue
		} else if c, ok := pk.(*ssh.Certificate); ok {
			if !usable(certFile{path: "held by ssh-agent (" + c.KeyId + ")", cert: c}) {
				continue
			}
			add(s)
			continue
		}
		withCerts(s)
	}
	for _, c := range certs {
		if c.explicit && !seen[string(c.cert.Marshal())] && userCertProblem(c.cert, now) == "" {
			notes = append(notes, fmt.Sprintf("CertificateFile %s certifies %s %s, which no identity file or ssh-agent key holds", c.path,
				c.cert.Key.Type(), ssh.FingerprintSHA256(c.cert.Key)))
		}
	}
	notes = uniq(notes) // a key held both in a file and by the agent is looked at twice
	if len(out) > 0 {
		return out, notes, nil
	}
	switch {
	case len(notes) > 0:
		return nil, notes, errors.New(strings.Join(notes, "; "))
	case len(encrypted) > 0:
		return nil, nil, fmt.Errorf("identity file %s is encrypted and no ssh-agent offers it: run `eval $(ssh-agent); ssh-add %s` (firebreak never asks for passphrases)", encrypted[0], encrypted[0])
	case len(broken) > 0:
		return nil, nil, fmt.Errorf("no usable SSH key: %s", strings.Join(broken, "; "))
	case k.agentErr != nil:
		return nil, nil, fmt.Errorf("no SSH key to log in with (identity files: %s) and %w", listOrNone(files), k.agentErr)
	}
	return nil, nil, fmt.Errorf("no SSH key to log in with (identity files: %s; no ssh-agent with keys at SSH_AUTH_SOCK): set ansible_ssh_private_key_file or IdentityFile in ~/.ssh/config, or add a key to ssh-agent", listOrNone(files))
}

// cert reads a user certificate file (OpenSSH's authorized_keys format: "TYPE-cert-v01@openssh.com BASE64
// comment"), once per Pool.
func (k *keyring) cert(path string) (*ssh.Certificate, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if c, ok := k.certs[path]; ok {
		return c.cert, c.err
	}
	var cf certEntry
	b, err := os.ReadFile(path)
	if err != nil {
		cf.err = err
	} else if pub, _, _, _, err := ssh.ParseAuthorizedKey(b); err != nil {
		cf.err = fmt.Errorf("not an SSH certificate: %w", err)
	} else if c, ok := pub.(*ssh.Certificate); !ok {
		cf.err = fmt.Errorf("holds a %s public key, not a certificate", pub.Type())
	} else {
		cf.cert = c
	}
	if k.certs == nil {
		k.certs = map[string]certEntry{}
	}
	k.certs[path] = cf
	return cf.cert, cf.err
}

type certEntry struct {
	cert *ssh.Certificate
	err  error
}

// userCertProblem says why a user certificate would be refused by any server ("" when it would not): its
// type or its validity now. Principals and the CA are the server's to judge.
func userCertProblem(c *ssh.Certificate, now time.Time) string {
	if c.CertType != ssh.UserCert {
		return "is a host certificate, not a user certificate"
	}
	t := uint64(now.Unix())
	if t < c.ValidAfter {
		return "is not valid until " + certTime(c.ValidAfter)
	}
	if c.ValidBefore != ssh.CertTimeInfinity && t >= c.ValidBefore {
		return "expired at " + certTime(c.ValidBefore)
	}
	return ""
}

// uniq drops repeated strings, keeping the first of each in order.
func uniq(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func listOrNone(fs []string) string {
	if len(fs) == 0 {
		return "none"
	}
	return strings.Join(fs, ", ")
}
