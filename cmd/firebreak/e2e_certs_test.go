package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
)

// certSigner makes a CA key.
func certSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestE2ECertificateOnlyFleet runs on a fleet that knows only CAs: its hosts present host certificates,
// known_hosts holds nothing but a @cert-authority line, and the hosts accept only user certificates (no
// authorized_keys). `hosts --json` says the hosts are trusted through the CA, a dry run and a run reach
// every host, and when known_hosts trusts another CA the run is refused with a message about the
// certificate that never advises removing a line.
func TestE2ECertificateOnlyFleet(t *testing.T) {
	e := newEnv(t)
	hostCA, userCA := certSigner(t), certSigner(t)
	now := time.Now()
	f := sshtest.StartWith(t, 2, sshtest.Options{
		HostCert: func(k ssh.PublicKey) (*ssh.Certificate, error) {
			c := &ssh.Certificate{Key: k, CertType: ssh.HostCert, KeyId: "fleet", ValidPrincipals: []string{"127.0.0.1"},
				ValidAfter: uint64(now.Add(-time.Hour).Unix()), ValidBefore: uint64(now.Add(time.Hour).Unix())}
			return c, c.SignCert(rand.Reader, hostCA)
		},
		UserCA: userCA.PublicKey(),
	})
	caLine := func(ca ssh.Signer) []byte {
		return []byte("@cert-authority 127.0.0.1,*.corp " + string(ssh.MarshalAuthorizedKey(ca.PublicKey())))
	}
	if err := os.WriteFile(f.KnownHosts, caLine(hostCA), 0o600); err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(f.UserKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	userKey, _, _, _, err := ssh.ParseAuthorizedKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	cert := &ssh.Certificate{Key: userKey, CertType: ssh.UserCert, KeyId: "alice", ValidPrincipals: []string{f.User},
		ValidAfter: uint64(now.Add(-time.Hour).Unix()), ValidBefore: uint64(now.Add(time.Hour).Unix())}
	if err := cert.SignCert(rand.Reader, userCA); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.UserKey+"-cert.pub", ssh.MarshalAuthorizedKey(cert), 0o644); err != nil {
		t.Fatal(err)
	}

	var hosts []struct {
		Name  string `json:"name"`
		Trust struct {
			Via             string   `json:"via"`
			SearchedAs      string   `json:"searched_as"`
			CertAuthorities []string `json:"cert_authorities"`
			Keys            []string `json:"keys"`
			Principal       string   `json:"principal"`
		} `json:"host_key_trust"`
	}
	mustJSON(t, e.ok("hosts", "all", "-i", f.Inventory, "--json"), &hosts)
	if len(hosts) != 2 {
		t.Fatalf("hosts --json = %+v", hosts)
	}
	for _, h := range hosts {
		if h.Trust.Via != "cert-authority" || len(h.Trust.CertAuthorities) != 1 || len(h.Trust.Keys) != 0 ||
			!strings.HasPrefix(h.Trust.CertAuthorities[0], f.KnownHosts+":1 ssh-ed25519 SHA256:") || h.Trust.Principal != "127.0.0.1" ||
			!strings.HasPrefix(h.Trust.SearchedAs, "[127.0.0.1]:") {
			t.Errorf("hosts --json trust of %s = %+v", h.Name, h.Trust)
		}
	}

	inc := e.declare("certificates only", "--sev", "3")
	run := []string{"run", inc, "--command", `echo "on $FIREBREAK_SSHTEST_HOST"`, "-i", f.Inventory, "--hosts", "all"}
	e.ok(append(run, "--dry-run", "--yes")...)
	out := e.ok(append(run, "--stages", "1,100%", "--yes", "--confirm-out-of-hours")...)
	for _, h := range f.Hosts {
		if !strings.Contains(out, h.Name) {
			t.Errorf("the run's output does not name %s:\n%s", h.Name, out)
		}
	}

	// known_hosts now trusts another CA: refused, saying why, with no advice to remove lines.
	if err := os.WriteFile(f.KnownHosts, caLine(certSigner(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := e.fb(append(run, "--dry-run", "--yes")...)
	all := stdout + stderr + e.ok("timeline", inc)
	if code == 0 || !strings.Contains(all, "no @cert-authority line") || strings.Contains(all, "ssh-keygen -R") {
		t.Errorf("with an untrusted CA: exit %d\n%s", code, all)
	}
}
