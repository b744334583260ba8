package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tenRanges writes ten ranges of 100,000 hosts: a million, exactly the default limit.
func tenRanges(t testing.TB, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%c[1:100000]\n", 'a'+i)
	}
	p := filepath.Join(t.TempDir(), "hosts.ini")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMillionHosts(t *testing.T) {
	if testing.Short() {
		t.Skip("a million hosts")
	}
	inv, err := Load([]string{tenRanges(t, 10)}, Options{SSHConfig: []string{}, Home: t.TempDir(), LocalUser: "u"})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := inv.Match("all")
	if err != nil || len(hs) != 1000000 {
		t.Fatalf("all: %d hosts, %v", len(hs), err)
	}
}
