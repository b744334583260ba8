package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// The simulated fleet: a child process (this binary with -role fleet; more than one when the open-file
// limit requires) listens on n loopback ports, one per host, and answers each as an SSH server: one ed25519 host key for every host, public-key auth with
// the one user key, "exec" runs the command with /bin/bash -c in a session of its own (setsid, as sshd
// does), stdin/stdout/stderr wired to the channel, the exit status (or signal) returned, "signal"
// delivered to the command's process group, "env" accepted. Closing the channel's stdin closes the
// command's stdin, as sshd does when the client goes away. -rtt delays every write to a connection (in
// practice every SSH packet the server sends), a stand-in for a network round trip.

// writeKey writes a fresh ed25519 private key (OpenSSH PEM) to path and its public half to path.pub.
func writeKey(path, comment string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	blk, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(blk), 0o600); err != nil {
		return nil, err
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return sp, os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(sp), 0o644)
}

// fleetProc is a running fleet: one child process, or several when one process may not hold enough
// open files (the hard RLIMIT_NOFILE, which only a privileged process raises) for its hosts' listeners
// and connections.
type fleetProc struct {
	shards []*shard
	ports  []int
}

// shard is one fleet child.
type shard struct {
	cmd    *exec.Cmd
	stdin  io.Closer
	ports  []int
	exited chan struct{}
}

// hostsPerShard is how many hosts one fleet child serves at most: each host takes a listener and a
// connection (a client may hold every connection until its run ends), a command in flight a few pipes.
func hostsPerShard() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Max > 1<<30 {
		return 1 << 30
	}
	return max(int(rl.Max)/2-2048, 100)
}

// startFleet starts a fleet of n hosts with the host key dir/hostkey and the user key userPub, and
// waits until every port listens.
func startFleet(dir string, n int, rtt time.Duration, userPub string) (*fleetProc, error) {
	k := (n + hostsPerShard() - 1) / hostsPerShard()
	f := &fleetProc{}
	for i := 0; i < k; i++ {
		m := n / k
		if i < n%k {
			m++
		}
		s, err := startShard(dir, m, rtt, userPub)
		if err != nil {
			f.stop()
			return nil, err
		}
		f.shards = append(f.shards, s)
		f.ports = append(f.ports, s.ports...)
	}
	return f, nil
}

func startShard(dir string, n int, rtt time.Duration, userPub string) (*shard, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-role", "fleet", "-dir", dir, "-n", strconv.Itoa(n), "-rtt", rtt.String(), "-user-key", userPub)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	f := &shard{cmd: cmd, stdin: stdin, exited: make(chan struct{})}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if line == "ready" {
			break
		}
		p, err := strconv.Atoi(line)
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, fmt.Errorf("fleet: unexpected line %q", line)
		}
		f.ports = append(f.ports, p)
	}
	go func() { io.Copy(io.Discard, out); cmd.Wait(); close(f.exited) }()
	if len(f.ports) != n {
		f.stop()
		return nil, fmt.Errorf("fleet: %d of %d hosts came up", len(f.ports), n)
	}
	return f, nil
}

func (f *fleetProc) stop() {
	for _, s := range f.shards {
		s.stop()
	}
	f.shards = nil
}

func (f *shard) stop() {
	f.stdin.Close() // the fleet exits when its stdin closes
	select {
	case <-f.exited:
	case <-time.After(5 * time.Second):
		f.cmd.Process.Kill()
		<-f.exited
	}
}

// cpu is the CPU time of the fleet's processes and of every command they reaped (utime, stime, cutime
// and cstime of /proc/PID/stat).
func (f *fleetProc) cpu() time.Duration {
	var ticks int64
	for _, sh := range f.shards {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", sh.cmd.Process.Pid))
		if err != nil {
			continue
		}
		s := string(b)
		fs := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // fs[0] is field 3 (state)
		for _, x := range fs[11:15] {
			n, _ := strconv.ParseInt(x, 10, 64)
			ticks += n
		}
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ is 100 on Linux
}

// sessions lists the fleet's running commands: its child processes, each the leader of its own session.
func (f *fleetProc) sessions() []int {
	var kids []int
	for _, sh := range f.shards {
		pid := sh.cmd.Process.Pid
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		for _, t := range tasks {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
			for _, x := range strings.Fields(string(b)) {
				if k, err := strconv.Atoi(x); err == nil {
					kids = append(kids, k)
				}
			}
		}
	}
	return kids
}

// waitIdle waits (up to 30 s) until the fleet runs no command.
func (f *fleetProc) waitIdle() {
	deadline := time.Now().Add(30 * time.Second)
	for len(f.sessions()) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}

// serveFleet is the fleet child: it listens on n loopback ports, prints them and "ready" on stdout, and
// serves until its stdin closes.
func serveFleet(dir string, n int, rtt time.Duration, userPubPath string) error {
	raiseNoFile(uint64(2*n + 4096))
	hb, err := os.ReadFile(filepath.Join(dir, "hostkey"))
	if err != nil {
		return err
	}
	signer, err := ssh.ParsePrivateKey(hb)
	if err != nil {
		return err
	}
	ub, err := os.ReadFile(userPubPath)
	if err != nil {
		return err
	}
	allowed, _, _, _, err := ssh.ParseAuthorizedKey(ub)
	if err != nil {
		return err
	}
	want := string(allowed.Marshal())
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if string(k.Marshal()) == want {
				return nil, nil
			}
			return nil, errors.New("key not authorized")
		},
	}
	cfg.AddHostKey(signer)
	home := filepath.Join(dir, "remote-home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	// The commands get a small clean environment and an empty HOME: no dotfiles of whoever runs the bench.
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8", "SHELL=/bin/bash"}
	for _, k := range []string{"USER", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	w := bufio.NewWriter(os.Stdout)
	lns := make([]net.Listener, 0, n)
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("listening for host %d: %w", i+1, err)
		}
		lns = append(lns, ln)
		fmt.Fprintln(w, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				if rtt > 0 {
					c = &slowConn{Conn: c, d: rtt}
				}
				go serveConn(c, cfg, env)
			}
		}()
	}
	fmt.Fprintln(w, "ready")
	if err := w.Flush(); err != nil {
		return err
	}
	io.Copy(io.Discard, os.Stdin) // until the parent closes it (or dies)
	return nil
}

