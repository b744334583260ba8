package transport

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

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

// TestHostKeyIndexMatchesOpenSSH checks which known_hosts lines apply to a name against OpenSSH's own
// answer (`ssh-keygen -F NAME -f FILE`, the same hostfile.c code ssh uses) on a corpus with every kind of
// line: plain names and [host]:port, several names per line, hashed names, wildcards that span the port,
// negations, @revoked, @cert-authority, upper case, comments.
func TestHostKeyIndexMatchesOpenSSH(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Fatalf("needs OpenSSH's ssh-keygen: apt-get install openssh-client (.ci/test installs it): %v", err)
	}
	var k []string
	for range 4 {
		_, line := testKey(t)
		k = append(k, line)
	}
	lines := []string{
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
		"@revoked * " + k[3],
		"@revoked web1 " + k[2],
		"@cert-authority *.corp " + k[3],
		"@cert-authority [*.corp]:2222,!x.corp " + k[2],
		"@cert-authority 127.0.0.1 " + k[1],
		"WEB5 " + k[1],
		"* " + k[2],
		"[127.0.0.1]:* " + k[0],
		"[127.0.0.?]:22?? " + k[1],
		"web4,web4 " + k[0],
		"!web9,web9 " + k[0],
		"web9 " + k[1],
		"Web1 " + k[3],
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(f, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	x, err := newHostKeyIndex(f)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"web1", "WEB1", "10.0.0.1", "[web2]:2222", "web2", "[10.0.0.2]:2222", "10.0.0.2", "web3", "secret",
		"[secret]:2200", "Secret", "a.example.com", "bad.example.com", "[a.example.com]:2222", "db1", "db12", "a.corp", "[a.corp]:2222",
		"x.corp", "[x.corp]:2222", "127.0.0.1", "[127.0.0.1]:2222", "[127.0.0.1]:22", "[127.0.0.5]:2201", "web5", "web9", "web4",
		"unknown", "[::1]:2222", "::1"}
	found := regexp.MustCompile(`found: line (\d+)`)
	for _, name := range names {
		out, _ := exec.Command("ssh-keygen", "-F", name, "-f", f).Output() // exit 1: nothing found
		var want []string
		for _, m := range found.FindAllStringSubmatch(string(out), -1) {
			want = append(want, m[1])
		}
		var got []string
		x.applying(name, func(l *hostKeyLine) bool {
			got = append(got, strconv.Itoa(l.line))
			return true
		})
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%q: OpenSSH applies lines %v, firebreak %v", name, want, got)
		}
	}
}

// TestHostKeyIndexRefusesWhatKnownhostsRefuses: a bad line is an error naming the file and line, the same
// error knownhosts gives. (OpenSSH skips a line it cannot read; firebreak refuses the file, so that a key
// meant to be trusted or revoked is never silently ignored. A pattern OpenSSH takes as a plain string, such
// as "[web1" without its port, is read as OpenSSH reads it.)
func TestHostKeyIndexRefusesWhatKnownhostsRefuses(t *testing.T) {
	_, k := testKey(t)
	blob := strings.Fields(k)[1]
	dir := t.TempDir()
	for i, line := range []string{
		"@unknown web1 " + k, "@revoked @cert-authority web1 " + k, "web1", "web1 ssh-ed25519", "web1 ssh-ed25519 !!!",
		"web1 ssh-rsa " + blob, "! " + k, "web1,! " + k, "|1|abc " + k, "|2|c2FsdA==|aGFzaA== " + k,
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
	now := time.Now()
	b.ResetTimer()
	for i := range b.N {
		var v verdict
		if !x.check("127.0.0.1", 20001+i%10000, "", s.PublicKey(), now, &v) {
			b.Fatal(v)
		}
	}
}
