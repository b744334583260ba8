package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// runFloor is the floor child: a bare x/crypto/ssh client that, for every port in dir/ports at
// concurrency c, dials 127.0.0.1:port, verifies the host key against home/.ssh/known_hosts (knownhosts),
// authenticates with home/.ssh/id_ed25519, runs `true`, and closes. Any failure fails the run.
func runFloor(dir, home string, c int) error {
	f, err := os.Open(filepath.Join(dir, "ports"))
	if err != nil {
		return err
	}
	var ports []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p, err := strconv.Atoi(sc.Text())
		if err != nil {
			return err
		}
		ports = append(ports, p)
	}
	f.Close()
	kh, err := knownhosts.New(filepath.Join(home, ".ssh", "known_hosts"))
	if err != nil {
		return err
	}
	kb, err := os.ReadFile(filepath.Join(home, ".ssh", "id_ed25519"))
	if err != nil {
		return err
	}
	signer, err := ssh.ParsePrivateKey(kb)
	if err != nil {
		return err
	}
	u, err := user.Current()
	if err != nil {
		return err
	}
	cfg := &ssh.ClientConfig{User: u.Username, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: kh,
		Timeout: 30 * time.Second}
	var (
		next     atomic.Int64
		failed   atomic.Int64
		firstErr error
		once     sync.Once
		wg       sync.WaitGroup
	)
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(ports) {
					return
				}
				if err := one(net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[i])), cfg); err != nil {
					failed.Add(1)
					once.Do(func() { firstErr = err })
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("%d of %d hosts failed, the first: %v", n, len(ports), firstErr)
	}
	return nil
}

func one(addr string, cfg *ssh.ClientConfig) error {
	cl, err := ssh.Dial("tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer cl.Close()
	s, err := cl.NewSession()
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Run("true")
}
