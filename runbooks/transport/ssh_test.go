package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/firebreak/firebreak/runbooks/inventory"

	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
)

func TestSilentServerTimesOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accept and never say a word
		}
	}()
	f := sshtest.Start(t, 1)
	h := f.InventoryHost(t, 0)
	h.Port = l.Addr().(*net.TCPAddr).Port
	pool := NewPool(Config{ConnectTimeout: 500 * time.Millisecond, AgentSocket: "none"})
	defer pool.Close()
	start := time.Now()
	_, err = pool.For(h).Run(context.Background(), Command{Script: "true"}, nil)
	var ce *ConnectError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "no SSH answer within 500ms") {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s: the connect timeout must cover the handshake", d)
	}
}

func TestHostKeyVerification(t *testing.T) {
	f := sshtest.Start(t, 1)
	other, err := sshtest.WriteKey(filepath.Join(t.TempDir(), "other"))
	if err != nil {
		t.Fatal(err)
	}
	port := f.Hosts[0].Port
	tests := []struct {
		name, known string
		changed     bool
		want        []string
	}{
		{"unknown", "", false, []string{"is not known", ssh.FingerprintSHA256(f.HostKey), fmt.Sprintf("ssh-keyscan -p %d -t ed25519 127.0.0.1 >> ", port), "out of band"}},
		{"other host only", fmt.Sprintf("[127.0.0.1]:%d %s", port+1, ssh.MarshalAuthorizedKey(f.HostKey)), false, []string{"is not known"}},
		{"changed", fmt.Sprintf("# a comment\n[127.0.0.1]:%d %s", port, ssh.MarshalAuthorizedKey(other)), true,
			[]string{"MAN-IN-THE-MIDDLE", "CHANGED", "known_hosts:2", ssh.FingerprintSHA256(f.HostKey), ssh.FingerprintSHA256(other), "ssh-keygen -R"}},
	}
	for _, tt := range tests {
		kh := filepath.Join(t.TempDir(), "known_hosts")
		os.WriteFile(kh, []byte(tt.known), 0o600)
		h := f.InventoryHost(t, 0)
		h.KnownHostsFiles = []string{kh}
		pool := NewPool(Config{AgentSocket: "none"})
		_, err := pool.For(h).Run(context.Background(), Command{Script: "true"}, nil)
		pool.Close()
		var he *HostKeyError
		if !errors.As(err, &he) || he.Changed != tt.changed {
			t.Errorf("%s: err = %v", tt.name, err)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tt.name, err, w)
			}
		}
	}
}

func TestProxyJump(t *testing.T) {
	f := sshtest.Start(t, 3)
	inv := f.LoadInventory(t)
	h1, _ := inv.Host("host01")
	h2, _ := inv.Host("host02")
	target, _ := inv.Host("host03")
	pool := NewPool(Config{AgentSocket: "none"})
	defer pool.Close()
	for _, hops := range [][]string{{"host01"}, {"host01", "host02"}} {
		tg := *target
		tg.ProxyJump = nil
		for _, n := range hops {
			hop := map[string]any{"host01": h1, "host02": h2}[n]
			tg.ProxyJump = append(tg.ProxyJump, hop.(*inventory.Host))
		}
		c := &collect{}
		res, err := pool.For(&tg).Run(context.Background(), Command{Script: `echo "$FIREBREAK_SSHTEST_HOST"`}, c)
		if err != nil || res.ExitCode != 0 || strings.TrimSpace(c.out.String()) != "host03" {
			t.Errorf("via %v: %v %+v %q", hops, err, res, c.out.String())
		}
	}
	// Proof the traffic really goes through the bastion: a bastion that forbids forwarding breaks it.
	closed := sshtest.StartWith(t, 1, sshtest.Options{SSHDConfig: "AllowTcpForwarding no"})
	tg := *target
	tg.ProxyJump = []*inventory.Host{closed.InventoryHost(t, 0)}
	_, err := pool.For(&tg).Run(context.Background(), Command{Script: "true"}, nil)
	if err == nil || !strings.Contains(err.Error(), "through jump host host01") && !strings.Contains(err.Error(), "prohibited") {
		t.Errorf("through a bastion without forwarding: err = %v", err)
	}
}

func TestHugeOutputMemoryBounded(t *testing.T) {
	f := sshtest.Start(t, 1)
	pool := NewPool(Config{AgentSocket: "none"})
	defer pool.Close()
	var lines atomic.Int64
	capt, err := output.NewCapture(output.Config{LogPath: filepath.Join(t.TempDir(), "h.log"), OnLine: func(output.Line) { lines.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()
	// 100 MB in one line with no newline, then a short line: the worst case for a line splitter.
	res, err := pool.For(f.InventoryHost(t, 0)).Run(context.Background(), Command{Script: `head -c 100000000 /dev/zero | tr '\0' x; echo; echo end`}, capt)
	close(stop)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%v %+v", err, res)
	}
	capt.Close()
	if o, _ := capt.Bytes(); o != 100000000+1+4 {
		t.Errorf("got %d bytes", o)
	}
	growth := int64(peak.Load()) - int64(base.HeapInuse)
	t.Logf("heap in use grew by %d KiB for 100 MB of output (%d line pieces)", growth>>10, lines.Load())
	if growth > 48<<20 {
		t.Errorf("heap grew by %d MiB: output is not bounded", growth>>20)
	}
	if !strings.HasSuffix(capt.Tail(), "end\n") || len(capt.Tail()) > output.DefaultTailBytes {
		t.Errorf("tail is %d bytes", len(capt.Tail()))
	}
}

func TestHostileOutputAndSecrets(t *testing.T) {
	f := sshtest.Start(t, 1)
	pool := NewPool(Config{AgentSocket: "none"})
	defer pool.Close()
	env := map[string]string{"API_TOKEN": "tok-12345-secret", "HOST_ROLE": "web"}
	var got []output.Line
	logPath := filepath.Join(t.TempDir(), "run", "host01.log")
	capt, err := output.NewCapture(output.Config{LogPath: logPath, Secrets: output.SecretValues(env), OnLine: func(l output.Line) { got = append(got, l) }})
	if err != nil {
		t.Fatal(err)
	}
	script := `printf '\033[2J\033[H\033]0;pwned\007title\n'; printf 'bad \xff\xfe bytes \x9b31m\n'; printf 'bell\a nul\0 \033P1$r\033\\done\n'
echo "token is $API_TOKEN"; echo "role $HOST_ROLE" >&2`
	res, err := pool.For(f.InventoryHost(t, 0)).Run(context.Background(), Command{Script: script, Env: env}, capt)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%v %+v", err, res)
	}
	capt.Close()
	var texts []string
	for _, l := range got {
		texts = append(texts, l.Text)
		for _, r := range l.Text {
			if r == 0x1b || r < 0x20 && r != '\t' || r >= 0x7f && r <= 0x9f {
				t.Errorf("control character %U reached display: %q", r, l.Text)
			}
		}
	}
	all := strings.Join(texts, "\n")
	for _, w := range []string{"title", "bad \uFFFD\uFFFD bytes \uFFFD", "done", "token is " + output.Mask, "role web"} {
		if !strings.Contains(all, w) {
			t.Errorf("lines %q lack %q", all, w)
		}
	}
	log, _ := os.ReadFile(logPath)
	if strings.Contains(all+capt.Tail()+string(log), "tok-12345-secret") {
		t.Error("the secret leaked into lines, tail or log")
	}
}
