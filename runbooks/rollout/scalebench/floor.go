package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
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
// concurrency c, dials 127.0.0.1:port, verifies the host key against home/.ssh/known_hosts,
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
	kh, err := indexKnownHosts(filepath.Join(home, ".ssh", "known_hosts"))
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
	return fanOut(len(ports), c, func(i int) error {
		return one(net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[i])), cfg)
	})
}

// fanOut calls do for 0..n-1 from c workers and reports how many failed, with the first error.
func fanOut(n, c int, do func(i int) error) error {
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
				if i >= n {
					return
				}
				if err := do(i); err != nil {
					failed.Add(1)
					once.Do(func() { firstErr = err })
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("%d of %d hosts failed, the first: %v", f, n, firstErr)
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

// indexKnownHosts parses a known_hosts file once (ssh.ParseKnownHosts) into a map from the address as
// known_hosts writes it (knownhosts.Normalize: "[127.0.0.1]:2222") to its keys, and returns a callback
// that accepts a host only with one of its keys. knownhosts.New checks every line for every host (0.3 ms
// per host at 10,000 lines on a small machine), which is not the floor; this is what a client that parses
// known_hosts once into an index pays. Plain host patterns only (no wildcards, hashes or markers): the
// bench writes the file itself.
func indexKnownHosts(path string) (ssh.HostKeyCallback, error) {
	rest, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	idx := map[string][][]byte{}
	for len(rest) > 0 {
		var (
			hosts []string
			key   ssh.PublicKey
		)
		_, hosts, key, _, rest, err = ssh.ParseKnownHosts(rest)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for _, h := range hosts {
			idx[h] = append(idx[h], key.Marshal())
		}
	}
	return func(hostname string, _ net.Addr, key ssh.PublicKey) error {
		k := key.Marshal()
		for _, want := range idx[knownhosts.Normalize(hostname)] {
			if bytes.Equal(want, k) {
				return nil
			}
		}
		return fmt.Errorf("host key of %s not in %s", hostname, path)
	}, nil
}
