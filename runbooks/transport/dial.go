package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/firebreak/firebreak/runbooks/inventory"
)

// dial connects to the last host of chain, through the others (each hop's client dials the next).
func (p *Pool) dial(ctx context.Context, chain []*inventory.Host) (*ssh.Client, error) {
	h := chain[len(chain)-1]
	addr := net.JoinHostPort(h.Addr, strconv.Itoa(h.Port))
	fail := func(err error) error {
		var he *HostKeyError
		if errors.As(err, &he) {
			return err
		}
		return &ConnectError{Host: h.Name, Target: h.User + "@" + addr, Err: err}
	}
	known, err := p.known.index(h.KnownHostsFiles)
	if err != nil {
		return nil, fail(err)
	}
	signers, notes, err := p.keys.signers(h.IdentityFiles, h.CertificateFiles, time.Now())
	if err != nil {
		return nil, fail(err)
	}
	cfg := &ssh.ClientConfig{
		User:              h.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signers...)},
		HostKeyCallback:   known.verifier(h, time.Now),
		HostKeyAlgorithms: known.algorithms(h.Addr, h.Port, h.HostKeyAlias),
		Timeout:           p.cfg.ConnectTimeout,
		ClientVersion:     "SSH-2.0-firebreak",
	}
	var parent *ssh.Client
	if len(chain) > 1 {
		if parent, err = p.client(ctx, chain[:len(chain)-1]); err != nil {
			return nil, fail(fmt.Errorf("through jump host %s: %w", chain[len(chain)-2].Name, err))
		}
	}

	select { // bounded concurrency of handshakes
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fail(ctx.Err())
	}
	defer func() { <-p.sem }()

	dctx, cancel := context.WithTimeout(ctx, p.cfg.ConnectTimeout)
	defer cancel()
	var nc net.Conn
	if parent != nil {
		nc, err = parent.DialContext(dctx, "tcp", addr)
	} else {
		var d net.Dialer
		nc, err = d.DialContext(dctx, "tcp", addr)
	}
	if err != nil {
		return nil, fail(explainDial(err, dctx, p.cfg.ConnectTimeout))
	}
	// A server that accepts TCP and never speaks SSH must not hang us: close the socket when the connect
	// deadline (or a cancel) comes during the handshake.
	stop := context.AfterFunc(dctx, func() { nc.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(&bufferedConn{Conn: nc, r: bufio.NewReaderSize(nc, 512)}, addr, cfg)
	if !stop() {
		if sc != nil {
			sc.Close()
		}
		if ctx.Err() != nil {
			return nil, fail(ctx.Err())
		}
		return nil, fail(fmt.Errorf("no SSH answer within %s (the port accepts connections but the handshake did not finish)", p.cfg.ConnectTimeout))
	}
	if err != nil {
		nc.Close()
		return nil, fail(explainHandshake(err, h, notes))
	}
	return ssh.NewClient(sc, chans, reqs), nil
}

func explainDial(err error, ctx context.Context, timeout time.Duration) error {
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("no TCP connection within %s: %w", timeout, err)
	}
	if strings.Contains(err.Error(), "connection refused") {
		return fmt.Errorf("connection refused (is sshd running and the port right?): %w", err)
	}
	return err
}

func explainHandshake(err error, h *inventory.Host, notes []string) error {
	var he *HostKeyError
	if errors.As(err, &he) {
		return he
	}
	if strings.Contains(err.Error(), "unable to authenticate") {
		also := ""
		if len(notes) > 0 {
			also = " (not offered: " + strings.Join(notes, "; ") + ")"
		}
		return fmt.Errorf("the server refused the keys offered for user %s (identity files: %s, plus ssh-agent keys)%s: check the user and that the key is in the host's authorized_keys, or that its certificate names the user and is signed by a CA the host trusts: %w",
			h.User, listOrNone(h.IdentityFiles), also, err)
	}
	return fmt.Errorf("SSH handshake failed: %w", err)
}

// bufferedConn reads through a buffer. x/crypto/ssh reads the server's version line one byte per Read,
// a read(2) per byte (about 40 per connection); through the buffer it is one or two. After the version
// line, reads of a whole buffer or more go straight to the connection (bufio does not copy them).
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
