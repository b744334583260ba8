// Package pgtest starts a private PostgreSQL server for tests: Debian's postgresql binaries, a cluster in a
// temp dir, listening on a free 127.0.0.1 port and a socket dir, run as an unprivileged user (initdb refuses
// root, and tests run as root here and in CI). One server per test binary, started on first use; every test
// gets a fresh database of its own.
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestX(t *testing.T) { url := pgtest.NewDatabase(t); ... }
//
// The tests are real: when the binaries are missing, NewDatabase fails the test (install the postgresql
// package), it never skips.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Superuser is the role the cluster is created with; its password is random per server.
const Superuser = "fbtest"

// Server is a running private PostgreSQL server.
type Server struct {
	dir      string // owned by the server's user: data/, sock/, server.log
	bin      string
	port     int
	password string
	cred     *syscall.Credential // nil: run as ourselves

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan error // receives the server's exit
	n      atomic.Int64
}

var (
	once     sync.Once
	shared   *Server
	startErr error
)

// Main runs the package's tests and stops the server after them: call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Shared returns the package's server, starting it on first use. It fails t when there is none to start.
func Shared(t testing.TB) *Server {
	t.Helper()
	once.Do(func() { shared, startErr = Start() })
	if startErr != nil {
		t.Fatalf("pgtest: %v", startErr)
	}
	return shared
}

// Stop stops the shared server if one was started and removes its files.
func Stop() {
	if shared != nil {
		shared.Stop()
	}
}

// NewDatabase creates a fresh database (fb_<n>) on the shared server and returns its URL, password included.
func NewDatabase(t testing.TB) string {
	t.Helper()
	s := Shared(t)
	u, err := s.NewDatabase(context.Background())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return u
}

// Binaries finds the directory of Debian's PostgreSQL server binaries (the newest version installed).
func Binaries() (string, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
		return "", errors.New("PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb): install the postgresql package (apt-get install postgresql)")
	}
	sort.Slice(matches, func(i, j int) bool { return version(matches[i]) > version(matches[j]) })
	return filepath.Dir(matches[0]), nil
}

func version(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// Start initialises a new cluster in a temp dir and starts a server on it. Stop it with Stop.
func Start() (*Server, error) {
	bin, err := Binaries()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin}
	base := ""
	if os.Geteuid() == 0 {
		// initdb refuses root: the server runs as postgres (or nobody), which must reach its directory, so it
		// lives under /tmp whatever TMPDIR says.
		uid, gid, err := serverUser()
		if err != nil {
			return nil, err
		}
		s.cred = &syscall.Credential{Uid: uid, Gid: gid}
		base = "/tmp"
	}
	if s.dir, err = os.MkdirTemp(base, "firebreak-pgtest-"); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(s.dir)
		}
	}()
	if err := os.Mkdir(filepath.Join(s.dir, "sock"), 0o700); err != nil {
		return nil, err
	}
	if s.cred != nil {
		for _, p := range []string{s.dir, filepath.Join(s.dir, "sock")} {
			if err := os.Chown(p, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
				return nil, err
			}
		}
	}
	b := make([]byte, 12)
	rand.Read(b)
	s.password = hex.EncodeToString(b)
	pwfile := filepath.Join(s.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o600); err != nil {
		return nil, err
	}
	if s.cred != nil {
		os.Chown(pwfile, int(s.cred.Uid), int(s.cred.Gid))
	}
	out, err := s.command("initdb", "-D", filepath.Join(s.dir, "data"), "-U", Superuser, "--pwfile", pwfile,
		"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-instructions").CombinedOutput()
	os.Remove(pwfile)
	if err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	if err := s.start(); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// serverUser is the unprivileged user the server runs as when we are root: postgres, else nobody.
func serverUser() (uid, gid uint32, err error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		id, _ := strconv.Atoi(u.Uid)
		g, _ := strconv.Atoi(u.Gid)
		return uint32(id), uint32(g), nil
	}
	return 0, 0, errors.New("no unprivileged user (postgres or nobody) to run the PostgreSQL server as: create one")
}

func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"}
	// The server dies with the test binary even when it is killed (SIGQUIT: immediate shutdown).
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	return cmd
}

// start starts the server, on a new free port the first time and on the same one after a restart, and
// waits until it accepts connections.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if s.port == 0 || attempt > 0 {
			p, err := freePort()
			if err != nil {
				return err
			}
			s.port = p
		}
		logPath := filepath.Join(s.dir, "server.log")
		logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		cmd := s.command("postgres", "-D", filepath.Join(s.dir, "data"), "-p", strconv.Itoa(s.port),
			"-k", filepath.Join(s.dir, "sock"), "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300",
			"-c", "shared_buffers=32MB", "-c", "logging_collector=off")
		cmd.Stdout, cmd.Stderr = logf, logf
		done := make(chan error, 1)
		started := make(chan error, 1)
		go func() {
			// Pdeathsig fires when the thread that started the child exits, not the process: this goroutine
			// keeps its thread until the server has exited.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			if err := cmd.Start(); err != nil {
				started <- err
				return
			}
			started <- nil
			done <- cmd.Wait()
		}()
		err = <-started
		logf.Close()
		if err != nil {
			return fmt.Errorf("starting postgres: %w", err)
		}
		if err := s.waitReady(done); err != nil {
			cmd.Process.Kill()
			<-done
			log, _ := os.ReadFile(logPath)
			if attempt < 3 && strings.Contains(string(log), "could not bind") { // someone took the port
				continue
			}
			return fmt.Errorf("postgres did not start: %v\n%s", err, tail(string(log), 2000))
		}
		s.cmd, s.exited = cmd, done
		return nil
	}
}

func (s *Server) waitReady(exited <-chan error) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("exited: %v", err)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// URL is the URL of database db on the server, as the superuser, password included.
func (s *Server) URL(db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(Superuser, s.password),
		Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)), Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// Password is the superuser's password (tests check it never shows).
func (s *Server) Password() string { return s.password }

// Port is the server's TCP port.
func (s *Server) Port() int { return s.port }

// SocketDir is the directory of the server's Unix socket.
func (s *Server) SocketDir() string { return filepath.Join(s.dir, "sock") }

// NewDatabase creates a fresh, empty database and returns its URL.
func (s *Server) NewDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("fb_%d", s.n.Add(1))
	if err := s.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("creating database %s: %w", name, err)
	}
	return s.URL(name), nil
}

// Exec runs SQL as the superuser in the maintenance database "postgres".
func (s *Server) Exec(ctx context.Context, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// Restart stops the server (fast shutdown: every connection is cut) and starts it again on the same port.
func (s *Server) Restart() error {
	s.stop()
	return s.start()
}

// stop shuts the server down: SIGINT (fast shutdown), then SIGKILL if it takes too long.
func (s *Server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	cmd := s.cmd
	s.cmd = nil
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
}

// Stop shuts the server down and removes its files.
func (s *Server) Stop() {
	s.stop()
	os.RemoveAll(s.dir)
}
