package transport

import (
	"context"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
)

// writeUserCert signs the public key in keyPath+".pub" with ca as a user certificate and writes it to path.
func writeUserCert(t testing.TB, ca ssh.Signer, keyPath, path string, principals []string, after, before time.Time) {
	t.Helper()
	b, err := os.ReadFile(keyPath + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		t.Fatal(err)
	}
	c := &ssh.Certificate{Key: pub, CertType: ssh.UserCert, KeyId: "sshtest-user", Serial: 9, ValidPrincipals: principals,
		ValidAfter: uint64(after.Unix()), ValidBefore: uint64(before.Unix())}
	if err := c.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, ssh.MarshalAuthorizedKey(c), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestUserCertificatesAsOpenSSH logs in to hosts that trust only a user CA (no authorized_keys), with a
// certificate beside the key (KEY-cert.pub, which OpenSSH offers by itself), from CertificateFile, expired,
// not yet valid, naming another user, and with none, through OpenSSH's ssh and through firebreak: the
// decisions must agree, and an expired or not yet valid certificate is reported before connecting.
func TestUserCertificatesAsOpenSSH(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Fatalf("needs OpenSSH's ssh: apt-get install openssh-client (.ci/test installs it): %v", err)
	}
	ca, _ := testKey(t)
	f := sshtest.StartWith(t, 1, sshtest.Options{UserCA: ca.PublicKey()})
	port := f.Hosts[0].Port
	now := time.Now()
	cases := []struct {
		name       string
		beside     bool // the certificate is KEY-cert.pub, else a CertificateFile
		principals []string
		after      time.Time
		before     time.Time
		none       bool   // no certificate at all
		before0    string // firebreak's error before connecting must say this ("" if it connects or the server refuses)
	}{
		{name: "beside the key", beside: true, principals: []string{f.User}, after: now.Add(-time.Hour), before: now.Add(time.Hour)},
		{name: "CertificateFile", principals: []string{f.User}, after: now.Add(-time.Hour), before: now.Add(time.Hour)},
		{name: "no principals", beside: true, after: now.Add(-time.Hour), before: now.Add(time.Hour)},
		{name: "other user", beside: true, principals: []string{"someone-else"}, after: now.Add(-time.Hour), before: now.Add(time.Hour)},
		{name: "expired", beside: true, principals: []string{f.User}, after: now.Add(-2 * time.Hour), before: now.Add(-time.Hour), before0: "expired at"},
		{name: "expired CertificateFile", principals: []string{f.User}, after: now.Add(-2 * time.Hour), before: now.Add(-time.Hour), before0: "expired at"},
		{name: "not yet valid", beside: true, principals: []string{f.User}, after: now.Add(time.Hour), before: now.Add(2 * time.Hour), before0: "not valid until"},
		{name: "none", none: true},
	}
	agree := 0
	for i, c := range cases {
		dir := t.TempDir()
		key := filepath.Join(dir, "id")
		if _, err := sshtest.WriteKey(key); err != nil {
			t.Fatal(err)
		}
		var certFiles []string
		args := []string{"-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + f.KnownHosts,
			"-o", "GlobalKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-i", key, "-p", strconv.Itoa(port), "-l", f.User}
		if !c.none {
			path := key + "-cert.pub"
			if !c.beside {
				path = filepath.Join(dir, "issued.cert")
				certFiles = []string{path}
				args = append(args, "-o", "CertificateFile="+path)
			}
			writeUserCert(t, ca, key, path, c.principals, c.after, c.before)
		}
		out, err := exec.Command("ssh", append(args, "127.0.0.1", "true")...).CombinedOutput()
		osshOK := err == nil
		h := &inventory.Host{Name: "web1", Addr: "127.0.0.1", Port: port, User: f.User, IdentityFiles: []string{key},
			CertificateFiles: certFiles, KnownHostsFiles: []string{f.KnownHosts}}
		pool := NewPool(Config{AgentSocket: "none"})
		ferr := pool.Connect(context.Background(), h)
		pool.Close()
		if osshOK != (ferr == nil) {
			t.Errorf("%d %s: OpenSSH logs in: %v (%s); firebreak: %v", i, c.name, osshOK, lastLine(out), ferr)
			continue
		}
		agree++
		if c.before0 != "" && (ferr == nil || !strings.Contains(ferr.Error(), c.before0) || !strings.Contains(ferr.Error(), "renew")) {
			t.Errorf("%d %s: want an error before connecting saying %q and what to do, got %v", i, c.name, c.before0, ferr)
		}
	}
	if agree < 2 {
		t.Errorf("only %d cases agree", agree)
	}
}

// TestUserCertificateFromAgent logs in with a certificate held by a real ssh-agent (ssh-add loads
// KEY-cert.pub with KEY), with no identity file, to a host that trusts only the user CA.
func TestUserCertificateFromAgent(t *testing.T) {
	for _, tool := range []string{"ssh-agent", "ssh-add"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("needs OpenSSH's %s: apt-get install openssh-client: %v", tool, err)
		}
	}
	ca, _ := testKey(t)
	f := sshtest.StartWith(t, 1, sshtest.Options{UserCA: ca.PublicKey()})
	dir := t.TempDir()
	key := filepath.Join(dir, "id")
	if _, err := sshtest.WriteKey(key); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if i > 200 {
			t.Fatal("ssh-agent did not create its socket")
		}
		time.Sleep(10 * time.Millisecond)
	}
	connect := func() error {
		h := &inventory.Host{Name: "web1", Addr: "127.0.0.1", Port: f.Hosts[0].Port, User: f.User, IdentityFiles: []string{filepath.Join(dir, "absent")},
			KnownHostsFiles: []string{f.KnownHosts}}
		pool := NewPool(Config{AgentSocket: sock})
		defer pool.Close()
		return pool.Connect(context.Background(), h)
	}
	add := func() {
		t.Helper()
		c := exec.Command("ssh-add", key)
		c.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("ssh-add: %v: %s", err, out)
		}
	}
	// The plain key alone: the host trusts no key, only the CA.
	add()
	if err := connect(); err == nil {
		t.Fatal("logged in with a plain key to a host that trusts only certificates")
	}
	now := time.Now()
	writeUserCert(t, ca, key, key+"-cert.pub", []string{f.User}, now.Add(-time.Hour), now.Add(time.Hour))
	add()
	if err := connect(); err != nil {
		t.Fatalf("with the certificate in ssh-agent: %v", err)
	}
	// An expired certificate in the agent is not offered, and said so.
	c := exec.Command("ssh-add", "-D")
	c.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add -D: %v: %s", err, out)
	}
	writeUserCert(t, ca, key, key+"-cert.pub", []string{f.User}, now.Add(-2*time.Hour), now.Add(-time.Hour))
	add()
	err := connect()
	if err == nil || !strings.Contains(err.Error(), "expired at") || !strings.Contains(err.Error(), "ssh-agent") {
		t.Fatalf("with an expired certificate in ssh-agent: %v", err)
	}
}
