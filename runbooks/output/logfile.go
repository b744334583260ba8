package output

import (
	"fmt"
	"os"
)

// logFile writes one host's log with a bounded size (guards 10 and 13). The first headMax bytes go straight
// to the file; once the head is full (or the run's budget for heads is spent) the output goes to an
// in-memory ring that keeps its last bytes, and Close writes a marker line saying how many bytes were left
// out, then the ring: the end of a failing script's output is what matters. The file is created on the
// first byte, so a host that prints nothing leaves no file.
type logFile struct {
	path     string
	f        *os.File
	err      error
	budget   *RunBudget
	headLeft int64 // what the head may still take of this host's cap
	inTail   bool  // the head is closed: everything goes to the ring
	ring     ring
	total    int64 // bytes offered
	head     int64 // bytes written as head
	last     byte  // last byte of the head, to start the marker on its own line
	created  bool  // the file was opened
	closed   bool
	dropped  int64 // bytes left out, once closed
}

func (l *logFile) write(p []byte) {
	if len(p) == 0 || l.err != nil {
		return
	}
	if l.f == nil {
		if l.f, l.err = OpenLog(l.path); l.err != nil {
			return
		}
		l.created = true
	}
	l.total += int64(len(p))
	if !l.inTail {
		n := min(int64(len(p)), l.headLeft)
		if l.budget != nil {
			n = l.budget.takeHead(n)
		}
		if n > 0 {
			if _, l.err = l.f.Write(p[:n]); l.err != nil {
				return
			}
			l.head += n
			l.headLeft -= n
			l.last = p[n-1]
		}
		p = p[n:]
		l.inTail = len(p) > 0
	}
	l.ring.write(p)
}

// omitted returns the bytes that the log leaves out (once closed, exact).
func (l *logFile) omitted() int64 {
	if l.closed {
		return l.dropped
	}
	return l.total - l.head - int64(l.ring.len())
}

// close writes the marker and the tail, and closes the file.
func (l *logFile) close() error {
	l.dropped, l.closed = l.omitted(), true
	if l.f == nil {
		return l.err
	}
	if l.err == nil {
		l.err = l.finish()
	}
	if err := l.f.Close(); err != nil && l.err == nil {
		l.err = err
	}
	l.f = nil
	return l.err
}

func (l *logFile) finish() error {
	a, b := l.ring.parts()
	if l.budget != nil {
		grant := l.budget.takeTail(int64(len(a) + len(b)))
		drop := len(a) + len(b) - int(grant)
		if drop >= len(a) {
			a, b = b[drop-len(a):], nil
		} else {
			a = a[drop:]
		}
	}
	omitted := l.total - l.head - int64(len(a)+len(b))
	l.dropped = omitted
	if omitted > 0 {
		marker := fmt.Sprintf("[firebreak: %d bytes omitted]\n", omitted)
		if l.head > 0 && l.last != '\n' {
			marker = "\n" + marker
		}
		if l.budget != nil {
			l.budget.charge(int64(len(marker)))
		}
		if _, err := l.f.WriteString(marker); err != nil {
			return err
		}
	}
	for _, p := range [][]byte{a, b} {
		if _, err := l.f.Write(p); err != nil {
			return err
		}
	}
	l.ring = ring{} // free the memory now: the capture may be kept for its Tail
	return nil
}

// ring keeps the last max bytes written to it; its buffer grows as needed, never beyond max.
type ring struct {
	max  int
	buf  []byte
	pos  int // where the next byte goes once full
	full bool
}

func (r *ring) write(p []byte) {
	if r.max <= 0 || len(p) == 0 {
		return
	}
	if len(p) >= r.max {
		if cap(r.buf) < r.max {
			r.buf = make([]byte, r.max)
		}
		r.buf = r.buf[:r.max]
		copy(r.buf, p[len(p)-r.max:])
		r.pos, r.full = 0, true
		return
	}
	if !r.full {
		n := min(r.max-len(r.buf), len(p))
		if len(r.buf)+n > cap(r.buf) {
			nb := make([]byte, len(r.buf), min(r.max, max(2*cap(r.buf), len(r.buf)+n, 4096)))
			copy(nb, r.buf)
			r.buf = nb
		}
		r.buf = append(r.buf, p[:n]...)
		p = p[n:]
		if len(r.buf) == r.max {
			r.pos, r.full = 0, true
		}
	}
	for len(p) > 0 {
		n := copy(r.buf[r.pos:], p)
		p = p[n:]
		r.pos = (r.pos + n) % r.max
	}
}

// parts returns the kept bytes, oldest first, in two pieces.
func (r *ring) parts() (a, b []byte) {
	if !r.full {
		return r.buf, nil
	}
	return r.buf[r.pos:], r.buf[:r.pos]
}

func (r *ring) len() int { return len(r.buf) }
