package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestE2EHaltOnFullDisk puts the database and the run logs on a small tmpfs, fills it while a run is in
// flight, and halts from another process: the halt must take effect within a second (the off-switch file
// needs no free space), and be recorded on the timeline once space is back.
func TestE2EHaltOnFullDisk(t *testing.T) {
	e := newEnv(t)
	small := filepath.Join(e.root, "small")
	if err := os.MkdirAll(small, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", small, "tmpfs", 0, "size=8m,mode=0700"); err != nil {
		t.Fatalf("mounting a small tmpfs for the full-disk test (the tests run as root, as CI does): %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(small, syscall.MNT_DETACH) })
	e = e.with("FIREBREAK_DB", filepath.Join(small, "fb.db"))
	os.WriteFile(filepath.Join(e.work, "firebreak.toml"), []byte("[runs]\nlog_min_free = \"1MiB\"\n"), 0o600)
	inc := e.declare("the disk is full", "--sev", "3")

	pidFile := filepath.Join(e.root, "pid")
	script := fmt.Sprintf(`: "$FIREBREAK_DRY_RUN"; echo $$ > %s; sleep 300 & wait`, pidFile)
	run := e.command(t.Context(), "run", inc, "--command", script, "--hosts", "localhost", "--dry-run", "--yes")
	var out strings.Builder
	run.Stdout, run.Stderr = &out, &out
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the command to start", 30*time.Second, fileHasPID(pidFile))
	time.Sleep(200 * time.Millisecond)

	// Fill the filesystem to the last byte.
	filler, err := os.Create(filepath.Join(small, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := filler.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	for { // and the last partial chunk
		if _, err := filler.Write(chunk[:512]); err != nil {
			break
		}
	}
	filler.Close()

	start := time.Now()
	stdout, stderr, code := e.fb("halt", "--reason", "disk full")
	if code != 0 || !strings.Contains(stdout, "HALTED") {
		t.Fatalf("halt on a full disk: exit %d\n%s\n%s", code, stdout, stderr)
	}
	waitFor(t, "the command to be killed", time.Second, func() bool { return !pidAlive(pidFile) })
	t.Logf("halt to the command gone on a full disk: %v (halt said: %s)", time.Since(start).Round(time.Millisecond), strings.TrimSpace(stderr))
	run.Wait()

	// Space is back: the next firebreak records the halt, and nothing starts while it holds.
	os.Remove(filepath.Join(small, "filler"))
	evs := e.timeline(inc)
	halts := 0
	for _, ev := range evs {
		if ev.Kind == "halt" && strings.Contains(ev.Text, "disk full") {
			halts++
		}
	}
	if halts != 1 {
		t.Fatalf("%d halt events after space came back, want 1: %+v", halts, evs)
	}
	_, stderr, code = e.fb("run", inc, "--command", "true", "--hosts", "localhost", "--dry-run")
	if code != 2 || !strings.Contains(stderr, "halted") {
		t.Fatalf("a run while halted: exit %d %s", code, stderr)
	}
}
