package main

// End-to-end tests of the command-line contract (SPEC "Command line"), run against the real binary:
// TestMain builds it once, and every test runs it with os/exec in an environment of its own (FIREBREAK_DB,
// HOME, XDG_CONFIG_HOME and XDG_DATA_HOME in a temp dir, and a temp working directory, so no real config
// or database is ever read).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store/postgres/pgtest"
)

// fbBin is the firebreak binary built by TestMain.
var fbBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "firebreak-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	fbBin = filepath.Join(dir, "firebreak")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	build := exec.Command(goTool, "build", "-o", fbBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building firebreak:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	pgtest.Stop() // the private PostgreSQL server, if a test started one
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is one isolated world for the binary: its own database, home, XDG directories and working directory.
type fbEnv struct {
	t    *testing.T
	root string            // the temp dir everything lives in
	work string            // the working directory of every command (./firebreak.toml is read from here)
	db   string            // the default FIREBREAK_DB
	vars map[string]string // environment variables set for the binary ("" value: unset)
}

func newEnv(t *testing.T) *fbEnv {
	t.Helper()
	root := t.TempDir()
	e := &fbEnv{t: t, root: root, work: filepath.Join(root, "work"), db: filepath.Join(root, "fb.db")}
	for _, d := range []string{e.work, filepath.Join(root, "home"), filepath.Join(root, "config")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e.vars = map[string]string{
		"HOME":            filepath.Join(root, "home"),
		"XDG_CONFIG_HOME": filepath.Join(root, "config"),
		"XDG_DATA_HOME":   filepath.Join(root, "data"),
		"FIREBREAK_DB":    e.db,
	}
	// Registered after t.TempDir, so it runs before the directory is removed: detached notify processes
	// (and anything else started in the working directory) must be gone first.
	t.Cleanup(func() { e.reapStragglers() })
	return e
}

// with returns a copy of e with an environment variable set ("" unsets it). Safe to use from parallel
// subtests: e itself is never changed.
func (e *fbEnv) with(key, value string) *fbEnv {
	c := *e
	c.vars = make(map[string]string, len(e.vars)+1)
	for k, v := range e.vars {
		c.vars[k] = v
	}
	c.vars[key] = value
	return &c
}

func (e *fbEnv) environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "FIREBREAK_") || strings.HasPrefix(k, "XDG_") || k == "HOME" {
			continue
		}
		out = append(out, kv)
	}
	for k, v := range e.vars {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// command is the binary with args, in e's working directory and environment.
func (e *fbEnv) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, fbBin, args...)
	cmd.Dir = e.work
	cmd.Env = e.environ()
	return cmd
}

// run runs the binary to completion; err is set only when it could not be run at all (or hung).
func (e *fbEnv) run(stdin string, args ...string) (stdout, stderr string, code int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := e.command(ctx, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ctx.Err() == nil {
		return out.String(), errb.String(), ee.ExitCode(), nil
	}
	if err != nil {
		return out.String(), errb.String(), -1, fmt.Errorf("firebreak %q: %v (stderr: %s)", args, err, errb.String())
	}
	return out.String(), errb.String(), 0, nil
}

// fb runs `firebreak args...` and returns what it printed and its exit code.
func (e *fbEnv) fb(args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	stdout, stderr, code, err := e.run("", args...)
	if err != nil {
		e.t.Fatal(err)
	}
	return stdout, stderr, code
}

// ok runs a command that must succeed and returns its stdout.
func (e *fbEnv) ok(args ...string) string {
	e.t.Helper()
	stdout, stderr, code := e.fb(args...)
	if code != 0 {
		e.t.Fatalf("firebreak %q: exit %d, want 0\nstdout: %s\nstderr: %s", args, code, stdout, stderr)
	}
	return stdout
}

// declare declares an incident and returns its id.
func (e *fbEnv) declare(args ...string) string {
	e.t.Helper()
	out := e.ok(append([]string{"declare"}, args...)...)
	if !regexp.MustCompile(`^INC-[0-9]+\n$`).MatchString(out) {
		e.t.Fatalf("declare %q printed %q, want just the id", args, out)
	}
	return strings.TrimSpace(out)
}

// event is one line of `timeline --json`.
type tlEvent struct {
	Seq   int64           `json:"seq"`
	At    string          `json:"at"`
	Actor string          `json:"actor"`
	Kind  string          `json:"kind"`
	Text  string          `json:"text"`
	Data  json.RawMessage `json:"data"`
	Hash  string          `json:"hash"`
}

func parseTimeline(t *testing.T, out string) []tlEvent {
	t.Helper()
	var evs []tlEvent
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev tlEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("timeline --json line %q: %v", sc.Text(), err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func (e *fbEnv) timeline(id string, extra ...string) []tlEvent {
	e.t.Helper()
	return parseTimeline(e.t, e.ok(append([]string{"timeline", id, "--json"}, extra...)...))
}

// showJSON is what `show --json` says about an incident.
type showJSON struct {
	ID         string               `json:"id"`
	Title      string               `json:"title"`
	Severity   string               `json:"severity"`
	Status     string               `json:"status"`
	Drill      bool                 `json:"drill"`
	DeclaredBy string               `json:"declared_by"`
	Roles      map[string]string    `json:"roles"`
	Milestones map[string]time.Time `json:"milestones"`
	Starred    []int64              `json:"starred"`
	Events     int64                `json:"events"`
}

func (e *fbEnv) show(id string, extra ...string) showJSON {
	e.t.Helper()
	out := e.ok(append([]string{"show", id, "--json"}, extra...)...)
	var s showJSON
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		e.t.Fatalf("show %s --json: %v\n%s", id, err, out)
	}
	return s
}

// listItem is one entry of `list --json`.
type listItem struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Severity  string `json:"severity"`
	Status    string `json:"status"`
	Drill     bool   `json:"drill"`
	Commander string `json:"commander"`
	Events    int64  `json:"events"`
}

func (e *fbEnv) list(extra ...string) []listItem {
	e.t.Helper()
	out := e.ok(append([]string{"list", "--json"}, extra...)...)
	var l []listItem
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		e.t.Fatalf("list --json: %v\n%s", err, out)
	}
	return l
}

