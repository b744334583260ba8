package output

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text\twith tab", "plain text\twith tab"},
		{"\x1b[31mred\x1b[0m", "red"},
		{"\x1b]0;evil title\x07after", "after"},
		{"\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"\x1bP+q1b5b\x1b\\ok", "ok"},
		{"a\x1b7b\x1b(Bc", "abc"},
		{"bell\x07 back\x08 cr\r", "bell\uFFFD back\uFFFD cr"},
		{"bad \xff\xfe utf8", "bad \uFFFD\uFFFD utf8"},
		{"c1 \u009b31m csi", "c1  csi"},
		{"c1 \u0085 nel", "c1 \uFFFD nel"},
		{"trojan \u202eevil", "trojan \uFFFDevil"},
		{"unterminated \x1b[", "unterminated "},
		{"del\x7f", "del\uFFFD"},
		{"naïve ünïcode ✓", "naïve ünïcode ✓"},
	}
	for _, tt := range tests {
		if got := Sanitize([]byte(tt.in)); got != tt.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzSanitize(f *testing.F) {
	f.Add([]byte("\x1b[1;31mhi\x1b]0;x\x07\xff\u009b"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := Sanitize(b)
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 out of %q", b)
		}
		for _, r := range s {
			if r == 0x1b || (r < 0x20 && r != '\t') || (r >= 0x7f && r <= 0x9f) {
				t.Fatalf("control %U left in %q", r, s)
			}
		}
	})
}

func TestSecrets(t *testing.T) {
	for name, want := range map[string]bool{"API_TOKEN": true, "db_password": true, "SecretSauce": true, "ssh_key_path": true, "monkey": false, "HOST": false, "FIREBREAK_RUN": false} {
		if IsSecretName(name) != want {
			t.Errorf("IsSecretName(%q) != %v", name, want)
		}
	}
	vars := map[string]string{"API_TOKEN": "s3cr3t-abc", "NOTE": "uses s3cr3t-abc inside", "HOST": "web1", "EMPTY_KEY": ""}
	m := MaskVars(vars)
	if m["API_TOKEN"] != Mask || m["NOTE"] != "uses "+Mask+" inside" || m["HOST"] != "web1" || m["EMPTY_KEY"] != "" {
		t.Errorf("MaskVars = %v", m)
	}
	if vars["API_TOKEN"] != "s3cr3t-abc" {
		t.Error("MaskVars changed its input")
	}
}

func TestCaptureLinesTailLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs", "run1")
	logPath := filepath.Join(dir, "web1.log")
	var lines []Line
	c, err := NewCapture(Config{LogPath: logPath, TailBytes: 64, MaxLine: 32, Secrets: []string{"hunter2"},
		OnLine: func(l Line) { lines = append(lines, l) }})
	if err != nil {
		t.Fatal(err)
	}
	out, errw := c.Writer(Stdout), c.Writer(Stderr)
	out.Write([]byte("hello \x1b[1mworld\x1b[0m\npass=hun"))
	out.Write([]byte("ter2 ok\n"))
	errw.Write([]byte("oops\n"))
	out.Write([]byte(strings.Repeat("x", 40) + "hunter2" + strings.Repeat("y", 10) + "\nno newline at end"))
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range lines {
		got = append(got, l.Stream.String()+":"+l.Text)
	}
	joined := strings.Join(got, "|")
	if strings.Contains(joined, "hunter2") || strings.Contains(joined, "\x1b") {
		t.Errorf("lines leak a secret or escape: %q", joined)
	}
	for _, want := range []string{"stdout:hello world", "stdout:pass=" + Mask + " ok", "stderr:oops", "stdout:no newline at end"} {
		if !strings.Contains(joined, want) {
			t.Errorf("lines %q lack %q", joined, want)
		}
	}
	if strings.Count(joined, Mask) != 2 {
		t.Errorf("a secret split across a long-line cut must still be masked: %q", joined)
	}
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(log, []byte("hunter2")) || !bytes.Contains(log, []byte("\x1b[1mworld")) {
		t.Errorf("log must be raw but masked: %q", log)
	}
	if fi, _ := os.Stat(logPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("log mode %v", fi.Mode())
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("log dir mode %v", fi.Mode())
	}
	if tail := c.Tail(); len(tail) > 64 || !strings.HasSuffix(tail, "no newline at end\n") || strings.Contains(tail, "hunter2") {
		t.Errorf("tail %q", tail)
	}
	if o, e := c.Bytes(); o == 0 || e != 5 {
		t.Errorf("bytes %d %d", o, e)
	}
}

func TestCaptureHugeLineIsBounded(t *testing.T) {
	var pieces, total int
	c, err := NewCapture(Config{MaxLine: 1024, OnLine: func(l Line) { pieces++; total += len(l.Text) }})
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("a"), 1<<16)
	for i := 0; i < 160; i++ { // 10 MiB, no newline
		c.Writer(Stdout).Write(chunk)
		if len(c.bufs[Stdout]) > 1024 {
			t.Fatalf("line buffer grew to %d", len(c.bufs[Stdout]))
		}
	}
	c.Close()
	if total != 160<<16 || pieces < 160<<6 {
		t.Errorf("got %d bytes in %d pieces", total, pieces)
	}
}
