package inventory

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

const asciiLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// maxExpand bounds how many hosts one range line may produce, so a typo like web[1:99999999] is an error,
// not an out-of-memory.
const maxExpand = 100000

// errTooMany marks a range that expands to more hosts than allowed.
var errTooMany = errors.New("too many hosts")

// expandRange expands Ansible host ranges: web[01:20], db-[a:c], x[1:10:2], several per name, exactly as
// Ansible's expand_hostname_range (zero padding from the begin value, letters from a-zA-Z, inclusive end).
// More than max names is an error (errTooMany), found before the names are made.
func expandRange(name string, max int) ([]string, error) {
	if !strings.Contains(name, "[") {
		if max < 1 {
			return nil, fmt.Errorf("%q: %w", name, errTooMany)
		}
		return []string{name}, nil
	}
	var out []string
	if err := expandInto(name, &out, max); err != nil {
		return nil, err
	}
	return out, nil
}

func expandInto(line string, out *[]string, max int) error {
	open := strings.IndexByte(line, '[')
	if open < 0 {
		if len(*out) >= max {
			return fmt.Errorf("host range in %q expands to more than %d hosts: %w", line, max, errTooMany)
		}
		*out = append(*out, line)
		return nil
	}
	rest := line[open+1:]
	closeIdx := strings.IndexByte(rest, ']')
	if closeIdx < 0 {
		return fmt.Errorf("host range in %q has no closing ]", line)
	}
	head, nrange, tail := line[:open], rest[:closeIdx], rest[closeIdx+1:]
	if strings.ContainsAny(tail, "]") && !strings.Contains(tail, "[") {
		return fmt.Errorf("host range in %q has an unmatched ]", line)
	}
	bounds := strings.Split(nrange, ":")
	if len(bounds) != 2 && len(bounds) != 3 {
		return fmt.Errorf("host range [%s] must be begin:end or begin:end:step", nrange)
	}
	beg, end, step := bounds[0], bounds[1], 1
	if len(bounds) == 3 {
		s, err := strconv.Atoi(bounds[2])
		if err != nil || s <= 0 {
			return fmt.Errorf("host range [%s]: step must be a positive integer", nrange)
		}
		step = s
	}
	if beg == "" {
		beg = "0"
	}
	if end == "" {
		return fmt.Errorf("host range [%s] must specify an end value", nrange)
	}
	width := 0
	if beg[0] == '0' && len(beg) > 1 {
		width = len(beg)
		if len(end) != width {
			return fmt.Errorf("host range [%s] must have begin and end of equal length", nrange)
		}
	}
	var seq []string
	ib, ie := strings.Index(asciiLetters, beg), strings.Index(asciiLetters, end)
	if len(beg) == 1 && len(end) == 1 && ib >= 0 && ie >= 0 {
		if ib > ie {
			return fmt.Errorf("host range [%s] must have begin <= end", nrange)
		}
		for i := ib; i <= ie; i += step {
			seq = append(seq, asciiLetters[i:i+1])
		}
	} else {
		b, err1 := strconv.Atoi(beg)
		e, err2 := strconv.Atoi(end)
		if err1 != nil || err2 != nil || !digitsOnly(beg) || !digitsOnly(end) {
			return fmt.Errorf("host range [%s] must be numbers or single letters", nrange)
		}
		if e >= b && (e-b)/step+1 > max-len(*out) {
			return fmt.Errorf("host range [%s] expands to more than %d hosts: %w", nrange, max, errTooMany)
		}
		for i := b; i <= e; i += step {
			s := strconv.Itoa(i)
			if width > 0 && len(s) < width {
				s = strings.Repeat("0", width-len(s)) + s
			}
			seq = append(seq, s)
		}
	}
	for _, s := range seq {
		if err := expandInto(head+s+tail, out, max); err != nil {
			return err
		}
	}
	return nil
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

var (
	bracketedHostPort = regexp.MustCompile(`^\[(.+)\]:([0-9]+)$`)
	hostPort          = regexp.MustCompile(`^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$`)
	rangePart         = `\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`
	labelRe           = regexp.MustCompile(`^(?:\w|` + rangePart + `)(?:[\w-]|` + rangePart + `)*$`)
	ipv4Re            = regexp.MustCompile(`^(?:(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|\[[0-9]+:[0-9]+(?::[0-9]+)?\])\.){3}(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|\[[0-9]+:[0-9]+(?::[0-9]+)?\])$`)
)

// validHostname says whether s is a host name, IPv4 or IPv6 address (ranges allowed) as Ansible's
// parse_address accepts it.
func validHostname(s string) bool {
	if ipv4Re.MatchString(s) {
		return true
	}
	if strings.Count(s, ":") >= 2 && regexp.MustCompile(`^[0-9a-fA-F:.\[\]]+$`).MatchString(s) {
		return true
	}
	for _, l := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if !labelRe.MatchString(l) || strings.HasSuffix(l, "_") || strings.HasSuffix(l, "-") {
			return false
		}
	}
	return s != ""
}

// splitHostPort separates an optional :port from an INI host entry the way Ansible's parse_address does:
// name:22, 10.0.0.1:22 and [addr]:22 carry a port; anything else is all name.
func splitHostPort(s string) (string, int) {
	for _, re := range []*regexp.Regexp{bracketedHostPort, hostPort} {
		if m := re.FindStringSubmatch(s); m != nil && validHostname(m[1]) {
			p, err := strconv.Atoi(m[2])
			if err == nil {
				return m[1], p
			}
		}
	}
	return s, 0
}

func joinHostPort(h string, p int) string {
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return h + ":" + strconv.Itoa(p)
}
