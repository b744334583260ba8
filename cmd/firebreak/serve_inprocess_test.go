package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
)

// startServeInProcess runs `firebreak serve` inside the test binary (so the race detector watches the
// sessions, which share the server's process), for people, until the test ends.
func startServeInProcess(t *testing.T, e *fbEnv, people []person, extra ...string) *bastion {
	t.Helper()
	for k, v := range e.vars {
		t.Setenv(k, v)
	}
	t.Setenv("FIREBREAK_USER", "")
	ports, err := sshtest.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	b := &bastion{t: t, e: e, port: ports[0], keys: filepath.Join(e.root, "keys"), hostKey: filepath.Join(e.root, "hostkey"),
		knownHosts: filepath.Join(e.root, "known_hosts"), logPath: filepath.Join(e.root, "serve.log")}
	b.writeKeys(people...)
	cfg := filepath.Join(e.root, "firebreak.toml")
	mustWriteFile(t, cfg, nil)
	logf, err := os.Create(b.logPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	args := append([]string{"--config", cfg, "serve", "--listen", fmt.Sprintf("127.0.0.1:%d", b.port), "--keys", b.keys, "--host-key", b.hostKey}, extra...)
	go func() { done <- run(ctx, args, strings.NewReader(""), io.Discard, logf) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("firebreak serve exited %d:\n%s", code, b.log())
			}
		case <-time.After(40 * time.Second):
			t.Errorf("firebreak serve did not stop within 40s:\n%s", b.log())
		}
		logf.Close()
	})
	waitFor(t, "firebreak serve to listen", 20*time.Second, func() bool { return strings.Contains(b.log(), "listening on") })
	pub := strings.TrimSpace(string(mustReadFile(t, b.hostKey+".pub")))
	mustWriteFile(t, b.knownHosts, []byte(fmt.Sprintf("[127.0.0.1]:%d %s\n", b.port, pub)))
	return b
}

// pipedConsole is a console over SSH whose terminal is a pipe (ssh -tt): what it draws is read as a
// stream, keys are written to it.
type pipedConsole struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	mu    sync.Mutex
	seen  strings.Builder // everything drawn, control sequences removed
	watch map[string]chan struct{}
	done  chan struct{}

	authed chan struct{} // closed at authAt
	authAt time.Time
}

// openPipedConsole starts `ssh -tt` as p: a terminal on the server's side although the client's side is a
// pipe (OpenSSH then asks for a terminal of 80×24), which answers the console's question about its
// background as a terminal does.
//
// With timed, ssh logs its progress (LogLevel=VERBOSE) and authAt is when it reported the handshake and the
// authentication done ("Authenticated to"): the moment a person waits for the console from.
func (b *bastion) openPipedConsole(ctx context.Context, p person, timed bool) (*pipedConsole, error) {
	argv := b.sshArgs(p, true)
	argv = append(argv[:len(argv)-1], "-t", argv[len(argv)-1]) // -tt: a terminal although stdin is a pipe
	if timed {
		for i, a := range argv {
			if a == "LogLevel=ERROR" {
				argv[i] = "LogLevel=VERBOSE"
			}
		}
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(b.e.environ(), "TERM=xterm-256color")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c := &pipedConsole{cmd: cmd, in: in, watch: map[string]chan struct{}{}, done: make(chan struct{}), authed: make(chan struct{})}
	var errOut io.ReadCloser
	if timed {
		if errOut, err = cmd.StderrPipe(); err != nil {
			return nil, err
		}
	} else {
		cmd.Stderr = cmd.Stdout
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if timed {
		go func() {
			sc := bufio.NewScanner(errOut)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "Authenticated to") {
					c.authAt = time.Now()
					close(c.authed)
				}
			}
		}()
	}
	go func() {
		defer close(c.done)
		r := bufio.NewReaderSize(out, 64<<10)
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 && strings.Contains(string(buf[:n]), "\x1b]11;?") {
				// Answer as a terminal with a black background does.
				in.Write([]byte("\x1b]11;rgb:0000/0000/0000\x07\x1b[?62;22c"))
			}
			if n > 0 {
				c.mu.Lock()
				c.seen.WriteString(ansi.Strip(string(buf[:n])))
				s := c.seen.String()
				for text, ch := range c.watch {
					if strings.Contains(s, text) {
						close(ch)
						delete(c.watch, text)
					}
				}
				if c.seen.Len() > 1<<20 { // keep the tail: what is watched for is new
					tail := s[len(s)-64<<10:]
					c.seen.Reset()
					c.seen.WriteString(tail)
				}
				c.mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	return c, nil
}

// when returns a channel closed once text has been drawn, now or since the last call of when: what was
// drawn before it is forgotten.
func (c *pipedConsole) when(text string) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	if strings.Contains(c.seen.String(), text) {
		close(ch)
	} else {
		c.watch[text] = ch
	}
	c.seen.Reset()
	return ch
}

func (c *pipedConsole) screen() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen.String()
}

func (c *pipedConsole) close() {
	c.in.Write([]byte("q"))
	c.in.Close()
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-c.done
	}
	c.cmd.Wait()
}

// TestServeSessionsInOneProcess: consoles and commands of several people at once, in the server's own
// process under the race detector: each console sees the others' notes, each note is its author's.
func TestServeSessionsInOneProcess(t *testing.T) {
	e, alice, bob, _ := servedWorld(t)
	b := startServeInProcess(t, e, []person{alice, bob})
	inc := strings.TrimSpace(b.sshOK(alice, "declare", "in one process", "--sev", "2"))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var consoles []*pipedConsole
	// More consoles than SQLite's pool has readers: they share the server's change feed (feedHub).
	for _, p := range []person{alice, bob, alice, bob, alice, bob} {
		c, err := b.openPipedConsole(ctx, p, false)
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		consoles = append(consoles, c)
	}
	for i, c := range consoles {
		select {
		case <-c.when("in one process"):
		case <-time.After(20 * time.Second):
			t.Fatalf("console %d shows no list:\n%s\nserver log:\n%s", i, c.screen(), b.log())
		}
	}
	// Open the incident and its timeline in every console, then notes from both people at once.
	for _, c := range consoles {
		c.in.Write([]byte("\r"))
	}
	time.Sleep(300 * time.Millisecond)
	for _, c := range consoles {
		c.in.Write([]byte("\t"))
	}
	time.Sleep(300 * time.Millisecond)
	var seen []<-chan struct{}
	for _, c := range consoles {
		seen = append(seen, c.when("note 7 from bob"))
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		p := alice
		if i%2 == 1 {
			p = bob
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.sshOK(p, "note", inc, fmt.Sprintf("note %d from %s", i, p.name))
		}()
	}
	wg.Wait()
	for i, ch := range seen {
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("console %d does not show the last note:\n%s", i, consoles[i].screen())
		}
	}
	for _, ev := range e.timeline(inc) {
		if ev.Kind != "note" {
			continue
		}
		want := alice.actor()
		if strings.HasSuffix(ev.Text, "bob") {
			want = bob.actor()
		}
		if ev.Actor != want {
			t.Errorf("%q by %q, want %q", ev.Text, ev.Actor, want)
		}
	}
}
