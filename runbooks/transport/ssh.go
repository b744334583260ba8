package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/output"
)

// SSH runs commands on one host over the Pool's cached connection.
type SSH struct {
	pool *Pool
	host *inventory.Host
}

// Close closes this host's connection (its jump hosts stay open for other hosts until the Pool closes). A
// connection that another inventory name for the same address is running a command on stays open: that
// host's Close closes it.
func (t *SSH) Close() error {
	chain := chainOf(t.host)
	key := chainKey(chain)
	t.pool.mu.Lock()
	c, ok := t.pool.conns[key]
	if ok && t.pool.busy[key] > 0 {
		ok = false
	} else if ok {
		delete(t.pool.conns, key)
	}
	t.pool.mu.Unlock()
	if ok {
		<-c.ready
		if c.client != nil {
			return c.client.Close()
		}
	}
	return nil
}

// session opens a session, reconnecting once if the cached connection has died. The connection counts as
// busy until done is called.
func (t *SSH) session(ctx context.Context) (*ssh.Client, *ssh.Session, func(), error) {
	chain := chainOf(t.host)
	key := chainKey(chain)
	for attempt := 0; ; attempt++ {
		cl, err := t.pool.client(ctx, chain)
		if err != nil {
			return nil, nil, nil, err
		}
		s, err := cl.NewSession()
		if err == nil {
			t.pool.mu.Lock()
			t.pool.busy[key]++
			t.pool.mu.Unlock()
			return cl, s, func() {
				t.pool.mu.Lock()
				if t.pool.busy[key]--; t.pool.busy[key] <= 0 {
					delete(t.pool.busy, key)
				}
				t.pool.mu.Unlock()
			}, nil
		}
		t.pool.evict(chain, cl)
		if attempt > 0 {
			return nil, nil, nil, &ConnectError{Host: t.host.Name, Target: t.host.Target(), Err: fmt.Errorf("opening a session: %w", err)}
		}
	}
}

// Run runs cmd on the host. The session's stdin stays open after the program until Run returns: on cancel
// or timeout Run closes it, and the wrapper's watcher (see innerScript) kills the command's whole process
// group on the host at once, with no second session to open; the same happens by itself when this process
// dies or the connection drops. Should the command outlive that, Run kills the group through a second
// session of the same connection (closing the channel alone leaves it running).
func (t *SSH) Run(ctx context.Context, cmd Command, out output.Sink) (Result, error) {
	res := Result{ExitCode: -1}
	prog, err := program(cmd)
	if err != nil {
		return res, err
	}
	if out == nil {
		out = output.Discard
	}
	runCtx, cancel := withTimeout(ctx, cmd.Timeout)
	defer cancel()
	cl, sess, done, err := t.session(runCtx)
	if err != nil {
		if ctx.Err() == nil && runCtx.Err() != nil {
			res.TimedOut = true
			return res, nil
		}
		return res, err
	}
	defer done()
	defer sess.Close()
	pg := &pgidWriter{dst: out.Writer(output.Stdout), got: make(chan struct{})}
	sess.Stdout = pooledCopy{pg}
	sess.Stderr = pooledCopy{out.Writer(output.Stderr)}
	stdin := &heldStdin{prog: prog, release: make(chan struct{})}
	defer stdin.eof()
	sess.Stdin = stdin
	start := time.Now()
	if err := sess.Start(remoteCommand(len(prog), true, t.pool.cfg.KillGrace)); err != nil {
		return res, &ConnectError{Host: t.host.Name, Target: t.host.Target(), Err: fmt.Errorf("starting the command: %w", err)}
	}
	waited := make(chan error, 1)
	go func() { waited <- sess.Wait() }()

	var werr error
	select {
	case werr = <-waited:
	case <-runCtx.Done():
		stdin.eof() // the watcher kills the group: SIGTERM, up to KillGrace, SIGKILL
		select {
		case werr = <-waited:
		case <-time.After(t.pool.cfg.KillGrace + time.Second):
			res.KillErr = t.kill(cl, pg)
			select {
			case werr = <-waited:
			case <-time.After(5 * time.Second):
				sess.Close()
				werr = <-waited
			}
		}
		res.TimedOut, res.Cancelled = ctx.Err() == nil, ctx.Err() != nil
	}
	res.Duration = time.Since(start)
	var ee *ssh.ExitError
	var em *ssh.ExitMissingError
	switch {
	case werr == nil:
		res.ExitCode = 0
	case errors.As(werr, &ee):
		if ee.Signal() != "" {
			res.Signal = ee.Signal()
		} else {
			res.ExitCode = ee.ExitStatus()
		}
	case res.TimedOut || res.Cancelled:
	case errors.As(werr, &em):
		return res, &ConnectError{Host: t.host.Name, Target: t.host.Target(), Err: errors.New("the command ended without an exit status: the connection was lost")}
	default:
		return res, &ConnectError{Host: t.host.Name, Target: t.host.Target(), Err: fmt.Errorf("running the command: %w", werr)}
	}
	return res, nil
}

