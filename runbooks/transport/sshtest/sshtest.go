// Package sshtest starts real OpenSSH sshd processes on 127.0.0.1 for tests: a throwaway fleet with its own
// host key, client key, known_hosts and Ansible INI inventory, stopped when the test ends. It works as root
// and as an ordinary user (who can then only log in as themselves, which is what the tests do).
package sshtest

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/firebreak/firebreak/runbooks/inventory"
)

// SSHD is the sshd binary the tests run; CI installs openssh-server.
var SSHD = "/usr/sbin/sshd"

// portsPerSSHD is how many ports one sshd serves (OpenSSH listens on at most 16 sockets).
const portsPerSSHD = 16

// Host is one fake host: a port on 127.0.0.1 served by sshd, which sets FIREBREAK_SSHTEST_HOST=Name in
// every session so scripts can tell hosts apart.
type Host struct {
	Name string // host01, host02, ...
	Addr string // 127.0.0.1
	Port int
	User string
	Key  string // the client's private key file
}

// Fleet is a running set of hosts.
type Fleet struct {
	Dir        string
	Hosts      []Host
	User       string
	UserKey    string        // client private key (unencrypted ed25519)
	HostKey    ssh.PublicKey // every host presents this key
	KnownHosts string        // known_hosts trusting HostKey for every host
	Inventory  string        // Ansible INI: group hosts, each with ansible_host/port/user/key and known_hosts in ansible_ssh_common_args
	SSHConfig  string        // ssh_config with a Host block per host (UserKnownHostsFile set)
	procs      []*exec.Cmd
	extra      string
}

// Options adjust a fleet.
type Options struct {
	// SSHDConfig is added to every sshd_config (before the per-port Match blocks), e.g. "AllowTcpForwarding no".
	SSHDConfig string
	// HostCert, when set, is given the fleet's host key and returns the certificate sshd presents with it
	// (HostCertificate): the test signs it with whatever CA, principals and validity it is testing.
	HostCert func(hostKey ssh.PublicKey) (*ssh.Certificate, error)
	// UserCA, when set, is trusted to sign user certificates (TrustedUserCAKeys), and the fleet's user key
	// is left out of authorized_keys: only a certificate logs in.
	UserCA ssh.PublicKey
}

// Start starts n hosts and stops them when t ends. It fails (never skips) when sshd is missing.
func Start(t testing.TB, n int) *Fleet {
	t.Helper()
	return StartWith(t, n, Options{})
}

// StartWith is Start with options.
func StartWith(t testing.TB, n int, opt Options) *Fleet {
	t.Helper()
	f, err := start(t.TempDir(), n, opt)
	if f != nil {
		t.Cleanup(f.Stop)
	}
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	return f
}

func start(dir string, n int, opt Options) (*Fleet, error) {
	if _, err := os.Stat(SSHD); err != nil {
		return nil, fmt.Errorf("sshd not found at %s: install openssh-server (apt-get install openssh-server)", SSHD)
	}
	u, err := user.Current()
	if err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		_ = os.MkdirAll("/run/sshd", 0o755) // privilege separation directory sshd wants as root
	}
	f := &Fleet{Dir: dir, User: u.Username, extra: opt.SSHDConfig}
	hostPub, err := writeKey(filepath.Join(dir, "hostkey"), "sshtest-host")
	if err != nil {
		return nil, err
	}
	f.HostKey = hostPub
	if opt.HostCert != nil {
		cert, err := opt.HostCert(hostPub)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "hostkey-cert.pub"), ssh.MarshalAuthorizedKey(cert), 0o644); err != nil {
			return nil, err
		}
		f.extra += fmt.Sprintf("\nHostCertificate %s\n", filepath.Join(dir, "hostkey-cert.pub"))
	}
	userPub, err := writeKey(filepath.Join(dir, "userkey"), "sshtest-user")
	if err != nil {
		return nil, err
	}
	f.UserKey = filepath.Join(dir, "userkey")
	authorized := ssh.MarshalAuthorizedKey(userPub)
	if opt.UserCA != nil {
		authorized = nil
		if err := os.WriteFile(filepath.Join(dir, "user_ca.pub"), ssh.MarshalAuthorizedKey(opt.UserCA), 0o644); err != nil {
			return nil, err
		}
		f.extra += fmt.Sprintf("\nTrustedUserCAKeys %s\n", filepath.Join(dir, "user_ca.pub"))
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), authorized, 0o600); err != nil {
		return nil, err
	}
	var known, inv, cfg strings.Builder
	inv.WriteString("[hosts]\n")
	for i := 0; i < n; i += portsPerSSHD {
		m := min(portsPerSSHD, n-i)
		var err error
		for attempt := 0; attempt < 5; attempt++ {
			var ports []int
			if ports, err = FreePorts(m); err != nil {
				return f, err
			}
			var cmd *exec.Cmd
			if cmd, err = f.startSSHD(i/portsPerSSHD, i, ports); err == nil {
				f.procs = append(f.procs, cmd)
				for j, p := range ports {
					f.Hosts = append(f.Hosts, Host{Name: fmt.Sprintf("host%02d", i+j+1), Addr: "127.0.0.1", Port: p, User: u.Username, Key: f.UserKey})
				}
				break
			}
		}
		if err != nil {
			return f, err
		}
	}
	for _, h := range f.Hosts {
		fmt.Fprintf(&known, "[127.0.0.1]:%d %s", h.Port, ssh.MarshalAuthorizedKey(hostPub))
		fmt.Fprintf(&inv, "%s ansible_host=127.0.0.1 ansible_port=%d ansible_user=%s ansible_ssh_private_key_file=%s ansible_ssh_common_args='-o UserKnownHostsFile=%s'\n",
			h.Name, h.Port, h.User, h.Key, filepath.Join(dir, "known_hosts"))
		fmt.Fprintf(&cfg, "Host %s\n  HostName 127.0.0.1\n  Port %d\n  User %s\n  IdentityFile %s\n  UserKnownHostsFile %s\n\n", h.Name, h.Port, h.User, h.Key, filepath.Join(dir, "known_hosts"))
	}
	f.KnownHosts = filepath.Join(dir, "known_hosts")
	f.Inventory = filepath.Join(dir, "inventory.ini")
	f.SSHConfig = filepath.Join(dir, "ssh_config")
	for p, s := range map[string]string{f.KnownHosts: known.String(), f.Inventory: inv.String(), f.SSHConfig: cfg.String()} {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			return f, err
		}
	}
	return f, nil
}

