package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
)

// collect is a Sink that keeps output for assertions.
type collect struct {
	mu       sync.Mutex
	out, err strings.Builder
	lines    chan string
}

type streamBuf struct {
	c *collect
	s output.Stream
}

func (w streamBuf) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	if w.s == output.Stderr {
		w.c.err.Write(p)
	} else {
		w.c.out.Write(p)
	}
	if w.c.lines != nil {
		select {
		case w.c.lines <- string(p):
		default:
		}
	}
	return len(p), nil
}

func (c *collect) Writer(s output.Stream) io.Writer { return streamBuf{c, s} }

// transports returns the local transport and an SSH transport to a real sshd, to run the same cases on both.
func transports(t *testing.T) map[string]Transport {
	f := sshtest.Start(t, 1)
	pool := NewPool(Config{ConnectTimeout: 5 * time.Second, AgentSocket: "none"})
	t.Cleanup(func() { pool.Close() })
	return map[string]Transport{"local": NewLocal(), "ssh": pool.For(f.InventoryHost(t, 0))}
}

func TestRunExitCodesOutputEnv(t *testing.T) {
	script := `echo "out: $GREETING"; echo "err line" >&2
cat <<'EOF2'
it's a "quoted" $HOME-free heredoc
EOF2
[ -t 0 ] || read -r x || echo "stdin is empty"
exit $CODE`
	for name, tr := range transports(t) {
		for _, code := range []int{0, 3} {
			c := &collect{}
			res, err := tr.Run(context.Background(), Command{Script: script, Env: map[string]string{
				"GREETING": `it's "quoted" $(not run) \ back`, "CODE": strconv.Itoa(code)}}, c)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if res.ExitCode != code || res.TimedOut || res.Cancelled {
				t.Errorf("%s: result %+v, want exit %d", name, res, code)
			}
			want := "out: it's \"quoted\" $(not run) \\ back\nit's a \"quoted\" $HOME-free heredoc\nstdin is empty\n"
			if c.out.String() != want || c.err.String() != "err line\n" {
				t.Errorf("%s: stdout %q stderr %q", name, c.out.String(), c.err.String())
			}
		}
	}
}

func TestRunRejectsBadEnvName(t *testing.T) {
	if _, err := NewLocal().Run(context.Background(), Command{Script: "true", Env: map[string]string{"A B": "x"}}, nil); err == nil {
		t.Error("want an error for an invalid variable name")
	}
}

