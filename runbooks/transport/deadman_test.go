package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
)

// deadManLimit is SPEC guard 13's bound: the commands' process groups must be gone this long after the
// process driving them died or lost its connection. The tests assert it as it stands (measured here at
// well under 200 ms, even with the machine under load) and log what they measured.
const deadManLimit = 2 * time.Second

// The child side of TestDeadMansSwitchKill: the test binary, run again with FIREBREAK_DEADMAN_CHILD set,
// starts haltScript on every sshtest host of the fleet (or three times locally) and waits to be killed.
const (
	childEnv     = "FIREBREAK_DEADMAN_CHILD" // "ssh" or "local"
	childDirEnv  = "FIREBREAK_DEADMAN_DIR"   // where the commands write their pids
	childInvEnv  = "FIREBREAK_DEADMAN_INVENTORY"
	childHomeEnv = "FIREBREAK_DEADMAN_HOME"
)

func TestDeadMansSwitchChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("only run by TestDeadMansSwitchKill")
	}
	dir := os.Getenv(childDirEnv)
	var trs []Transport
	if mode == "local" {
		for range 3 {
			trs = append(trs, NewLocal())
		}
	} else {
		inv, err := inventory.Load([]string{os.Getenv(childInvEnv)}, inventory.Options{SSHConfig: []string{}, Home: os.Getenv(childHomeEnv)})
		if err != nil {
			t.Fatal(err)
		}
		pool := NewPool(Config{AgentSocket: "none"})
		for _, h := range inv.Hosts() {
			trs = append(trs, pool.For(h))
		}
	}
	for i, tr := range trs {
		go func() {
			script := haltScript(dir)
			if mode == "local" {
				script = strings.Replace(script, `"${FIREBREAK_SSHTEST_HOST:-local}"`, "local"+strconv.Itoa(i), 1)
			}
			res, err := tr.Run(context.Background(), Command{Script: script}, nil)
			fmt.Fprintf(os.Stderr, "child: Run returned %+v %v\n", res, err) // never, unless the test is broken
		}()
	}
	select {} // until kill -9
}

// TestDeadMansSwitchKill kill -9s a process that is running `sleep 300` on three real sshd hosts (and,
// separately, three times on the local transport) and checks on the host side that every process the
// commands started is gone within deadManLimit: the wrapper's watcher sees its stdin close (the kernel
// closes the dead client's socket or pipe) and kills the command's group; then that the watchers
// themselves have left.
func TestDeadMansSwitchKill(t *testing.T) {
	f := sshtest.Start(t, 3)
	for _, mode := range []string{"ssh", "local"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			c := exec.Command(os.Args[0], "-test.run=^TestDeadMansSwitchChild$", "-test.count=1")
			c.Env = append(os.Environ(), childEnv+"="+mode, childDirEnv+"="+dir, childInvEnv+"="+f.Inventory, childHomeEnv+"="+f.Dir)
			var out bytes.Buffer
			c.Stdout, c.Stderr = &out, &out
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Process.Kill(); c.Wait() })
			pids := sshtest.WaitPids(t, dir, 3, time.Minute)
			time.Sleep(100 * time.Millisecond) // let the wrappers settle into their sleeps
			start := time.Now()
			if err := c.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			c.Wait()
			d := waitGone(t, sshtest.ByGroup, pids, start, 30*time.Second)
			t.Logf("%s: the commands' process groups were gone %s after kill -9", mode, d)
			if d > deadManLimit {
				t.Errorf("%s: the commands outlived their driver by %s (guard 13 says within %s); child output: %s", mode, d, deadManLimit, out.String())
			}
			waitGone(t, sshtest.BySession, pids, start, 10*time.Second)
		})
	}
}

// TestDeadMansSwitchConnectionDrop closes the client's TCP connection under a running command, as a
// network drop that the host notices would: the command's group must be gone within deadManLimit and Run
// must report the lost connection. (A drop the host does not notice, with no FIN or RST, is found by
// sshd's ClientAliveInterval, which is the host's configuration.)
func TestDeadMansSwitchConnectionDrop(t *testing.T) {
	f := sshtest.Start(t, 1)
	h := f.InventoryHost(t, 0)
	pool := NewPool(Config{AgentSocket: "none"})
	defer pool.Close()
	dir := t.TempDir()
	type ran struct {
		res Result
		err error
	}
	done := make(chan ran, 1)
	go func() {
		res, err := pool.For(h).Run(context.Background(), Command{Script: haltScript(dir)}, nil)
		done <- ran{res, err}
	}()
	pids := sshtest.WaitPids(t, dir, 1, time.Minute)
	pool.mu.Lock()
	cl := pool.conns[chainKey(chainOf(h))].client
	pool.mu.Unlock()
	start := time.Now()
	cl.Close()
	d := waitGone(t, sshtest.ByGroup, pids, start, 30*time.Second)
	t.Logf("the command's process group was gone %s after the connection closed", d)
	if d > deadManLimit {
		t.Errorf("the command outlived its connection by %s (guard 13 says within %s)", d, deadManLimit)
	}
	waitGone(t, sshtest.BySession, pids, start, 10*time.Second)
	select {
	case r := <-done:
		var ce *ConnectError
		if !errors.As(r.err, &ce) {
			t.Errorf("Run = %+v, %v; want a ConnectError for the lost connection", r.res, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Error("Run did not return after its connection closed")
	}
}

// TestNormalFinishKillsNothing proves the dead-man's switch stays quiet when a command ends by itself: a
// background process it left behind on purpose keeps running, the exit code is the script's, and the
// watcher leaves, so nothing but that process remains in the command's session.
func TestNormalFinishKillsNothing(t *testing.T) {
	for name, tr := range transports(t) {
		dir := t.TempDir()
		script := fmt.Sprintf(`echo $$ > %[1]s/pid; sleep 60 </dev/null >/dev/null 2>&1 & echo $! > %[1]s/child; exit 7`, dir)
		res, err := tr.Run(context.Background(), Command{Script: script}, nil)
		if err != nil || res.ExitCode != 7 || res.Signal != "" || res.Cancelled || res.TimedOut {
			t.Fatalf("%s: %+v %v", name, res, err)
		}
		var sid, child int
		for f, p := range map[string]*int{"pid": &sid, "child": &child} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			*p, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			live := sshtest.Live(sshtest.BySession, []int{sid})
			if slices.Equal(live, []int{child}) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s: session %d holds %v, want only the background child %d", name, sid, live, child)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(KillGrace + 200*time.Millisecond) // a spurious kill would have come by now
		if err := syscall.Kill(child, 0); err != nil {
			t.Errorf("%s: the background child was killed after a normal finish: %v", name, err)
		}
		syscall.Kill(child, syscall.SIGKILL)
	}
}
