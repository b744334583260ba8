package output

import "bytes"

// tail keeps the last max bytes of text, cutting at a line start when it can.
type tail struct {
	max int
	buf []byte
}

func (t *tail) add(line string, newline bool) {
	t.buf = append(t.buf, line...)
	if newline {
		t.buf = append(t.buf, '\n')
	}
	if len(t.buf) > 2*t.max {
		t.trim()
	}
}

func (t *tail) trim() {
	if len(t.buf) <= t.max {
		return
	}
	drop := len(t.buf) - t.max
	if i := bytes.IndexByte(t.buf[drop:], '\n'); i >= 0 && i < t.max/2 {
		drop += i + 1
	}
	for drop < len(t.buf) && t.buf[drop]&0xc0 == 0x80 { // never start inside a UTF-8 sequence
		drop++
	}
	t.buf = append(t.buf[:0], t.buf[drop:]...)
}

func (t *tail) String() string {
	t.trim()
	return string(t.buf)
}
