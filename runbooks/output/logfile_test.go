package output

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// flood writes n bytes of numbered 1000-byte lines to w without holding them, and returns the last 4 KiB.
func flood(t *testing.T, c *Capture, n int64) []byte {
	t.Helper()
	line := bytes.Repeat([]byte("x"), 1000)
	line[999] = '\n'
	var last []byte
	w := c.Writer(Stdout)
	for i, done := 0, int64(0); done < n; i++ {
		copy(line, fmt.Sprintf("line %012d ", i))
		p := line[:min(int64(len(line)), n-done)]
		w.Write(p)
		done += int64(len(p))
		last = append(last, p...)
		if len(last) > 8<<10 {
			last = append(last[:0], last[len(last)-4<<10:]...)
		}
	}
	return last[len(last)-4<<10:]
}

var markerRE = regexp.MustCompile(`\n?\[firebreak: (\d+) bytes omitted\]\n`)

// splitLog returns a capped log's head, omitted count and tail.
func splitLog(t *testing.T, log []byte) (head []byte, omitted int64, tail []byte) {
	t.Helper()
	loc := markerRE.FindAllSubmatchIndex(log, -1)
	if len(loc) != 1 {
		t.Fatalf("want one marker line, found %d", len(loc))
	}
	m := loc[0]
	omitted, _ = strconv.ParseInt(string(log[m[2]:m[3]]), 10, 64)
	return log[:m[0]], omitted, log[m[1]:]
}

func TestCaptureLogKeepsHeadMarkerAndTail(t *testing.T) {
	const total, hostCap = 200_000_000, 1 << 20 // whole lines, so Close adds no newline
	path := filepath.Join(t.TempDir(), "run1", "web1.log")
	var lines int
	c, _ := NewCapture(Config{LogPath: path, LogMax: hostCap, OnLine: func(Line) { lines++ }})
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	last := flood(t, c, total)
	// What the capture keeps, not the garbage the flood left for a collection that has not run yet (under
	// a loaded machine the GC may lag, and HeapInuse then counts that garbage).
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 8<<20 {
		t.Errorf("heap grew by %d bytes for a 1 MiB cap", grew)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, omitted, tail := splitLog(t, log)
	if len(head)+len(tail) > hostCap {
		t.Errorf("log keeps %d bytes, cap %d", len(head)+len(tail), hostCap)
	}
	if !bytes.HasPrefix(head, []byte("line 000000000000 xxx")) || len(head) != hostCap/2 {
		t.Errorf("head is %d bytes starting %q", len(head), head[:min(40, len(head))])
	}
	if !bytes.HasSuffix(tail, last) || len(tail) != hostCap/2 {
		t.Errorf("tail is %d bytes, does not end with the last bytes written", len(tail))
	}
	if want := int64(total - len(head) - len(tail)); omitted != want || c.LogOmitted() != want {
		t.Errorf("marker says %d omitted, LogOmitted %d, want %d", omitted, c.LogOmitted(), want)
	}
	if lines != total/1000 || !strings.HasPrefix(c.Tail(), "line ") {
		t.Errorf("the live lines (%d) and the database tail must see everything", lines)
	}
}

func TestCaptureLogUnderCapIsWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web1.log")
	c, _ := NewCapture(Config{LogPath: path, LogMax: 100, LogTail: 10})
	c.Writer(Stdout).Write([]byte(strings.Repeat("a", 60) + "\n" + strings.Repeat("b", 38)))
	c.Close()
	log, _ := os.ReadFile(path)
	if want := strings.Repeat("a", 60) + "\n" + strings.Repeat("b", 38) + "\n"; string(log) != want || c.LogOmitted() != 0 {
		t.Errorf("log %q, omitted %d", log, c.LogOmitted())
	}
}

func TestCaptureLogMasksSecretsWhenCapped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web1.log")
	c, _ := NewCapture(Config{LogPath: path, LogMax: 4096, Secrets: []string{"hunter2"}})
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(c.Writer(Stdout), "%04d password=hunter2\n", i)
	}
	c.Close()
	log, _ := os.ReadFile(path)
	head, _, tail := splitLog(t, log)
	if bytes.Contains(log, []byte("hunter2")) || !bytes.Contains(head, []byte(Mask)) || !bytes.HasSuffix(tail, []byte("0999 password="+Mask+"\n")) {
		t.Errorf("log leaks a secret or lost the masked end: %q", log)
	}
}

func TestCaptureSilentHostLeavesNoFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run1")
	c, err := NewCapture(Config{LogPath: filepath.Join(dir, "quiet.log")})
	if err != nil {
		t.Fatal(err)
	}
	c.Writer(Stdout).Write(nil)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if c.LogWritten() {
		t.Error("LogWritten for a host that printed nothing")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a silent host made the log directory: %v", err)
	}
	loud, _ := NewCapture(Config{LogPath: filepath.Join(dir, "loud.log")})
	loud.Writer(Stderr).Write([]byte("\n"))
	loud.Close()
	if !loud.LogWritten() {
		t.Error("LogWritten false for a host that printed an empty line")
	}
}

func TestRunBudgetBoundsAllHosts(t *testing.T) {
	const hosts, hostCap, runCap, each = 5, 1 << 20, 1 << 20, 3_000_000
	dir := t.TempDir()
	budget := NewRunBudget(runCap)
	var caps []*Capture
	var lasts [][]byte
	for i := 0; i < hosts; i++ {
		c, _ := NewCapture(Config{LogPath: filepath.Join(dir, fmt.Sprintf("h%d.log", i)), LogMax: hostCap,
			LogTail: 64 << 10, TailBytes: 1024, Budget: budget})
		caps = append(caps, c)
	}
	done := make(chan []byte)
	for _, c := range caps { // concurrently, as a run's hosts do
		go func() { done <- flood(t, c, each) }()
	}
	for range caps {
		lasts = append(lasts, <-done)
	}
	var total int64
	for i, c := range caps {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(c.Tail(), "line ") {
			t.Errorf("host %d lost its database tail", i)
		}
		log, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("h%d.log", i)))
		total += int64(len(log))
		_, omitted, tail := splitLog(t, log)
		if int64(len(log))-omitted > each || omitted != c.LogOmitted() {
			t.Errorf("host %d: marker says %d omitted of %d, log %d bytes", i, omitted, each, len(log))
		}
		if len(tail) > 0 && !bytes.HasSuffix(lasts[0], tail[max(0, len(tail)-4096):]) { // every host prints the same
			t.Errorf("host %d: the tail written is not the end of the output", i)
		}
	}
	if limit := int64(runCap + hosts*64); total > limit {
		t.Errorf("the run wrote %d bytes of logs, budget %d", total, runCap)
	}
	if budget.Used() > runCap+hosts*64 {
		t.Errorf("budget used %d", budget.Used())
	}
}

func TestRing(t *testing.T) {
	var want []byte
	r := ring{max: 10}
	for _, s := range []string{"abc", "", "defgh", "ijklmn", "o", "0123456789ABC", "xy"} {
		r.write([]byte(s))
		want = append(want, s...)
		a, b := r.parts()
		if got, w := string(a)+string(b), string(want[max(0, len(want)-10):]); got != w || cap(r.buf) > 10 {
			t.Errorf("after %q: %q, want %q (cap %d)", s, got, w, cap(r.buf))
		}
	}
}
