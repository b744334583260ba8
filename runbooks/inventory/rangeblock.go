package inventory

import (
	"strconv"
	"strings"
)

// hostRange is a host range kept unexpanded: literal parts around sequences, the first sequence varying
// slowest, which is the order expandRange gives the names in. A million hosts from ten range lines are
// then ten small values, and a name is made only when it is needed.
type hostRange struct {
	lits []string // len(seqs)+1 literal parts
	seqs []rangeSeq
	n    int
}

// rangeSeq is one [begin:end:step] of a range.
type rangeSeq struct {
	letters      bool
	beg, step, n int
	width        int  // zero padding of numbers
	fixedWidth   bool // every value has the same length
}

// parseRange reads name as expandRange would, for at most max names. It reports false for anything
// expandRange would refuse or could give a name twice for (two sequences of varying width side by side),
// and for a range with no names: the caller then uses expandRange, which gives the same names or the error.
func parseRange(name string, max int) (*hostRange, bool) {
	r := &hostRange{n: 1}
	line := name
	for {
		open := strings.IndexByte(line, '[')
		if open < 0 {
			r.lits = append(r.lits, line)
			break
		}
		rest := line[open+1:]
		closeIdx := strings.IndexByte(rest, ']')
		if closeIdx < 0 {
			return nil, false
		}
		head, nrange, tail := line[:open], rest[:closeIdx], rest[closeIdx+1:]
		if strings.ContainsAny(tail, "]") && !strings.Contains(tail, "[") {
			return nil, false
		}
		s, ok := parseSeq(nrange)
		if !ok || s.n < 1 || s.n > max/r.n {
			return nil, false
		}
		r.lits = append(r.lits, head)
		r.seqs = append(r.seqs, s)
		r.n *= s.n
		line = tail
	}
	if len(r.seqs) == 0 {
		return nil, false
	}
	if len(r.seqs) > 1 {
		for _, s := range r.seqs {
			if !s.fixedWidth {
				return nil, false
			}
		}
	}
	return r, true
}

func parseSeq(nrange string) (rangeSeq, bool) {
	bounds := strings.Split(nrange, ":")
	if len(bounds) != 2 && len(bounds) != 3 {
		return rangeSeq{}, false
	}
	beg, end, s := bounds[0], bounds[1], rangeSeq{step: 1}
	if len(bounds) == 3 {
		st, err := strconv.Atoi(bounds[2])
		if err != nil || st <= 0 {
			return rangeSeq{}, false
		}
		s.step = st
	}
	if beg == "" {
		beg = "0"
	}
	if end == "" {
		return rangeSeq{}, false
	}
	if beg[0] == '0' && len(beg) > 1 {
		s.width = len(beg)
		if len(end) != s.width {
			return rangeSeq{}, false
		}
	}
	ib, ie := strings.Index(asciiLetters, beg), strings.Index(asciiLetters, end)
	if len(beg) == 1 && len(end) == 1 && ib >= 0 && ie >= 0 {
		if ib > ie {
			return rangeSeq{}, false
		}
		s.letters, s.beg, s.n, s.fixedWidth = true, ib, (ie-ib)/s.step+1, true
		return s, true
	}
	b, err1 := strconv.Atoi(beg)
	e, err2 := strconv.Atoi(end)
	if err1 != nil || err2 != nil || !digitsOnly(beg) || !digitsOnly(end) || e < b {
		return rangeSeq{}, false
	}
	s.beg, s.n = b, (e-b)/s.step+1
	last := b + (s.n-1)*s.step
	s.fixedWidth = s.width > 0 || numDigits(b) == numDigits(last)
	return s, true
}

// appendName appends the i-th name of the range to buf.
func (r *hostRange) appendName(buf []byte, i int) []byte {
	var digits [8]int
	d := digits[:0]
	if len(r.seqs) > len(digits) {
		d = make([]int, 0, len(r.seqs))
	}
	d = d[:len(r.seqs)]
	for k := len(r.seqs) - 1; k >= 0; k-- {
		d[k] = i % r.seqs[k].n
		i /= r.seqs[k].n
	}
	for k, s := range r.seqs {
		buf = append(buf, r.lits[k]...)
		v := s.beg + d[k]*s.step
		if s.letters {
			buf = append(buf, asciiLetters[v])
			continue
		}
		for w := numDigits(v); w < s.width; w++ {
			buf = append(buf, '0')
		}
		buf = strconv.AppendInt(buf, int64(v), 10)
	}
	return append(buf, r.lits[len(r.lits)-1]...)
}

func numDigits(v int) int {
	n := 1
	for ; v >= 10; v /= 10 {
		n++
	}
	return n
}
