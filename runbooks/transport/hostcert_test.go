package transport

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
)

// signHostCert signs key as a certificate of the given type with ca.
func signHostCert(t testing.TB, ca ssh.Signer, key ssh.PublicKey, typ uint32, principals []string, after, before time.Time) *ssh.Certificate {
	t.Helper()
	c := &ssh.Certificate{Key: key, CertType: typ, KeyId: "sshtest", Serial: 7, ValidPrincipals: principals,
		ValidAfter: uint64(after.Unix()), ValidBefore: uint64(before.Unix())}
	if err := c.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestHostCertificatesAsOpenSSH runs a corpus of hosts presenting host certificates (valid, expired, not yet
// valid, naming another host, naming none, signed by an untrusted CA, a user certificate, no certificate)
// against a corpus of known_hosts files (@cert-authority lines with wildcards, negations, [host]:port and
// the bare host, @revoked CA and host keys, plain lines beside CA lines, a changed plain key) and
// HostKeyAlias settings, each through OpenSSH's ssh and through firebreak, and requires the same decision.
// firebreak's refusals must say what is wrong with a certificate and never advise removing a CA line.
func TestHostCertificatesAsOpenSSH(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Fatalf("needs OpenSSH's ssh: apt-get install openssh-client (.ci/test installs it): %v", err)
	}
	ca1, ca1Line := testKey(t)
	ca2, ca2Line := testKey(t)
	_, otherLine := testKey(t)
	now := time.Now()
	hour := time.Hour
	certs := []struct {
		name string
		make func(key ssh.PublicKey) (*ssh.Certificate, error)
		why  string // what firebreak's refusal must say when the certificate is what fails
	}{
		{"valid", func(k ssh.PublicKey) (*ssh.Certificate, error) {
			return signHostCert(t, ca1, k, ssh.HostCert, []string{"web1.corp", "127.0.0.1"}, now.Add(-hour), now.Add(hour)), nil
		}, ""},
		{"expired", func(k ssh.PublicKey) (*ssh.Certificate, error) {
			return signHostCert(t, ca1, k, ssh.HostCert, []string{"web1.corp", "127.0.0.1"}, now.Add(-2*hour), now.Add(-hour)), nil
		}, "expired at"},
		{"not yet valid", func(k ssh.PublicKey) (*ssh.Certificate, error) {
			return signHostCert(t, ca1, k, ssh.HostCert, []string{"web1.corp", "127.0.0.1"}, now.Add(hour), now.Add(2*hour)), nil
		}, "not valid until"},
		{"other name", func(k ssh.PublicKey) (*ssh.Certificate, error) {
			return signHostCert(t, ca1, k, ssh.HostCert, []string{"other.corp"}, now.Add(-hour), now.Add(hour)), nil
		}, "names other.corp"},
		{"no principals", func(k ssh.PublicKey) (*ssh.Certificate, error) {
			return signHostCert(t, ca1, k, ssh.HostCert, nil, now.Add(-hour), now.Add(hour)), nil
		}, ""},
		{"untrusted CA", func(k ssh.PublicKey) (*ssh.Certificate, error) {
			return signHostCert(t, ca2, k, ssh.HostCert, []string{"web1.corp", "127.0.0.1"}, now.Add(-hour), now.Add(hour)), nil
		}, "which no @cert-authority line"},
		{"user certificate", func(k ssh.PublicKey) (*ssh.Certificate, error) {
			return signHostCert(t, ca1, k, ssh.UserCert, []string{"web1.corp", "127.0.0.1"}, now.Add(-hour), now.Add(hour)), nil
		}, "user certificate, not a host certificate"},
		{"plain key", nil, ""},
	}
	type fleetCase struct {
		name string
		f    *sshtest.Fleet
		why  string
	}
	var fleets []fleetCase
	for _, c := range certs {
		f := sshtest.StartWith(t, 1, sshtest.Options{HostCert: c.make})
		fleets = append(fleets, fleetCase{c.name, f, c.why})
	}
	knowns := []struct{ name, text string }{
		{"ca any", "@cert-authority * " + ca1Line},
		{"ca corp", "@cert-authority *.corp " + ca1Line},
		{"ca corp but web1", "@cert-authority *.corp,!web1.corp " + ca1Line},
		{"ca host:port", "@cert-authority [127.0.0.1]:PORT " + ca1Line},
		{"ca bare host", "@cert-authority 127.0.0.1 " + ca1Line},
		{"ca other port", "@cert-authority [127.0.0.1]:1 " + ca1Line},
		{"ca revoked", "@cert-authority * " + ca1Line + "\n@revoked * " + ca1Line},
		{"ca revoked elsewhere", "@cert-authority * " + ca1Line + "\n@revoked other.host " + ca1Line},
		{"host key revoked", "@cert-authority * " + ca1Line + "\n@revoked * HOSTKEY"},
		{"ca and plain", "@cert-authority *.example " + ca1Line + "\n[127.0.0.1]:PORT HOSTKEY"},
		{"plain bare host", "127.0.0.1 HOSTKEY"},
		{"ca and changed plain", "@cert-authority *.example " + ca1Line + "\n[127.0.0.1]:PORT " + otherLine},
		{"other ca", "@cert-authority * " + ca2Line},
		{"no ca, none", "# nothing"},
	}
	aliases := []string{"", "web1.corp", "other.corp"}
	dir := t.TempDir()
	var mu sync.Mutex
	agree, accepted := 0, 0
	t.Run("hosts", func(t *testing.T) {
		for _, fc := range fleets {
			t.Run(fc.name, func(t *testing.T) {
				t.Parallel()
				port := fc.f.Hosts[0].Port
				hostKey := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(fc.f.HostKey)))
				for ki, kn := range knowns {
					kh := filepath.Join(dir, fmt.Sprintf("%s-%d", strings.ReplaceAll(fc.name, " ", "_"), ki))
					text := strings.NewReplacer("PORT", strconv.Itoa(port), "HOSTKEY", hostKey).Replace(kn.text) + "\n"
					if err := os.WriteFile(kh, []byte(text), 0o600); err != nil {
						t.Fatal(err)
					}
					for _, alias := range aliases {
						args := []string{"-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + kh,
							"-o", "GlobalKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-i", fc.f.UserKey, "-o", "ConnectTimeout=10",
							"-p", strconv.Itoa(port), "-l", fc.f.User}
						if alias != "" {
							args = append(args, "-o", "HostKeyAlias="+alias)
						}
						out, err := exec.Command("ssh", append(args, "127.0.0.1", "true")...).CombinedOutput()
						osshOK := err == nil
						h := &inventory.Host{Name: "web1", Addr: "127.0.0.1", Port: port, User: fc.f.User, IdentityFiles: []string{fc.f.UserKey},
							KnownHostsFiles: []string{kh}, HostKeyAlias: alias}
						pool := NewPool(Config{AgentSocket: "none", ConnectTimeout: 10 * time.Second})
						ferr := pool.Connect(context.Background(), h)
						pool.Close()
						what := fmt.Sprintf("host %s, known_hosts %q, HostKeyAlias %q", fc.name, kn.name, alias)
						if osshOK != (ferr == nil) {
							t.Errorf("%s: OpenSSH accepts: %v (%s); firebreak: %v", what, osshOK, lastLine(out), ferr)
							continue
						}
						mu.Lock()
						agree++
						if osshOK {
							accepted++
						}
						mu.Unlock()
						if osshOK {
							continue
						}
						var he *HostKeyError
						if !errors.As(ferr, &he) {
							t.Errorf("%s: refused, but not as a host key error: %v", what, ferr)
							continue
						}
						msg := ferr.Error()
						if he.Cert != nil && !he.Changed && strings.Contains(msg, "ssh-keygen -R") {
							t.Errorf("%s: a refused certificate must not come with advice to remove lines: %v", what, msg)
						}
						if he.Cert != nil && !he.Revoked && he.CertProblem == "" {
							t.Errorf("%s: a refused certificate must say why: %v", what, msg)
						}
						// The reason is about the certificate when its CA is trusted; an untrusted CA's when none is.
						if he.Cert != nil && !he.Revoked && !he.Changed && fc.why != "" && (he.CAAt != "") == (fc.name != "untrusted CA") && !strings.Contains(msg, fc.why) {
							t.Errorf("%s: %q does not say %q", what, msg, fc.why)
						}
					}
				}
			})
		}
	})
	t.Logf("%d decisions agree with OpenSSH, %d of them accepting", agree, accepted)
	if accepted < 20 || agree-accepted < 20 {
		t.Errorf("the corpus should both accept and refuse often: %d accepted of %d", accepted, agree)
	}
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
