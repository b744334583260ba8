package runview

// ring keeps the last n lines of a host's output: a run can print millions of lines, the screen needs
// only the tail (the full output is in the run's log file).
type ring struct {
	lines []string
	start int // index of the oldest line once full
	full  bool
	total int64 // every line ever added
}

func newRing(n int) *ring { return &ring{lines: make([]string, 0, min(n, 64))} }

func (r *ring) add(s string, limit int) {
	r.total++
	if !r.full {
		if len(r.lines) < limit {
			r.lines = append(r.lines, s)
			return
		}
		r.full = true
	}
	r.lines[r.start] = s
	r.start = (r.start + 1) % len(r.lines)
}

// Len is the number of lines kept.
func (r *ring) Len() int { return len(r.lines) }

// each calls f on the kept lines, oldest first.
func (r *ring) each(f func(string)) {
	for i := range r.lines {
		f(r.lines[(r.start+i)%len(r.lines)])
	}
}

// last is the newest line, or "".
func (r *ring) last() string {
	if len(r.lines) == 0 {
		return ""
	}
	if r.full {
		return r.lines[(r.start+len(r.lines)-1)%len(r.lines)]
	}
	return r.lines[len(r.lines)-1]
}
