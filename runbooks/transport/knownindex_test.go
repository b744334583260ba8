package transport

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func testKey(t testing.TB) (ssh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey())))
}

// TestHostKeyIndexAnswersAsKnownhosts checks the index against golang.org/x/crypto/ssh/knownhosts on a corpus
// with every kind of line: plain names and [host]:port, several names per line, hashed names, wildcards,
// negations, @revoked, @cert-authority, comments, a name in two files with different keys.
func TestHostKeyIndexAnswersAsKnownhosts(t *testing.T) {
	dir := t.TempDir()
	var signers []ssh.Signer
	var k []string
	for range 5 {
		s, line := testKey(t)
		signers, k = append(signers, s), append(k, line)
	}
	ca, caLine := testKey(t)
	one := strings.Join([]string{
		"# a comment", "",
		"web1 " + k[0],
		"web1,10.0.0.1 " + k[1],
		"[web2]:2222 " + k[0],
		"  [10.0.0.2]:2222,web3\t" + k[2] + " a comment  ",
		knownhosts.HashHostname("secret") + " " + k[0],
		knownhosts.HashHostname("[secret]:2200") + " " + k[1],
		"*.example.com " + k[1],
		"*.example.com,!bad.example.com " + k[2],
		"db? " + k[0],
		"@revoked * " + k[4],
		"@cert-authority *.corp " + caLine,
		"web1 " + k[2],
		"web4,web4 " + k[0],
		"!web9,web9 " + k[0],
		"web9 " + k[1],
	}, "\n") + "\n"
	two := strings.Join([]string{
		"web1 " + k[3],
		"[127.0.0.1]:20001 " + k[0],
		"[::1]:22 " + k[1],
		"x.corp " + k[3],
	}, "\n") + "\n"
	f1, f2 := filepath.Join(dir, "one"), filepath.Join(dir, "two")
	os.WriteFile(f1, []byte(one), 0o600)
	os.WriteFile(f2, []byte(two), 0o600)

	want, err := knownhosts.New(f1, f2)
	if err != nil {
		t.Fatal(err)
	}
	x, err := newHostKeyIndex(f1, f2)
	if err != nil {
		t.Fatal(err)
	}
	got := x.callback()

	cert := &ssh.Certificate{Key: signers[3].PublicKey(), CertType: ssh.HostCert, ValidPrincipals: []string{"x.corp"},
		ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	keys := []ssh.PublicKey{probeKey, cert}
	for _, s := range signers {
		keys = append(keys, s.PublicKey())
	}
	addrs := []string{"web1:22", "web1:2222", "10.0.0.1:22", "web2:2222", "web2:22", "10.0.0.2:2222", "web3:22",
		"secret:22", "secret:2200", "a.example.com:22", "bad.example.com:22", "db1:22", "db12:22", "x.corp:22",
		"127.0.0.1:20001", "127.0.0.1:20002", "web9:22", "web4:22", "unknown:22", "[::1]:22", "WEB1:22", ""}
	remote := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 22}
	for _, a := range addrs {
		for i, key := range keys {
			w, g := want(a, remote, key), got(a, remote, key)
			if d := diffHostKeyErr(w, g); d != "" {
				t.Errorf("%q key %d: %s", a, i, d)
			}
		}
	}
}

// diffHostKeyErr says how two answers of a host key callback differ ("" when they do not).
func diffHostKeyErr(w, g error) string {
	if (w == nil) != (g == nil) {
		return fmt.Sprintf("knownhosts says %v, the index %v", w, g)
	}
	if w == nil {
		return ""
	}
	same := func(a, b knownhosts.KnownKey) bool {
		return a.Filename == b.Filename && a.Line == b.Line && bytes.Equal(a.Key.Marshal(), b.Key.Marshal())
	}
	var wk, gk *knownhosts.KeyError
	var wr, gr *knownhosts.RevokedError
	switch {
	case errors.As(w, &wk):
		if !errors.As(g, &gk) || len(wk.Want) != len(gk.Want) {
			return fmt.Sprintf("knownhosts says %#v, the index %#v", w, g)
		}
		for i := range wk.Want {
			if !same(wk.Want[i], gk.Want[i]) {
				return fmt.Sprintf("wanted key %d: knownhosts %s, the index %s", i, wk.Want[i].String(), gk.Want[i].String())
			}
		}
	case errors.As(w, &wr):
		if !errors.As(g, &gr) || !same(wr.Revoked, gr.Revoked) {
			return fmt.Sprintf("knownhosts says %v, the index %v", w, g)
		}
	default:
		if w.Error() != g.Error() {
			return fmt.Sprintf("knownhosts says %q, the index %q", w, g)
		}
	}
	return ""
}

// TestHostKeyIndexRefusesWhatKnownhostsRefuses: a bad line is an error naming the file and line, the same
// error knownhosts gives.
func TestHostKeyIndexRefusesWhatKnownhostsRefuses(t *testing.T) {
	_, k := testKey(t)
	blob := strings.Fields(k)[1]
	dir := t.TempDir()
	for i, line := range []string{
		"@unknown web1 " + k, "@revoked @cert-authority web1 " + k, "web1", "web1 ssh-ed25519", "web1 ssh-ed25519 !!!",
		"web1 ssh-rsa " + blob, "! " + k, "web1,! " + k, "[web1 " + k, "|1|abc " + k, "|2|c2FsdA==|aGFzaA== " + k,
		"|1|!!|aGFzaA== " + k, "web1 ssh-ed25519 c2hvcnQ=",
	} {
		f := filepath.Join(dir, fmt.Sprint(i))
		os.WriteFile(f, []byte("ok "+k+"\n"+line+"\n"), 0o600)
		_, werr := knownhosts.New(f)
		_, gerr := newHostKeyIndex(f)
		if werr == nil || gerr == nil || werr.Error() != gerr.Error() {
			t.Errorf("%q: knownhosts says %v, the index %v", line, werr, gerr)
		}
	}
}

// BenchmarkHostKeyIndex checks one host of a 10,000-line known_hosts (the old linear scan: about 10,000
// pattern matches per host).
func BenchmarkHostKeyIndex(b *testing.B) {
	s, k := testKey(b)
	var buf strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&buf, "[127.0.0.1]:%d %s\n", 20001+i, k)
	}
	f := filepath.Join(b.TempDir(), "known_hosts")
	os.WriteFile(f, []byte(buf.String()), 0o600)
	x, err := newHostKeyIndex(f)
	if err != nil {
		b.Fatal(err)
	}
	cb := x.callback()
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 25000}
	b.ResetTimer()
	for i := range b.N {
		if err := cb(fmt.Sprintf("127.0.0.1:%d", 20001+i%10000), remote, s.PublicKey()); err != nil {
			b.Fatal(err)
		}
	}
}