// kill ends the remote command's process group when the wrapper's watcher did not: SIGTERM, a grace
// period, then SIGKILL, run by bash in a second session of the same connection. It is the slow path: the
// session's login shell sources the user's ~/.bashrc, which on hosts with pyenv, nvm or conda costs
// hundreds of ms of CPU, so opening one per host at a halt of many hosts takes seconds.
func (t *SSH) kill(cl *ssh.Client, pg *pgidWriter) error {
	select {
	case <-pg.got:
	default:
		return errors.New("the command never reported its process group, so it could not be killed on the host")
	}
	ks, err := cl.NewSession()
	if err != nil {
		return fmt.Errorf("opening a session to kill process group %d: %w", pg.pgid, err)
	}
	defer ks.Close()
	steps := int(t.pool.cfg.KillGrace / (50 * time.Millisecond))
	g := strconv.Itoa(pg.pgid)
	script := `kill -TERM -- -` + g + ` 2>/dev/null || exit 0; i=0; while kill -0 -- -` + g + ` 2>/dev/null && [ $i -lt ` + strconv.Itoa(steps) +
		` ]; do sleep 0.05; i=$((i+1)); done; kill -KILL -- -` + g + ` 2>/dev/null; exit 0`
	var stderr bytes.Buffer
	ks.Stderr = &stderr
	if err := ks.Run(bashCommand(script)); err != nil {
		return fmt.Errorf("killing process group %d: %w %s", pg.pgid, err, stderr.String())
	}
	return nil
}

// heldStdin is the session's stdin: the program, then nothing until eof is called, then EOF. Holding the
// channel open is what arms the wrapper's dead-man's switch.
type heldStdin struct {
	prog    []byte
	release chan struct{}
	once    sync.Once
}

func (r *heldStdin) Read(p []byte) (int, error) {
	if len(r.prog) > 0 {
		n := copy(p, r.prog)
		r.prog = r.prog[n:]
		return n, nil
	}
	<-r.release
	return 0, io.EOF
}

// WriteTo writes the program, then waits for eof: the session's copy of stdin needs no buffer of its own.
func (r *heldStdin) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(r.prog)
	r.prog = r.prog[n:]
	if err != nil {
		return int64(n), err
	}
	<-r.release
	return int64(n), nil
}

// eof lets Read return EOF, which the host sees as the end of stdin.
func (r *heldStdin) eof() { r.once.Do(func() { close(r.release) }) }

// copyBufs are the buffers the sessions' output copies share: io.Copy would allocate 32 KiB per stream per
// command, about 2 GB of garbage over a run of 10,000 hosts.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// pooledCopy is a session's stdout or stderr: the session copies into it with a buffer from copyBufs.
type pooledCopy struct{ io.Writer }

func (w pooledCopy) ReadFrom(r io.Reader) (int64, error) {
	b := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(b)
	return io.CopyBuffer(struct{ io.Writer }{w.Writer}, r, *b)
}

// pgidWriter takes the first stdout line (the wrapper's process group report) and passes the rest on.
type pgidWriter struct {
	dst  io.Writer
	mu   sync.Mutex
	head []byte
	done bool
	pgid int
	got  chan struct{}
}

func (w *pgidWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	if !w.done {
		i := bytes.IndexByte(p, '\n')
		if i < 0 && len(w.head)+len(p) < 64 {
			w.head = append(w.head, p...)
			return n, nil
		}
		w.done = true
		line := append(w.head, p[:max(i, 0)]...)
		if i >= 0 && bytes.HasPrefix(line, []byte(pgidPrefix)) {
			if g, err := strconv.Atoi(string(line[len(pgidPrefix):])); err == nil && g > 1 {
				w.pgid = g
				close(w.got)
				p = p[i+1:]
				line = nil
			}
		}
		if line != nil { // not our report: pass everything through
			p = append(w.head, p...)
		}
		w.head = nil
	}
	if len(p) > 0 {
		if _, err := w.dst.Write(p); err != nil {
			return n, err
		}
	}
	return n, nil
}