// TestTimeoutAndCancelKillOnHost proves a timed-out or cancelled command is gone from the host, with the
// background child it started, not just abandoned.
func TestTimeoutAndCancelKillOnHost(t *testing.T) {
	for name, tr := range transports(t) {
		for _, mode := range []string{"timeout", "cancel"} {
			dir := t.TempDir()
			script := fmt.Sprintf(`echo $$ > %[1]s/pid; sleep 1000 & echo $! > %[1]s/child; echo started; wait`, dir)
			ctx, cancel := context.WithCancel(context.Background())
			cmd := Command{Script: script}
			c := &collect{lines: make(chan string, 16)}
			if mode == "timeout" {
				// Long enough for the script to start and write its pids on a loaded machine (a second was
				// not: the timeout then killed it before it wrote them), short enough to test the timeout.
				cmd.Timeout = 3 * time.Second
			} else {
				go func() {
					<-c.lines
					cancel()
				}()
			}
			start := time.Now()
			res, err := tr.Run(ctx, cmd, c)
			cancel()
			if err != nil {
				t.Fatalf("%s %s: %v", name, mode, err)
			}
			if (mode == "timeout") != res.TimedOut || (mode == "cancel") != res.Cancelled || res.KillErr != nil {
				t.Errorf("%s %s: result %+v", name, mode, res)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("%s %s: took %s", name, mode, d)
			}
			for _, f := range []string{"pid", "child"} {
				b, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatalf("%s %s: %v", name, mode, err)
				}
				pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
				if !gone(pid) {
					t.Errorf("%s %s: process %s %d still runs on the host", name, mode, f, pid)
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
	}
}

// TestCancelKillsWhatIgnoresTerm proves the wrapper's watcher escalates: a script that ignores SIGTERM
// gets KillGrace to end, then SIGKILL, with its children. It also proves the watcher's pause between
// checks pauses (the processes outlive the SIGTERM by most of the grace) rather than spinning through
// its checks and killing at once.
func TestCancelKillsWhatIgnoresTerm(t *testing.T) {
	for name, tr := range transports(t) {
		dir := t.TempDir()
		script := fmt.Sprintf(`trap '' TERM; echo $$ > %[1]s/pid; sleep 1000 & echo $! > %[1]s/child; echo started; wait`, dir)
		ctx, cancel := context.WithCancel(context.Background())
		c := &collect{lines: make(chan string, 16)}
		var cancelled time.Time
		go func() {
			<-c.lines
			cancelled = time.Now()
			cancel()
		}()
		res, err := tr.Run(ctx, Command{Script: script}, c)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !res.Cancelled || res.KillErr != nil {
			t.Errorf("%s: result %+v", name, res)
		}
		var pids []int
		for _, f := range []string{"pid", "child"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			pids = append(pids, pid)
		}
		for _, pid := range pids {
			if !gone(pid) {
				t.Errorf("%s: process %d ignored SIGTERM and still runs on the host", name, pid)
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		// Run returns when the script's group is gone: after the grace, not before most of it.
		if d := time.Since(cancelled); d < KillGrace*3/4 || d > KillGrace+5*time.Second {
			t.Errorf("%s: the processes that ignore SIGTERM were gone %v after the cancel, want about KillGrace (%v)", name, d, KillGrace)
		}
	}
}

// gone waits a little for a killed process to be reaped, then reports whether it no longer exists.
func gone(pid int) bool {
	for i := 0; i < 50; i++ {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && strings.Contains(string(b), ") Z ") {
			return true // a zombie waiting for its parent: not running
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func TestOneConnectionPerHost(t *testing.T) {
	f := sshtest.Start(t, 2)
	pool := NewPool(Config{AgentSocket: "none"})
	defer pool.Close()
	inv := f.LoadInventory(t)
	var wg sync.WaitGroup
	for _, h := range inv.Hosts() {
		for i := 0; i < 5; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &collect{}
				res, err := pool.For(h).Run(context.Background(), Command{Script: "echo $FIREBREAK_SSHTEST_HOST"}, c)
				if err != nil || res.ExitCode != 0 || strings.TrimSpace(c.out.String()) != h.Name {
					t.Errorf("%s: %v %+v %q", h.Name, err, res, c.out.String())
				}
			}()
		}
	}
	wg.Wait()
	if n := len(pool.conns); n != 2 {
		t.Errorf("%d connections for 2 hosts", n)
	}
}

func TestUnreachableHost(t *testing.T) {
	ports := freePort(t)
	h := &inventory.Host{Name: "gone", Addr: "127.0.0.1", Port: ports, User: "x"}
	pool := NewPool(Config{ConnectTimeout: 2 * time.Second, AgentSocket: "none"})
	defer pool.Close()
	k := filepath.Join(t.TempDir(), "k")
	if _, err := sshtest.WriteKey(k); err != nil {
		t.Fatal(err)
	}
	h.IdentityFiles = []string{k}
	_, err := pool.For(h).Run(context.Background(), Command{Script: "true"}, nil)
	var ce *ConnectError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("err = %v, want a ConnectError saying connection refused", err)
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return p
}

// TestProgramArrivesExactly proves the program bash evals is byte for byte what was sent: every byte value
// but NUL, a multibyte character, trailing newlines, in a UTF-8 locale (where bash's read builtin would drop
// \x01 without LC_ALL=C), on both transports. The script prints the program back from the wrapper's variable.
func TestProgramArrivesExactly(t *testing.T) {
	t.Setenv("LC_ALL", "C.UTF-8") // the local bash inherits it
	var payload strings.Builder
	for b := 1; b < 256; b++ {
		payload.WriteByte(byte(b))
	}
	payload.WriteString("é\n\n\n")
	cmd := Command{Script: `printf '%s' "$__fb"; exit 0` + "\n# " + payload.String(), Env: map[string]string{"X": payload.String()}}
	want, err := program(cmd)
	if err != nil {
		t.Fatal(err)
	}
	for name, tr := range transports(t) {
		c := &collect{}
		res, err := tr.Run(context.Background(), cmd, c)
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("%s: %v %+v stderr %q", name, err, res, c.err.String())
		}
		if got := c.out.String(); got != string(want) {
			t.Errorf("%s: program arrived as %q, want %q", name, got, want)
		}
	}
}

// Two inventory names for one address share a connection: closing one host's transport while the other
// runs a command there leaves that command running, and the last Close closes the connection.
func TestCloseKeepsASharedConnectionInUse(t *testing.T) {
	f := sshtest.Start(t, 1)
	pool := NewPool(Config{AgentSocket: "none"})
	defer pool.Close()
	a := f.InventoryHost(t, 0)
	b := *a
	b.Name = a.Name + "-alias"
	ta, tb := pool.For(a), pool.For(&b)
	started := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		c := &collect{lines: make(chan string, 4)}
		go func() { <-c.lines; close(started) }()
		res, err := ta.Run(context.Background(), Command{Script: "echo started; sleep 0.5; echo done"}, c)
		if err == nil && (res.ExitCode != 0 || !strings.Contains(c.out.String(), "done")) {
			err = fmt.Errorf("%+v %q", res, c.out.String())
		}
		errc <- err
	}()
	<-started
	if _, err := tb.Run(context.Background(), Command{Script: "true"}, nil); err != nil {
		t.Fatal(err)
	}
	tb.Close()
	if err := <-errc; err != nil {
		t.Fatalf("the other name's command: %v", err)
	}
	ta.Close()
	pool.mu.Lock()
	n := len(pool.conns)
	pool.mu.Unlock()
	if n != 0 {
		t.Errorf("%d connections left after both hosts closed", n)
	}
}
