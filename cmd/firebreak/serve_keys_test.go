package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func testPublicKey(t testing.TB) ssh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func authorizedLine(k ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

// TestParseKeysFile: each key names its person; anything that would make who is who unclear is refused
// with the file and line and what to write instead.
func TestParseKeysFile(t *testing.T) {
	a, b := testPublicKey(t), testPublicKey(t)
	la, lb := authorizedLine(a), authorizedLine(b)
	keys, err := parseKeysFile("keys", []byte("# the on-call team\n\n"+la+" alice\n"+lb+"   bob smith  \n"+la+" alice\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[string(a.Marshal())].Person != "alice" || keys[string(b.Marshal())].Person != "bob smith" ||
		keys[string(a.Marshal())].Fingerprint != ssh.FingerprintSHA256(a) {
		t.Fatalf("keys: %+v", keys)
	}
	for _, c := range []struct {
		name, file, says string
	}{
		{"no person", la + "\n", "keys:1: the key names no person"},
		{"not a key", "alice\n", "keys:1: not a public key"},
		{"one key, two people", la + " alice\n" + la + " bob\n", "keys:2: the key " + ssh.FingerprintSHA256(a) + " is already alice's"},
		{"options", `from="10.0.0.0/8" ` + la + " alice\n", "keys:1: the key has options"},
		{"a name that hides something", la + " ali\u200bce\n", "keys:1: the name"},
		{"the separator in a name", la + " bob as alice\n", `keys:1: the name "bob as alice"`},
		{"firebreak's own name", la + " firebreak\n", "keys:1:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseKeysFile("keys", []byte(c.file))
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("got %v, want an error saying %q", err, c.says)
			}
		})
	}
}

// FuzzKeysFile: any text is a keys file or an error naming its line, never a panic, and every key read
// has a person and a fingerprint.
func FuzzKeysFile(f *testing.F) {
	k := authorizedLine(testPublicKey(f))
	for _, s := range []string{k + " alice\n", "# c\n" + k + " bob\n\n", `command="x" ` + k + " a\n", k + "\n", "ssh-ed25519 AAAA alice\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		keys, err := parseKeysFile("keys", []byte(src))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "keys:") {
				t.Fatalf("the error does not name the line: %v", err)
			}
			return
		}
		for _, who := range keys {
			if who.Person == "" || !strings.HasPrefix(who.Fingerprint, "SHA256:") {
				t.Fatalf("a key without a person or fingerprint: %+v", who)
			}
		}
	})
}

// TestKeyringReload: an edit of the keys file is seen at the next look, a broken file accepts no key
// (and says so in the log) until it is fixed.
func TestKeyringReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	a, b := testPublicKey(t), testPublicKey(t)
	os.WriteFile(path, []byte(authorizedLine(a)+" alice\n"), 0o644)
	var logged []string
	k, err := loadKeyring(path, func(f string, args ...any) { logged = append(logged, f) })
	if err != nil {
		t.Fatal(err)
	}
	if who, ok := k.lookup(a); !ok || who.Person != "alice" {
		t.Fatalf("alice: %v %v", who, ok)
	}
	write := func(s string) {
		t.Helper()
		os.WriteFile(path, []byte(s), 0o644)
		k.refresh(true)
	}
	write(authorizedLine(b) + " bob\n")
	if _, ok := k.lookup(a); ok {
		t.Error("alice's removed key is still accepted")
	}
	if who, ok := k.lookup(b); !ok || who.Person != "bob" {
		t.Errorf("bob's added key: %v %v", who, ok)
	}
	write(authorizedLine(b) + "\n")
	if _, ok := k.lookup(b); ok {
		t.Error("a broken keys file still accepts keys")
	}
	if len(logged) == 0 || !strings.Contains(strings.Join(logged, "\n"), "no key is accepted until it is fixed") {
		t.Errorf("the broken file is not logged: %q", logged)
	}
	if _, err := loadKeyring(filepath.Join(t.TempDir(), "missing"), func(string, ...any) {}); err == nil || !strings.Contains(err.Error(), "create it") {
		t.Errorf("a missing keys file at start: %v", err)
	}
}

// TestConnLimiter: each address gets its burst, then one connection per 60/N seconds; other addresses
// are not affected.
func TestConnLimiter(t *testing.T) {
	l := newConnLimiter(3)
	one := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 1}
	two := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 2}
	for i := 0; i < 3; i++ {
		if !l.allow(one) {
			t.Fatalf("connection %d of the burst refused", i+1)
		}
	}
	if l.allow(one) {
		t.Fatal("a 4th connection within the minute allowed")
	}
	if !l.allow(two) {
		t.Fatal("another address refused")
	}
	l.buckets["10.0.0.1"].at = time.Now().Add(-21 * time.Second) // a third of a minute: one more token
	if !l.allow(one) || l.allow(one) {
		t.Fatal("the bucket did not refill by one token in 20 s")
	}
}

// TestHostKey: created once, 0600, with its .pub; kept; refused when others can read it.
func TestHostKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "hostkey")
	s1, created, err := hostKey(path)
	if err != nil || !created {
		t.Fatalf("first start: %v (created %v)", err, created)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the new key: %v mode %v", err, st.Mode().Perm())
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(mustReadFile(t, path+".pub"))
	if err != nil || ssh.FingerprintSHA256(pub) != ssh.FingerprintSHA256(s1.PublicKey()) {
		t.Fatalf("the .pub beside it: %v", err)
	}
	s2, created, err := hostKey(path)
	if err != nil || created || ssh.FingerprintSHA256(s2.PublicKey()) != ssh.FingerprintSHA256(s1.PublicKey()) {
		t.Fatalf("second start: %v (created %v): the key changed or was not read", err, created)
	}
	os.Chmod(path, 0o644)
	if _, _, err := hostKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) {
		t.Fatalf("a key others can read: %v", err)
	}
}
