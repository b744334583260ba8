package main

import (
	"context"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// sessionInput is a served console's input. One goroutine reads the session, so that the question to the
// terminal about its background (termBackground) can wait for the answer with a time limit and hand
// whatever was typed meanwhile to the console, in order; and so that a Read ends when the session does.
// (wish's bubbletea.MakeRenderer asks the same question, but on a terminal that does not answer it waits
// for the first key and swallows it.)
type sessionInput struct {
	ctx  context.Context
	ch   chan []byte
	buf  []byte
	last *atomic.Int64 // unix nanoseconds of the last input (for --idle)
}

func newSessionInput(ctx context.Context, r io.Reader, last *atomic.Int64) *sessionInput {
	in := &sessionInput{ctx: ctx, ch: make(chan []byte, 16), last: last}
	go func() {
		defer close(in.ch)
		for {
			b := make([]byte, 4096)
			n, err := r.Read(b)
			if n > 0 {
				select {
				case in.ch <- b[:n]:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return in
}

// Read hands over what the person typed, noting when (the first read of a chunk is when it arrived, to
// within the console's reading).
func (in *sessionInput) Read(p []byte) (int, error) {
	if len(in.buf) == 0 {
		select {
		case b, ok := <-in.ch:
			if !ok {
				return 0, io.EOF
			}
			in.buf = b
			in.last.Store(time.Now().UnixNano())
		case <-in.ctx.Done():
			return 0, io.EOF
		}
	}
	n := copy(p, in.buf)
	in.buf = in.buf[n:]
	return n, nil
}

// The answers a terminal gives: its background colour (OSC 11, ended by BEL or ST) and its primary device
// attributes (DA1), which every terminal answers, and answers after OSC 11: once DA1 is in, so is the colour
// if the terminal knows it.
var (
	osc11Answer = regexp.MustCompile("\x1b\\]11;rgb:([0-9a-fA-F]{1,4})/([0-9a-fA-F]{1,4})/([0-9a-fA-F]{1,4})(?:\x07|\x1b\\\\)")
	da1Answer   = regexp.MustCompile("\x1b\\[\\?[0-9;]*c")
)

// termBackground asks the session's terminal whether its background is dark, waiting at most limit for
// the answer. known is false when the terminal did not say (then dark is assumed, as lipgloss does).
func termBackground(out io.Writer, in *sessionInput, limit time.Duration) (dark, known bool) {
	if _, err := io.WriteString(out, "\x1b]11;?\x07\x1b[c"); err != nil {
		return true, false
	}
	var got []byte
	timer := time.NewTimer(limit)
	defer timer.Stop()
wait:
	for !da1Answer.Match(got) {
		select {
		case b, ok := <-in.ch:
			if !ok {
				break wait
			}
			got = append(got, b...)
		case <-timer.C:
			break wait
		case <-in.ctx.Done():
			break wait
		}
	}
	dark, known = true, false
	if m := osc11Answer.FindSubmatch(got); m != nil {
		var rgb [3]float64
		for i := range rgb {
			v, _ := strconv.ParseUint(string(m[i+1]), 16, 32)
			rgb[i] = float64(v) / float64(uint64(1)<<(4*len(m[i+1]))-1)
		}
		luma := 0.2126*rgb[0] + 0.7152*rgb[1] + 0.0722*rgb[2]
		dark, known = luma < 0.5, true
	}
	// Anything else that came meanwhile was typed: the console gets it first.
	rest := da1Answer.ReplaceAll(osc11Answer.ReplaceAll(got, nil), nil)
	in.buf = append(rest, in.buf...)
	return dark, known
}

// sessionEnv is a session's environment as termenv reads it.
type sessionEnv []string

func (e sessionEnv) Environ() []string { return e }

func (e sessionEnv) Getenv(k string) string {
	for _, kv := range e {
		if v, ok := strings.CutPrefix(kv, k+"="); ok {
			return v
		}
	}
	return ""
}

// sessionRenderer is the lipgloss renderer for a session's terminal: its colour profile from its TERM
// (and COLORTERM, when the client sends it), its background as it answered.
func sessionRenderer(out io.Writer, env []string, dark bool) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(out, termenv.WithEnvironment(sessionEnv(env)), termenv.WithUnsafe(), termenv.WithColorCache(true))
	if t := sessionEnv(env).Getenv("TERM"); t == "" || t == "dumb" {
		r.SetColorProfile(termenv.Ascii)
	}
	r.SetHasDarkBackground(dark)
	return r
}
