package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
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
	p := tenRanges(t, 10)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	inv, err := Load([]string{p}, Options{SSHConfig: []string{}, Home: t.TempDir(), LocalUser: "u"})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	// What a loaded million hosts hold (about 13 MB: the name index and the groups' member lists); the
	// peak of a whole `firebreak hosts all` is TestE2EMillionHosts's.
	if live := int64(after.HeapAlloc) - int64(before.HeapAlloc); live > 40<<20 {
		t.Errorf("a loaded million hosts hold %d MB, want under 40 MB", live>>20)
	}
	names, _, err := inv.Names("all")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range names {
		n++
	}
	if n != 1000000 {
		t.Errorf("Names(all): %d names", n)
	}
	hs, err := inv.Match("all")
	if err != nil || len(hs) != 1000000 {
		t.Fatalf("all: %d hosts, %v", len(hs), err)
	}
}
