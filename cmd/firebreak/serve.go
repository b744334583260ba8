package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/spf13/cobra"
	gossh "golang.org/x/crypto/ssh"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

// serveOptions are serve's flags.
type serveOptions struct {
	listen     string
	keys       string
	hostKey    string
	idle       time.Duration
	perMinute  int
	drainLimit time.Duration
}

func newCmdServe(a *app) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve [--listen ADDR] [--keys FILE]",
		Short: "serve the console and the commands over SSH, each responder known by their key",
		Long: `Serve listens for SSH connections and serves the console (ssh -p 2222 bastion) and the commands
(ssh -p 2222 bastion -- note INC-7 "text") to the people in the keys file, so responders need no shell
account. The keys file is in authorized_keys format with each key's person as its comment
("ssh-ed25519 AAAA... alice"); an unknown key is refused before any screen. On the timeline a person is
recorded with their key ("key SHA256:... as alice"), --as does not exist, and the two-person rule never
lets a key approve its own run. Edits of the keys file apply to the next connection; removing a key ends
its person's open sessions.

The server's host key is created on first start (mode 0600, with its .pub beside it) and kept. Runs
started over SSH reach their hosts with the server's own SSH keys, agent and known_hosts. Every session
is logged to stderr: who, key fingerprint, from where, how long. Commands that only make sense on the
server itself (serve, migrate, backup, restore, man, completion) and flags that name its files (-i,
--against, -o, runbook lint PATH) are refused over SSH.`,
		Example: `  firebreak serve --listen :2222 --keys /etc/firebreak/keys
  ssh -p 2222 bastion                         # the console, as the key's person
  ssh -p 2222 bastion -- note INC-7 "rolled back the deploy"
  ssh -p 2222 bastion -- retro set INC-7 summary - < summary.md`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return serveRun(cmd.Context(), a, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", ":2222", "the `ADDR` to listen on, host:port")
	f.StringVar(&o.keys, "keys", "", "the keys `FILE`: authorized_keys format, each key with its person's name (default firebreak/keys under $XDG_CONFIG_HOME)")
	f.StringVar(&o.hostKey, "host-key", "", "the server's host key `PATH`, created (0600) when missing (default ssh_host_ed25519_key beside the default database)")
	f.DurationVar(&o.idle, "idle", 30*time.Minute, "end a console nobody typed in for `DURATION` (never while a run it started goes on); 0 never")
	f.IntVar(&o.perMinute, "rate", 120, "accept at most `N` connections a minute from one address (bursts of N), refusing the rest before the handshake")
	return cmd
}

// serveLog is the server's log: one line per thing that happened, to stderr, with the time in UTC.
type serveLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *serveLog) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s firebreak serve: %s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), fmt.Sprintf(format, args...))
}

func serveRun(ctx context.Context, a *app, o *serveOptions) error {
	if a.global.as != "" {
		return usageErrorf("serve has no --as: each session acts as the person its key names in the keys file")
	}
	if o.perMinute < 1 {
		return usageErrorf("--rate %d: give at least 1 connection a minute", o.perMinute)
	}
	if o.idle < 0 {
		return usageErrorf("--idle %v: give a duration, or 0 to never end idle consoles", o.idle)
	}
	log := &serveLog{w: a.stderr}
	if o.keys == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return usageErrorf("no config directory for the keys file: give --keys FILE")
		}
		o.keys = filepath.Join(dir, "firebreak", "keys")
	}
	keys, err := loadKeyring(o.keys, log.printf)
	if err != nil {
		return store.Errorf(incident.ErrInvalid, "%v", err)
	}
	if n := keys.count(); n == 0 {
		log.printf("the keys file %s has no keys yet: nobody can connect until a person's key is added (`ssh-ed25519 AAAA... NAME`)", o.keys)
	}
	if o.hostKey == "" {
		dir, err := store.DataDir()
		if err != nil {
			return usageErrorf("no data directory for the host key: give --host-key PATH")
		}
		o.hostKey = filepath.Join(dir, "ssh_host_ed25519_key")
	}
	signer, created, err := hostKey(o.hostKey)
	if err != nil {
		return store.Errorf(incident.ErrInvalid, "%v", err)
	}
	db, err := a.store(ctx)
	if err != nil {
		return err
	}
	feedCtx, stopFeed := context.WithCancel(context.Background())
	defer stopFeed()
	hub, err := startFeedHub(feedCtx, db)
	if err != nil {
		return err
	}
	srv := &server{app: a, keys: keys, log: log, idle: o.idle, db: sharedStore{Store: db, hub: hub}, sessions: map[*liveSession]struct{}{}}
	host, _ := os.Hostname()
	limit := newConnLimiter(o.perMinute)
	sshSrv, err := wish.NewServer(
		wish.WithAddress(o.listen),
		// The key is ours, read or created with its mode checked (wish would otherwise write one to ./).
		func(s *ssh.Server) error { s.AddHostKey(signer); return nil },
		wish.WithBannerHandler(func(ssh.Context) string {
			return fmt.Sprintf("firebreak incident console on %s: your SSH key says who you are on the timeline\n"+
				"(a key the console does not know is refused: ask its administrators to add yours to the keys file).\n", host)
		}),
		wish.WithPublicKeyAuth(func(ctx ssh.Context, key ssh.PublicKey) bool {
			_, ok := keys.lookup(key)
			if !ok {
				log.printf("refused the key %s from %s: it is not in the keys file", gossh.FingerprintSHA256(key), ctx.RemoteAddr())
			}
			return ok
		}),
		ssh.WrapConn(func(_ ssh.Context, c net.Conn) net.Conn {
			if !limit.allow(c.RemoteAddr()) {
				log.printf("refused a connection from %s: more than %d a minute from that address (--rate)", c.RemoteAddr(), o.perMinute)
				return nil
			}
			return c
		}),
		wish.WithMiddleware(srv.handle),
	)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	sshSrv.ConnectionFailedCallback = func(c net.Conn, err error) {
		if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "no auth passed yet") {
			log.printf("connection from %s failed before a session: %v", c.RemoteAddr(), err)
		}
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return store.Errorf(incident.ErrInvalid, "--listen %s: %v: choose a free address (--listen :2222)", o.listen, errors.Unwrap(err))
	}
	how := "kept"
	if created {
		how = "created"
	}
	log.printf("listening on %s; host key %s (%s, %s); keys from %s; database %s", ln.Addr(), gossh.FingerprintSHA256(signer.PublicKey()), o.hostKey, how, o.keys, a.dbPath)
	// The runs sessions start must be able to record how they ended after a signal: like the console.
	allowDrain(30 * time.Second)
	stopWatch := srv.watchKeys()
	done := make(chan error, 1)
	go func() { done <- sshSrv.Serve(ln) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		// The sessions end first, each telling its person why (their runs record how they ended), then
		// the connections close.
		log.printf("stopping: %v", context.Cause(ctx))
		srv.endAll(errors.New("the server is stopping"))
		srv.wait(30 * time.Second)
		sshSrv.Close()
		err = <-done
	}
	stopWatch()
	srv.endAll(errors.New("the server is stopping"))
	srv.wait(30 * time.Second)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}
