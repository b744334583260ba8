package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/ui"
	"github.com/firebreak/firebreak/ui/deps"
	"github.com/firebreak/firebreak/ui/styles"
)

// Sessions run in the server's process, each as an app of its own (its identity, its terminal, its notify
// queue), sharing the server's database, config and reaper. A child process per session would isolate
// more, but it would have to be told who the person is through something a local user could set too
// (an environment variable, a flag: exactly the --as problem this replaces), and each would cost a whole
// firebreak's memory (tens of MB) where a session in the server costs a few. What is process-wide stays
// the server's: its environment (the runs' SSH agent and known_hosts), its signal handling and memory
// limit (serveRun lifts the limit once, with allowDrain), and nothing in a session reads the environment
// for who is acting (setupServed).

// server is firebreak serve's state: the keys, and the sessions open now.
type server struct {
	app  *app
	keys *keyring
	log  *serveLog
	idle time.Duration
	db   store.Store

	mu       sync.Mutex
	sessions map[*liveSession]struct{}
	wg       sync.WaitGroup
}

// liveSession is one SSH session being served.
type liveSession struct {
	sess      ssh.Session
	who       servedKey
	start     time.Time // when the session opened, just after the handshake and the key's authentication
	cancel    context.CancelCauseFunc
	ending    sync.Once
	lastInput atomic.Int64 // unix nanoseconds of the last key typed
	runs      atomic.Int32 // runs this session's console drives now
}

// end ends the session: its console quits, its command is cancelled (a run records its hosts as
// cancelled), and a command still reading its input a few seconds later loses the connection. It reports
// whether this call ended it (false: it was ending already).
func (ls *liveSession) end(why error) (first bool) {
	ls.ending.Do(func() {
		first = true
		ls.cancel(why)
		time.AfterFunc(5*time.Second, func() { ls.sess.Close() })
	})
	return first
}

// termQueryLimit is how long a console waits for its terminal to say what its background is: every
// terminal answers at once (the limit is for the odd one that does not).
const termQueryLimit = 500 * time.Millisecond

// handle is the server's only middleware: it serves one session from its start to its end.
func (srv *server) handle(ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		start := time.Now()
		pub := sess.PublicKey()
		if pub == nil {
			wish.Fatalln(sess, "firebreak: connect with an SSH key that is in the server's keys file")
			return
		}
		who, ok := srv.keys.lookup(pub)
		if !ok { // removed between the handshake and now
			wish.Fatalln(sess, "firebreak: your key is no longer in the server's keys file")
			return
		}
		ctx, cancel := context.WithCancelCause(sess.Context())
		ls := &liveSession{sess: sess, who: who, start: start, cancel: cancel}
		ls.lastInput.Store(time.Now().UnixNano())
		if !srv.add(ls) {
			cancel(errors.New("the server is stopping"))
			wish.Fatalln(sess, "firebreak: the server is stopping")
			return
		}
		defer srv.remove(ls)
		what := "console"
		if len(sess.Command()) > 0 {
			what = "command " + commandName(sess.Command())
		}
		srv.log.printf("session start: %s (key %s) from %s: %s", who.Person, who.Fingerprint, sess.RemoteAddr(), what)
		code := srv.serve(ctx, ls)
		why := "ended"
		if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil && !errors.Is(cause, context.Canceled) {
			why = "ended: " + cause.Error()
			fmt.Fprintf(sess.Stderr(), "\r\nfirebreak: session %s\r\n", why)
		}
		cancel(nil)
		srv.log.printf("session %s: %s (key %s) from %s: %s, exit %d, after %s", why, who.Person, who.Fingerprint, sess.RemoteAddr(), what, code, time.Since(start).Round(time.Millisecond))
		sess.Exit(code)
	}
}