// startSSHD runs one sshd in the foreground for ports and waits until every port answers with a banner.
func (f *Fleet) startSSHD(idx, first int, ports []int) (*exec.Cmd, error) {
	var c strings.Builder
	for _, p := range ports {
		fmt.Fprintf(&c, "Port %d\n", p)
	}
	fmt.Fprintf(&c, "ListenAddress 127.0.0.1\nHostKey %s\nAuthorizedKeysFile %s\nPidFile none\n", filepath.Join(f.Dir, "hostkey"), filepath.Join(f.Dir, "authorized_keys"))
	c.WriteString("PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\nUsePAM no\nStrictModes no\n")
	c.WriteString("PermitRootLogin prohibit-password\nMaxStartups 1000\nMaxSessions 100\nLogLevel ERROR\nPrintMotd no\nPrintLastLog no\n")
	if f.extra != "" {
		c.WriteString(strings.TrimSpace(f.extra) + "\n")
	}
	for j, p := range ports {
		fmt.Fprintf(&c, "Match LocalPort %d\n  SetEnv FIREBREAK_SSHTEST_HOST=host%02d\n", p, first+j+1)
	}
	conf := filepath.Join(f.Dir, fmt.Sprintf("sshd_config.%d", idx))
	if err := os.WriteFile(conf, []byte(c.String()), 0o600); err != nil {
		return nil, err
	}
	logf := filepath.Join(f.Dir, fmt.Sprintf("sshd.%d.log", idx))
	cmd := exec.Command(SSHD, "-D", "-f", conf, "-E", logf)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting sshd: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for _, p := range ports {
		for {
			if Banner(p) {
				break
			}
			select {
			case <-exited:
				log, _ := os.ReadFile(logf)
				return nil, fmt.Errorf("sshd exited: %s", strings.TrimSpace(string(log)))
			default:
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				log, _ := os.ReadFile(logf)
				return nil, fmt.Errorf("sshd did not answer on port %d: %s", p, log)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return cmd, nil
}

// Banner reports whether an SSH server answers on 127.0.0.1:port with its version line.
func Banner(port int) bool {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "SSH-2.0-")
}

// LoadInventory loads the fleet's INI inventory (no ssh_config), every host resolved for connecting.
func (f *Fleet) LoadInventory(t testing.TB) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.Load([]string{f.Inventory}, inventory.Options{SSHConfig: []string{}, Home: f.Dir})
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	return inv
}

// InventoryHost returns host i (0-based) resolved for connecting.
func (f *Fleet) InventoryHost(t testing.TB, i int) *inventory.Host {
	t.Helper()
	h, ok := f.LoadInventory(t).Host(f.Hosts[i].Name)
	if !ok {
		t.Fatalf("sshtest: no host %s", f.Hosts[i].Name)
	}
	return h
}

// Stop kills the sshd processes. Start registers it with t.Cleanup.
func (f *Fleet) Stop() {
	for _, c := range f.procs {
		c.Process.Kill()
	}
	f.procs = nil
}

// FreePorts finds n free TCP ports on 127.0.0.1.
func FreePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// writeKey writes a new unencrypted ed25519 private key in OpenSSH format (0600) and its .pub.
func writeKey(path, comment string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return sp, os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(sp), 0o644)
}

// WriteKey creates another unencrypted ed25519 key pair at path (for tests that need a second key).
func WriteKey(path string) (ssh.PublicKey, error) { return writeKey(path, "sshtest") }

// WriteKeyComment is WriteKey with a comment of your choice in the key.
func WriteKeyComment(path, comment string) (ssh.PublicKey, error) { return writeKey(path, comment) }