// slowConn delays every write by d.
type slowConn struct {
	net.Conn
	d time.Duration
}

func (c *slowConn) Write(p []byte) (int, error) { time.Sleep(c.d); return c.Conn.Write(p) }

func serveConn(c net.Conn, cfg *ssh.ServerConfig, env []string) {
	defer c.Close()
	sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only session channels")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go serveSession(ch, creqs, env)
	}
}

var signals = map[string]syscall.Signal{"TERM": syscall.SIGTERM, "KILL": syscall.SIGKILL, "INT": syscall.SIGINT,
	"HUP": syscall.SIGHUP, "QUIT": syscall.SIGQUIT, "USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2}

// sshString reads one SSH string from the front of b.
func sshString(b []byte) (string, bool) {
	if len(b) < 4 {
		return "", false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return "", false
	}
	return string(b[4 : 4+n]), true
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func serveSession(ch ssh.Channel, reqs <-chan *ssh.Request, baseEnv []string) {
	defer ch.Close()
	var (
		mu      sync.Mutex
		cmd     *exec.Cmd
		extra   []string
		started bool
	)
	for r := range reqs {
		switch r.Type {
		case "env":
			// name, value
			if k, ok := sshString(r.Payload); ok {
				if v, ok := sshString(r.Payload[4+len(k):]); ok {
					extra = append(extra, k+"="+v)
				}
			}
			if r.WantReply {
				r.Reply(true, nil)
			}
		case "exec":
			line, ok := sshString(r.Payload)
			if started || !ok {
				r.Reply(false, nil)
				continue
			}
			started = true
			c := exec.Command("/bin/bash", "-c", line)
			c.Env = append(append([]string(nil), baseEnv...), extra...)
			c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
			c.Stdout, c.Stderr = ch, ch.Stderr()
			stdin, err := c.StdinPipe()
			if err == nil {
				err = c.Start()
			}
			if err != nil {
				logOnce("exec", err)
				r.Reply(false, nil)
				return
			}
			mu.Lock()
			cmd = c
			mu.Unlock()
			r.Reply(true, nil)
			// The client's stdin, until it closes it (then the command's stdin reaches EOF, as under sshd).
			go func() { io.Copy(stdin, ch); stdin.Close() }()
			go func() {
				err := c.Wait() // closes stdin too: the command's stdin closes once it has been reaped
				ch.CloseWrite()
				var ee *exec.ExitError
				switch {
				case err == nil:
					ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, 0))
				case errors.As(err, &ee):
					if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && signalName(ws.Signal()) != "" {
						p := appendString(nil, signalName(ws.Signal()))
						p = append(p, 0)
						p = appendString(appendString(p, ""), "")
						ch.SendRequest("exit-signal", false, p)
					} else {
						code := ee.ExitCode()
						if ok && ws.Signaled() {
							code = 128 + int(ws.Signal())
						}
						ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, uint32(code)))
					}
				default:
					ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, 255))
				}
				ch.Close()
			}()
		case "signal":
			mu.Lock()
			c := cmd
			mu.Unlock()
			if name, ok := sshString(r.Payload); ok && c != nil {
				if sig, ok := signals[name]; ok {
					syscall.Kill(-c.Process.Pid, sig)
				}
			}
			if r.WantReply {
				r.Reply(true, nil)
			}
		default:
			if r.WantReply {
				r.Reply(false, nil)
			}
		}
	}
}

// signalName is the SSH name of s ("TERM"), or "" for a signal not in signals (then the exit status says
// 128+n, as bash would).
func signalName(s syscall.Signal) string {
	for k, v := range signals {
		if v == s {
			return k
		}
	}
	return ""
}

// raiseNoFile raises the soft and hard limits on open files to at least n where the process may (root
// may raise the hard limit). Children started afterwards inherit them.
func raiseNoFile(n uint64) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return
	}
	if rl.Cur >= n && rl.Max >= n {
		return
	}
	want := rl
	want.Cur = max(rl.Cur, n)
	want.Max = max(rl.Max, n)
	if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want) == nil {
		return
	}
	want.Max = rl.Max // not allowed above the hard limit: go as far as it
	want.Cur = min(max(rl.Cur, n), rl.Max)
	syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want)
}

var logged sync.Map

// logOnce reports the first error of each kind on the fleet's stderr (the bench's).
func logOnce(what string, err error) {
	if _, dup := logged.LoadOrStore(what, true); !dup {
		fmt.Fprintf(os.Stderr, "scalebench: fleet: %s: %v (further %s errors not shown)\n", what, err, what)
	}
}