// serve runs the session's command, or its console, as the key's person, and returns the exit status.
func (srv *server) serve(ctx context.Context, ls *liveSession) int {
	sess := ls.sess
	a := &app{stdin: sess, stdout: sess, stderr: sess.Stderr(),
		served: &servedAs{actor: incident.KeyActor(ls.who.Fingerprint, ls.who.Person), server: srv.app, db: srv.db}}
	args := sess.Command()
	_, winch, isPty := sess.Pty()
	if len(args) > 0 || !isPty {
		// A command (or no terminal: runApp prints the open incidents, as a local firebreak does in a pipe).
		// It reads stdin until the client closes it (ssh -n, or the end of a redirected file).
		return runApp(ctx, a, args)
	}
	// The console: one bubbletea program on the session's terminal, styled for it (its colour profile
	// and background, its NO_COLOR), sized by it and following its resizes. wish's bubbletea middleware
	// would own the program's Run; the session owns it here, because the runs the console started must be
	// waited for (cmdConsole) before the session ends.
	in := newSessionInput(ctx, sess, &ls.lastInput)
	dark, _ := termBackground(sess, in, termQueryLimit)
	env := sess.Environ()
	r := sessionRenderer(sess, env, dark)
	st := styles.NewFor(r, sessionEnv(env).Getenv("NO_COLOR") != "")
	if srv.idle > 0 {
		go srv.watchIdle(ctx, ls)
	}
	a.showConsole = func(ctx context.Context, d deps.Deps, o ui.Options) error {
		o.Styles, o.GlamourStyle = st, st.Markdown
		o.Started = ls.start
		o.FirstFrame = func(d time.Duration) {
			srv.log.printf("first frame for %s (key %s) %.1f ms after the session opened", ls.who.Person, ls.who.Fingerprint, ms(d))
		}
		newEngine := d.NewEngine
		d.NewEngine = func(inc *incident.Incident, watch func(rollout.Update), ask func(context.Context, rollout.Pause) rollout.Choice) (*rollout.Engine, func(), error) {
			eng, done, err := newEngine(inc, watch, ask)
			if err != nil {
				return nil, nil, err
			}
			ls.runs.Add(1)
			return eng, func() { done(); ls.runs.Add(-1) }, nil
		}
		started := func(p *tea.Program) {
			go func() {
				for {
					select {
					case <-ctx.Done():
						return
					case w, ok := <-winch:
						if !ok {
							return
						}
						// A client without a terminal of its own (ssh -tt from a pipe) says 0×0: the
						// console draws for 80×24, the size a terminal has when nothing says otherwise.
						if w.Width <= 0 || w.Height <= 0 {
							w.Width, w.Height = 80, 24
						}
						p.Send(tea.WindowSizeMsg{Width: w.Width, Height: w.Height})
					}
				}
			}()
		}
		// No signal handler: signals are the server's (a SIGTERM ends every session through its
		// context), and a handler per program would race the server's for them.
		return ui.RunProgram(ctx, d, o, started, tea.WithInput(in), tea.WithOutput(sess), tea.WithoutSignalHandler())
	}
	return runApp(ctx, a, nil)
}

// commandName is the command a command line runs ("retro set"), for the log: never its arguments, which
// can hold a secret (--var TOKEN=...) or a note's text.
func commandName(args []string) string {
	c, _, err := newRootCmd(&app{}).Find(args)
	if err != nil || c == nil || !c.HasParent() {
		return "(not a command)"
	}
	return strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ")
}

// noEditor is why a served console opens no editor, or "" when it may.
func (a *app) noEditor() string {
	if a.served == nil {
		return ""
	}
	return "no editor over SSH: it would run on the server, as its account, outside the record; run an ad-hoc command with firebreak run ID --command CMD"
}

// watchIdle ends a console nobody typed in for srv.idle, unless a run it started goes on: a run's
// driver is its console, and ending it would stop the run.
func (srv *server) watchIdle(ctx context.Context, ls *liveSession) {
	tick := time.NewTicker(min(srv.idle/4, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			since := time.Since(time.Unix(0, ls.lastInput.Load()))
			if since >= srv.idle && ls.runs.Load() == 0 {
				ls.end(fmt.Errorf("nothing typed for %s (the server's --idle)", srv.idle))
				return
			}
		}
	}
}

func (srv *server) add(ls *liveSession) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.sessions == nil {
		return false
	}
	srv.sessions[ls] = struct{}{}
	srv.wg.Add(1)
	return true
}

func (srv *server) remove(ls *liveSession) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	delete(srv.sessions, ls)
	srv.wg.Done()
}

// watchKeys looks at the keys file as often as keyring does and ends the sessions of keys removed (or
// given to someone else) since they connected. It returns the func that stops it.
func (srv *server) watchKeys() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(keyringRecheck)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			srv.mu.Lock()
			open := make([]*liveSession, 0, len(srv.sessions))
			for ls := range srv.sessions {
				open = append(open, ls)
			}
			srv.mu.Unlock()
			for _, ls := range open {
				if !srv.keys.still(ls.sess.PublicKey(), ls.who) && ls.end(errors.New("your key was removed from the server's keys file")) {
					srv.log.printf("ending the session of %s (key %s) from %s: the key is no longer theirs in the keys file", ls.who.Person, ls.who.Fingerprint, ls.sess.RemoteAddr())
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// endAll ends every open session and lets no new one start.
func (srv *server) endAll(why error) {
	srv.mu.Lock()
	open := srv.sessions
	srv.sessions = nil
	srv.mu.Unlock()
	for ls := range open {
		ls.end(why)
	}
}

// wait waits for the sessions to finish (their runs recorded), at most limit.
func (srv *server) wait(limit time.Duration) {
	done := make(chan struct{})
	go func() { srv.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		srv.log.printf("stopped with sessions still finishing after %s", limit)
	}
}
