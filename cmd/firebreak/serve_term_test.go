package main

import (
	"bytes"
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"
)

// TestTermBackground: the console asks the terminal for its background and reads the answer; keys typed
// around the answer reach the console in order, and a terminal that never answers costs the limit only.
func TestTermBackground(t *testing.T) {
	for _, c := range []struct {
		name        string
		answer      string
		dark, known bool
		typed       string
		within      time.Duration
	}{
		{"a black background, BEL", "\x1b]11;rgb:0000/0000/0000\x07\x1b[?62;22c", true, true, "", 100 * time.Millisecond},
		{"a white background, ST", "\x1b]11;rgb:ffff/ffff/ffff\x1b\\\x1b[?64;1;9c", false, true, "", 100 * time.Millisecond},
		{"keys typed around the answer", "q\x1b]11;rgb:fe/fe/fe\x07\x1b[?1;2cjk", false, true, "qjk", 100 * time.Millisecond},
		{"a terminal that knows no colours", "\x1b[?1;2c", true, false, "", 100 * time.Millisecond},
		{"no answer at all", "", true, false, "", time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pr, pw := io.Pipe()
			var last atomic.Int64
			in := newSessionInput(ctx, pr, &last)
			var asked bytes.Buffer
			go func() {
				if c.answer != "" {
					pw.Write([]byte(c.answer))
				}
			}()
			start := time.Now()
			dark, known := termBackground(&asked, in, 300*time.Millisecond)
			if took := time.Since(start); took > c.within {
				t.Errorf("took %v", took)
			}
			if dark != c.dark || known != c.known {
				t.Errorf("dark %v known %v, want %v %v", dark, known, c.dark, c.known)
			}
			if asked.String() != "\x1b]11;?\x07\x1b[c" {
				t.Errorf("asked %q", asked.String())
			}
			pw.Write([]byte("x")) // typed after the question was settled
			want := c.typed + "x"
			got := make([]byte, 0, len(want))
			buf := make([]byte, 16)
			for len(got) < len(want) {
				n, err := in.Read(buf)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, buf[:n]...)
			}
			if string(got) != want {
				t.Errorf("the console read %q, want %q", got, want)
			}
			if last.Load() == 0 {
				t.Error("typing was not noted for --idle")
			}
			cancel()
			if _, err := in.Read(buf); err != io.EOF {
				t.Errorf("a read after the session ended: %v, want EOF", err)
			}
		})
	}
}
