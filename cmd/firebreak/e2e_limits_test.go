package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/firebreak/firebreak/runbooks/tomlcheck"
)

// tenRanges is ten ranges of 100,000 hosts: a million, exactly the default [limits] max_hosts.
func tenRanges(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%c[1:100000]\n", 'a'+i)
	}
	return b.String()
}

// TestE2EHostileFiles: files that once hung firebreak or took gigabytes end quickly with a FILE:LINE error
// (or work), each within a few seconds.
func TestE2EHostileFiles(t *testing.T) {
	t.Parallel()
	deep := "id = \"deep\"\nx = " + strings.Repeat("[", 200000) + strings.Repeat("]", 200000) + "\n" // 400 KB
	weird := "id = \"weird\"\ntitle = \"w\"\nx = " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "\n"
	cases := []struct {
		name  string
		setup func(t *testing.T, e *fbEnv)
		args  []string
		code  int
		want  []string
	}{
		{"lint of deeply nested arrays", func(t *testing.T, e *fbEnv) {
			mustWriteFile(t, filepath.Join(e.work, "deep.toml"), []byte(deep))
		}, []string{"runbook", "lint", "deep.toml"}, 1, nil},
		{"a 20 KB weird runbook in ./runbooks", func(t *testing.T, e *fbEnv) {
			mustWriteFile(t, filepath.Join(e.work, "runbooks", "weird.toml"), []byte(weird))
		}, []string{"runbook", "list"}, 0, nil},
		{"a 28 KB nested config", func(t *testing.T, e *fbEnv) {
			mustWriteFile(t, filepath.Join(e.work, "firebreak.toml"), []byte("x = "+strings.Repeat("[", 14000)+strings.Repeat("]", 14000)+"\n"))
		}, []string{"list"}, 2, []string{"firebreak.toml:1:69: ", "nest more than 64"}},
		{"a runbook linked to /dev/zero", func(t *testing.T, e *fbEnv) {
			if err := os.Symlink("/dev/zero", filepath.Join(e.work, "runbooks", "zero.toml")); err != nil {
				t.Fatal(err)
			}
		}, []string{"runbook", "list"}, 2, []string{"zero.toml:1: ", "device"}},
		{"a FIFO named *.toml", func(t *testing.T, e *fbEnv) {
			if err := syscall.Mkfifo(filepath.Join(e.work, "runbooks", "fifo.toml"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"runbook", "list"}, 2, []string{"fifo.toml:1: ", "FIFO"}},
		{"a runbook over the size limit", func(t *testing.T, e *fbEnv) {
			mustWriteFile(t, filepath.Join(e.work, "runbooks", "big.toml"), []byte("# "+strings.Repeat("x", 2<<20)+"\n"))
		}, []string{"runbook", "list"}, 2, []string{"big.toml:1: ", "max_file_size"}},
		{"eleven ranges: past max_hosts before expanding", func(t *testing.T, e *fbEnv) {
			mustWriteFile(t, filepath.Join(e.work, "hosts.ini"), []byte(tenRanges(11)))
		}, []string{"hosts", "all", "-i", "hosts.ini"}, 2, []string{"hosts.ini:11: ", "max_hosts"}},
		{"an 80-file ssh_config Include tree", func(t *testing.T, e *fbEnv) {
			// The config named by firebreak.toml (~ is the passwd home, as for OpenSSH, not this test's
			// HOME), its Includes absolute for the same reason.
			dir := filepath.Join(e.root, "sshcfg")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			// 80 files that each include four more: 400 files read, past the 256 allowed. (Files that include
			// each other stop at 16 levels instead.)
			for i := 0; i < 76; i++ {
				mustWriteFile(t, filepath.Join(dir, fmt.Sprintf("c%02d.conf", i)), []byte("Include "+dir+"/d*.conf\nHost x\n  User u\n"))
			}
			for i := 0; i < 4; i++ {
				mustWriteFile(t, filepath.Join(dir, fmt.Sprintf("d%02d.conf", i)), []byte("Host y\n  Port 2222\n"))
			}
			mustWriteFile(t, filepath.Join(dir, "config"), []byte("Include "+dir+"/c*.conf\n"))
			mustWriteFile(t, filepath.Join(e.work, "firebreak.toml"), []byte(fmt.Sprintf("ssh_config = %q\n", filepath.Join(dir, "config"))))
			mustWriteFile(t, filepath.Join(e.work, "hosts.ini"), []byte("h1\n"))
		}, []string{"hosts", "all", "-i", "hosts.ini"}, 2, []string{"config:1: ", "256 files"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			if err := os.MkdirAll(filepath.Join(e.work, "runbooks"), 0o755); err != nil {
				t.Fatal(err)
			}
			c.setup(t, e)
			start := time.Now()
			out, stderr, code := e.fb(c.args...)
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v", d)
			}
			if c.code == 2 {
				wantError(t, c.name, out, stderr, code, 2, c.want...)
			} else if code != c.code || strings.Contains(stderr, "panic") {
				t.Errorf("exit %d, want %d; stderr %.300q", code, c.code, stderr)
			}
		})
	}
}

// maxLoadingRSS is the most memory loading any input under the limits may take (tracker issue 11).
const maxLoadingRSS = 100 << 20

// peakRSS runs `firebreak args...` and also returns the most memory it held (its peak resident set).
//
// It runs it under GNU time (/usr/bin/time, Debian's package time, which .ci/test installs): the kernel
// counts into a child's maxrss the resident set of the process it was forked from, so a child of this test
// process (large under -race) would report this process's memory, not its own. A grandchild of a small
// process reports its own.
func (e *fbEnv) peakRSS(args ...string) (stdout, stderr string, code int, peak int64) {
	e.t.Helper()
	gnuTime, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		e.t.Fatalf("measuring peak memory needs GNU time: apt-get install time (.ci/test does): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	report := filepath.Join(e.t.TempDir(), "rss")
	cmd := exec.CommandContext(ctx, gnuTime, append([]string{"-f", "%M", "-o", report, fbBin}, args...)...)
	cmd.Dir, cmd.Env = e.work, e.environ()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil && (!errors.As(err, &ee) || ctx.Err() != nil) {
		e.t.Fatalf("firebreak %q: %v (stderr: %s)", args, err, errb.String())
	}
	data, err := os.ReadFile(report)
	if err != nil {
		e.t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n") // "Command exited with non-zero status N" may come first
	kb, err := strconv.ParseInt(strings.TrimSpace(lines[len(lines)-1]), 10, 64)
	if err != nil {
		e.t.Fatalf("GNU time reported %q", data)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode(), kb << 10
}

// TestE2EMillionHosts: ten ranges of 100,000 are at the limit and list every host, within
// maxLoadingRSS.
func TestE2EMillionHosts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mustWriteFile(t, filepath.Join(e.work, "hosts.ini"), []byte(tenRanges(10)))
	out, stderr, code, peak := e.peakRSS("hosts", "all", "-i", "hosts.ini")
	if code != 0 || strings.Count(out, "\n") != 1000000 {
		t.Fatalf("exit %d, %d lines, stderr %q", code, strings.Count(out, "\n"), stderr)
	}
	if !strings.HasPrefix(out, "a1\na2\n") || !strings.HasSuffix(out, "\nj100000\n") {
		t.Errorf("hosts out of order: %.20q ... %.20q", out, out[len(out)-20:])
	}
	t.Logf("peak RSS %d MB", peak>>20)
	if peak > maxLoadingRSS {
		t.Errorf("hosts all on a million hosts took %d MB at its peak, want under %d MB", peak>>20, maxLoadingRSS>>20)
	}
}

// TestE2ELintManyProblems: a 1 MiB runbook of 95,000 unknown keys lists the first
// tomlcheck.MaxProblems problems and counts the rest, in text and JSON, within maxLoadingRSS.
func TestE2ELintManyProblems(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var b strings.Builder
	b.WriteString("id = \"keys\"\ntitle = \"k\"\n")
	keys := 0
	for ; b.Len() < 1<<20-20; keys++ {
		fmt.Fprintf(&b, "k%05d = 1\n", keys)
	}
	mustWriteFile(t, filepath.Join(e.work, "keys.toml"), []byte(b.String()))
	more := keys + 1 - tomlcheck.MaxProblems // the unknown keys and the missing steps, less those listed

	out, stderr, code, peak := e.peakRSS("runbook", "lint", "keys.toml")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 1 || len(lines) != tomlcheck.MaxProblems+1 {
		t.Fatalf("exit %d, %d lines; want 1 and %d (stderr %q)", code, len(lines), tomlcheck.MaxProblems+1, stderr)
	}
	if !strings.HasPrefix(lines[0], "keys.toml:3:1: error: unknown key \"k00000\"") {
		t.Errorf("first line %q", lines[0])
	}
	if want := fmt.Sprintf("... and %d more problems in keys.toml", more); lines[len(lines)-1] != want {
		t.Errorf("last line %q, want %q", lines[len(lines)-1], want)
	}
	if !strings.Contains(stderr, fmt.Sprintf("lint: %d findings", keys+1)) {
		t.Errorf("stderr %q, want every finding counted", stderr)
	}
	t.Logf("text: peak RSS %d MB", peak>>20)
	if peak > maxLoadingRSS {
		t.Errorf("lint took %d MB at its peak, want under %d MB", peak>>20, maxLoadingRSS>>20)
	}

	out, _, code, peak = e.peakRSS("runbook", "lint", "--json", "keys.toml")
	var r struct {
		Findings []struct{ File string }
		Omitted  []struct {
			File  string
			Count int
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 1 {
		t.Fatalf("exit %d, %v", code, err)
	}
	if len(r.Findings) != tomlcheck.MaxProblems || len(r.Omitted) != 1 || r.Omitted[0].File != "keys.toml" || r.Omitted[0].Count != more {
		t.Errorf("--json: %d findings, omitted %+v; want %d and {keys.toml %d}", len(r.Findings), r.Omitted, tomlcheck.MaxProblems, more)
	}
	t.Logf("json: peak RSS %d MB", peak>>20)
	if peak > maxLoadingRSS {
		t.Errorf("lint --json took %d MB at its peak, want under %d MB", peak>>20, maxLoadingRSS>>20)
	}
}

// TestE2ESignalDuringLoading: SIGTERM while a million hosts load ends the command within a second.
func TestE2ESignalDuringLoading(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mustWriteFile(t, filepath.Join(e.work, "hosts.ini"), []byte(tenRanges(10)))
	cmd := e.command(t.Context(), "hosts", "all", "-i", "hosts.ini")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // loading, not yet printing
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	took := time.Since(start)
	if took > 1500*time.Millisecond {
		t.Errorf("SIGTERM: exited %v later, want within 1s", took)
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 && code != 0 {
		t.Errorf("exit %d (%v), want 130; stderr %q", code, err, stderr.String())
	}
	t.Logf("exited %v after SIGTERM: %s", took.Round(time.Millisecond), strings.TrimSpace(stderr.String()))
}
