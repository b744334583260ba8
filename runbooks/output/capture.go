package output

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// Defaults for Config.
const (
	DefaultMaxLine   = 64 << 10
	DefaultTailBytes = 64 << 10
	DefaultLogMax    = 64 << 20
	DefaultLogTail   = 4 << 20
)

// Config sets up a Capture.
type Config struct {
	// LogPath, when set, receives the output (secrets masked), up to LogMax bytes. The file is created 0600
	// and its directory 0700 when the first byte arrives (LogWritten says whether it was); an existing file
	// is appended to.
	LogPath string
	// LogMax bounds the bytes this capture writes to LogPath (default 64 MiB). Past it the log keeps its
	// first part and its last LogTail bytes, with a line between them saying how many bytes were left out.
	LogMax int64
	// LogTail is how much of the log's end is held in memory until Close, the most memory the log uses
	// (default 4 MiB, at most LogMax/2).
	LogTail int
	// Budget, when set, is the run's log budget, shared with the captures of the run's other hosts.
	Budget *RunBudget
	// MaxLine bounds the bytes held for one line; a longer line is passed on in pieces (default 64 KiB).
	MaxLine int
	// TailBytes bounds the tail kept for the database (default 64 KiB).
	TailBytes int
	// Secrets are values to mask everywhere (see SecretValues).
	Secrets []string
	// OnLine, when set, receives every line (masked and sanitised) as it completes. It is called with the
	// capture's lock held, in output order: keep it quick (hand the line to a channel).
	OnLine func(Line)
}

// Capture is the Sink a run uses per host: it streams lines to OnLine, keeps a bounded tail and writes the
// log file. Memory stays bounded whatever the command prints.
type Capture struct {
	cfg    Config
	mask   *Masker
	mu     sync.Mutex
	log    logFile
	bufs   [3][]byte // pending partial line per stream
	tail   tail
	counts [3]int64
	w      [3]streamWriter
}

// NewCapture returns a Capture; Close it when the command has finished. The log file is opened on the first
// byte of output; the error result is kept for callers and is always nil.
func NewCapture(cfg Config) (*Capture, error) {
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = DefaultMaxLine
	}
	if cfg.TailBytes <= 0 {
		cfg.TailBytes = DefaultTailBytes
	}
	c := &Capture{cfg: cfg, mask: NewMasker(cfg.Secrets), tail: tail{max: cfg.TailBytes}}
	if cfg.MaxLine <= c.mask.longest {
		c.cfg.MaxLine = c.mask.longest + 1
	}
	if cfg.LogMax <= 0 {
		cfg.LogMax = DefaultLogMax
	}
	if cfg.LogTail <= 0 {
		cfg.LogTail = DefaultLogTail
	}
	ringMax := int(min(int64(cfg.LogTail), cfg.LogMax/2))
	c.log = logFile{path: cfg.LogPath, budget: cfg.Budget, headLeft: cfg.LogMax - int64(ringMax), ring: ring{max: ringMax}}
	c.w[Stdout] = streamWriter{c, Stdout}
	c.w[Stderr] = streamWriter{c, Stderr}
	return c, nil
}

// OpenLog creates (or appends to) a private log file: directory 0700, file 0600.
func OpenLog(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the log directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the output log: %w", err)
	}
	return f, nil
}

type streamWriter struct {
	c *Capture
	s Stream
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.c.write(w.s, p)
	return len(p), nil
}

// Writer returns the writer for one stream.
func (c *Capture) Writer(s Stream) io.Writer {
	if s != Stderr {
		s = Stdout
	}
	return c.w[s]
}

func (c *Capture) write(s Stream, p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[s] += int64(len(p))
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i >= 0 && len(c.bufs[s])+i <= c.cfg.MaxLine {
			c.bufs[s] = append(c.bufs[s], p[:i]...)
			c.emit(s, c.bufs[s], false, true)
			c.bufs[s] = c.bufs[s][:0]
			p = p[i+1:]
			continue
		}
		room := c.cfg.MaxLine - len(c.bufs[s])
		n := min(room, len(p))
		if i >= 0 {
			n = min(n, i)
		}
		c.bufs[s] = append(c.bufs[s], p[:n]...)
		p = p[n:]
		if len(c.bufs[s]) >= c.cfg.MaxLine {
			c.flushPiece(s)
		}
	}
}

// flushPiece passes on the first part of an over-long line, keeping back enough bytes that a secret split
// across the cut is still masked when the rest arrives.
func (c *Capture) flushPiece(s Stream) {
	b := c.bufs[s]
	want := len(b) - max(0, c.mask.longest-1)
	cut := c.mask.safeCut(b, want)
	c.emit(s, b[:cut], true, false)
	c.bufs[s] = append(c.bufs[s][:0], b[cut:]...)
}

// emit masks a line (or a piece of one), writes it to the log and tail, and hands it to OnLine.
func (c *Capture) emit(s Stream, raw []byte, partial, newline bool) {
	masked := c.mask.Apply(raw)
	if c.cfg.LogPath != "" {
		c.log.write(masked)
		if newline {
			c.log.write(newlineByte)
		}
	}
	text := Sanitize(masked)
	c.tail.add(text, newline)
	if c.cfg.OnLine != nil {
		c.cfg.OnLine(Line{Stream: s, Text: text, Partial: partial})
	}
}

// Close passes on unterminated last lines and closes the log; it returns the first log write error.
func (c *Capture) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range []Stream{Stdout, Stderr} {
		if len(c.bufs[s]) > 0 {
			c.emit(s, c.bufs[s], false, true)
			c.bufs[s] = nil
		}
	}
	if err := c.log.close(); err != nil {
		return fmt.Errorf("writing the output log %s: %w", c.cfg.LogPath, err)
	}
	return nil
}

var newlineByte = []byte{'\n'}

// LogWritten says whether the log file exists: false when there is no LogPath, when the command printed
// nothing, or when the file could not be created (Close then says why).
func (c *Capture) LogWritten() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.log.created
}

// LogOmitted returns how many bytes of output the log leaves out to stay within its limits (exact after
// Close).
func (c *Capture) LogOmitted() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.log.omitted()
}

// Tail returns the last TailBytes of output (masked, sanitised, whole lines where possible).
func (c *Capture) Tail() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tail.String()
}

// Bytes returns how many raw bytes each stream produced.
func (c *Capture) Bytes() (stdout, stderr int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[Stdout], c.counts[Stderr]
}