// snapshot is everything the command line can tell about a database: every incident listed, and the
// timeline and state of each. Two equal snapshots mean nothing was written in between.
func (e *fbEnv) snapshot(extra ...string) string {
	e.t.Helper()
	var b strings.Builder
	listOut := e.ok(append([]string{"list", "--all", "--json"}, extra...)...)
	b.WriteString(listOut)
	b.WriteString(e.ok(append([]string{"list", "--json"}, extra...)...))
	var l []listItem
	if err := json.Unmarshal([]byte(listOut), &l); err != nil {
		e.t.Fatalf("list --all --json: %v", err)
	}
	for _, it := range l {
		b.WriteString(e.ok(append([]string{"timeline", it.ID, "--json"}, extra...)...))
		b.WriteString(e.ok(append([]string{"show", it.ID, "--json"}, extra...)...))
	}
	return b.String()
}

var oneLineError = regexp.MustCompile(`^firebreak: [^\n]+\n$`)

// wantError asserts the contract for an error: exit code want, nothing on stdout, exactly one line on stderr
// starting "firebreak: ", containing every one of contains.
func wantError(t *testing.T, what string, stdout, stderr string, code, want int, contains ...string) {
	t.Helper()
	if code != want {
		t.Errorf("%s: exit %d, want %d (stderr %q)", what, code, want, stderr)
	}
	if stdout != "" {
		t.Errorf("%s: stdout %q, want nothing", what, stdout)
	}
	if !oneLineError.MatchString(stderr) {
		t.Errorf("%s: stderr %q, want one line starting \"firebreak: \"", what, stderr)
	}
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
		t.Errorf("%s: crashed: %s", what, stderr)
	}
	for _, c := range contains {
		if !strings.Contains(stderr, c) {
			t.Errorf("%s: stderr %q does not mention %q", what, stderr, c)
		}
	}
}

// eventually polls cond every 20ms until it returns true or the deadline passes.
func pollUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// osUser is the OS user name as firebreak records it.
func osUser(t *testing.T) string {
	t.Helper()
	u, err := user.Current()
	if err != nil || u.Username == "" {
		t.Fatalf("os/user: %v", err)
	}
	return u.Username
}

func mustReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustWriteFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// procs lists the processes whose working directory is dir, with their command lines (NUL-separated argv).
func procsIn(dir string) map[int]string {
	out := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cwd, err := os.Readlink(filepath.Join("/proc", ent.Name(), "cwd"))
		if err != nil || cwd != dir {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
		if err != nil || len(cmdline) == 0 {
			continue // exited, or a zombie
		}
		out[pid] = string(cmdline)
	}
	return out
}

// reapStragglers waits for every process still running in e's working directory (detached notify runners,
// hooks) to finish, and kills (by pid) what is left after a while, so the temp dir can be removed.
func (e *fbEnv) reapStragglers() {
	deadline := time.Now().Add(15 * time.Second)
	for len(procsIn(e.work)) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	for pid, cmdline := range procsIn(e.work) {
		e.t.Logf("killing leftover process %d: %q", pid, cmdline)
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// follower is a running `firebreak timeline ID --follow`, which keeps the database open.
type follower struct {
	cmd    *exec.Cmd
	done   chan error
	exited atomic.Bool // the process has been waited for (cmd.ProcessState is the waiting goroutine's to read)
	lines  chan string // every line it prints after the first (buffered; extra lines are dropped)
}

// startFollow starts `timeline ID --follow` (through sh, so a umask can be set first) and returns once it
// has printed the first event, so the database is open.
func (e *fbEnv) startFollow(id, umask string, extra ...string) *follower {
	e.t.Helper()
	args := append([]string{"-c", "umask " + umask + " && exec \"$0\" \"$@\"", fbBin, "timeline", id, "--json", "--follow"}, extra...)
	cmd := exec.Command("sh", args...)
	cmd.Dir, cmd.Env = e.work, e.environ()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	f := &follower{cmd: cmd, done: make(chan error, 1), lines: make(chan string, 1000)}
	first := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		first <- line
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				break
			}
			select {
			case f.lines <- line:
			default:
			}
		}
		err := cmd.Wait()
		f.exited.Store(true)
		f.done <- err
	}()
	e.t.Cleanup(func() { f.stop(e.t) })
	select {
	case line := <-first:
		if !strings.HasPrefix(line, `{"seq":1,`) {
			e.t.Fatalf("timeline --follow printed %q first (stderr %s)", line, stderr.String())
		}
	case <-time.After(20 * time.Second):
		e.t.Fatalf("timeline --follow printed nothing (stderr %s)", stderr.String())
	}
	return f
}

// stop interrupts the follower (it exits 0 on SIGINT) and waits for it.
func (f *follower) stop(t *testing.T) {
	if f.done == nil {
		return
	}
	if f.exited.Load() { // it ended by itself (a test stopped its database): nothing to interrupt
		<-f.done
		f.done = nil
		return
	}
	f.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-f.done:
		if err != nil {
			t.Errorf("timeline --follow after SIGINT: %v, want exit 0", err)
		}
	case <-time.After(10 * time.Second):
		f.cmd.Process.Kill()
		t.Errorf("timeline --follow did not stop on SIGINT")
		<-f.done
	}
	f.done = nil
}
