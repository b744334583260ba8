package transport

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/output"
)

// Config tunes a Pool. Zero values take the defaults.
type Config struct {
	// ConnectTimeout bounds TCP connect plus the SSH handshake and login, per hop (default 10s).
	ConnectTimeout time.Duration
	// MaxHandshakes bounds how many handshakes run at once (default 256). A run's --concurrency bounds them
	// first: a lower cap here would only make the run wait on round trips (at 20 ms a packet and concurrency
	// 200, a cap of 32 made a 1,000-host run take 6.5 s instead of 4.2 s); this is the backstop for very
	// wide runs.
	MaxHandshakes int
	// AgentSocket is the ssh-agent socket (default $SSH_AUTH_SOCK; "none" disables the agent).
	AgentSocket string
	// KillGrace is the time between SIGTERM and SIGKILL for a cancelled remote command (default 500ms).
	KillGrace time.Duration
}

// Pool hands out transports and keeps one SSH connection per host (and per bastion) for every command of
// a run, until the host's transport is closed. It is safe for concurrent use; Close it when the run ends.
type Pool struct {
	cfg   Config
	sem   chan struct{}
	keys  keyring
	known knownHosts

	mu     sync.Mutex
	conns  map[string]*conn
	busy   map[string]int // sessions running on a connection, by its key
	closed bool
}

// conn is one cached client; ready closes when the connect attempt has finished.
type conn struct {
	ready  chan struct{}
	client *ssh.Client
	err    error
}

// NewPool returns an empty pool.
func NewPool(cfg Config) *Pool {
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if cfg.MaxHandshakes <= 0 {
		cfg.MaxHandshakes = 256
	}
	if cfg.KillGrace <= 0 {
		cfg.KillGrace = KillGrace
	}
	if cfg.AgentSocket == "" {
		cfg.AgentSocket = os.Getenv("SSH_AUTH_SOCK")
	} else if cfg.AgentSocket == "none" {
		cfg.AgentSocket = ""
	}
	return &Pool{cfg: cfg, sem: make(chan struct{}, cfg.MaxHandshakes), keys: keyring{agentSock: cfg.AgentSocket}, conns: map[string]*conn{},
		busy: map[string]int{}}
}

// For returns the transport for a host: Local for a local host, one that refuses every command for a host
// firebreak cannot reach (see inventory.Host.Unsupported), else SSH through this pool.
func (p *Pool) For(h *inventory.Host) Transport {
	if h.Unsupported != "" {
		return refused{h}
	}
	if h.Local {
		return NewLocal()
	}
	return &SSH{pool: p, host: h}
}

// Connect opens (or reuses) the connection to h, through its jump hosts; the rollout engine can call it
// first to tell an unreachable host from a failing command.
func (p *Pool) Connect(ctx context.Context, h *inventory.Host) error {
	if h.Unsupported != "" {
		return refusedErr(h)
	}
	if h.Local {
		return nil
	}
	_, err := p.client(ctx, chainOf(h))
	return err
}

// Close closes every connection.
func (p *Pool) Close() error {
	p.mu.Lock()
	conns := p.conns
	p.conns = map[string]*conn{}
	p.closed = true
	p.mu.Unlock()
	var errs []error
	for _, c := range conns {
		<-c.ready
		if c.client != nil {
			if err := c.client.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
	}
	p.keys.close()
	return errors.Join(errs...)
}

// chainOf lists the hops to h, the bastions first and h last.
func chainOf(h *inventory.Host) []*inventory.Host {
	return append(append([]*inventory.Host(nil), h.ProxyJump...), h)
}

// chainKey names a connection by everything that makes it different.
func chainKey(chain []*inventory.Host) string {
	var b strings.Builder
	for i, h := range chain {
		if i > 0 {
			b.WriteString(" via ")
		}
		b.WriteString(h.User + "@" + h.Addr + ":" + strconv.Itoa(h.Port) + "[" + strings.Join(h.IdentityFiles, ",") + "|" + strings.Join(h.KnownHostsFiles, ",") + "]")
	}
	return b.String()
}

// client returns the cached client for the chain, connecting (once, however many callers ask) if needed.
func (p *Pool) client(ctx context.Context, chain []*inventory.Host) (*ssh.Client, error) {
	key := chainKey(chain)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("the connection pool is closed")
	}
	c, ok := p.conns[key]
	if !ok {
		c = &conn{ready: make(chan struct{})}
		p.conns[key] = c
	}
	p.mu.Unlock()
	if !ok {
		c.client, c.err = p.dial(ctx, chain)
		if c.err != nil {
			p.mu.Lock()
			if p.conns[key] == c {
				delete(p.conns, key) // let a later command try again
			}
			p.mu.Unlock()
		}
		close(c.ready)
	}
	select {
	case <-c.ready:
		return c.client, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// evict drops a cached client (after it broke, or when its transport is closed) and closes it.
func (p *Pool) evict(chain []*inventory.Host, cl *ssh.Client) {
	key := chainKey(chain)
	p.mu.Lock()
	if c, ok := p.conns[key]; ok && c.client == cl {
		delete(p.conns, key)
	}
	p.mu.Unlock()
	if cl != nil {
		cl.Close()
	}
}

// refused is the transport of a host firebreak cannot run commands on: the inventory lists it, a run
// reports it unreachable with the reason.
type refused struct{ h *inventory.Host }

func (r refused) Run(context.Context, Command, output.Sink) (Result, error) {
	return Result{ExitCode: -1}, refusedErr(r.h)
}

func (refused) Close() error { return nil }

func refusedErr(h *inventory.Host) error {
	return &ConnectError{Host: h.Name, Target: h.Target(), Err: errors.New(h.Unsupported)}
}
