package inventory

import (
	"fmt"
	"iter"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// Selection is the result of a host pattern: the hosts in inventory order, and the parts of the pattern
// that matched no host or group (Ansible warns about each; a caller should too).
type Selection struct {
	Hosts     []*Host
	Unmatched []string
}

// Names lists the selected host names.
func (s Selection) Names() []string {
	out := make([]string, len(s.Hosts))
	for i, h := range s.Hosts {
		out[i] = h.Name
	}
	return out
}

// Match selects hosts with Ansible's pattern language: all, *, names, groups, a:b and a,b (union), a:&b
// (intersection), a:!b (exclusion), wildcards, ~regex, and slices web[0], web[0:2] (end included),
// web[-1]. Unions apply first, then intersections, then exclusions, whatever the written order. A pattern
// that matches nothing returns no hosts and no error; use Select to learn which parts matched nothing.
func (inv *Inventory) Match(pattern string) ([]*Host, error) {
	s, err := inv.Select(pattern)
	return s.Hosts, err
}

// Select is Match with the parts of the pattern that matched nothing.
func (inv *Inventory) Select(pattern string) (Selection, error) {
	ids, unmatched, err := inv.selectIDs(pattern)
	if err != nil {
		return Selection{}, err
	}
	sel := Selection{Unmatched: unmatched}
	for _, id := range ids {
		sel.Hosts = append(sel.Hosts, inv.host(id))
	}
	return sel, nil
}

// Names is Select for listing: the selected names in inventory order, without connection details, so
// that listing a million hosts costs their names only. Unmatched is as in Select.
func (inv *Inventory) Names(pattern string) (names iter.Seq[string], unmatched []string, err error) {
	ids, unmatched, err := inv.selectIDs(pattern)
	if err != nil {
		return nil, nil, err
	}
	return func(yield func(string) bool) {
		for _, id := range ids {
			if !yield(inv.hostName(id)) {
				return
			}
		}
	}, unmatched, nil
}

// selectIDs is Select's work, on host numbers.
func (inv *Inventory) selectIDs(pattern string) ([]int32, []string, error) {
	var sel struct{ Unmatched []string }
	parts := SplitPattern(pattern)
	var regular, inter, excl []string
	for _, p := range parts {
		switch p[0] {
		case '!':
			excl = append(excl, p)
		case '&':
			inter = append(inter, p)
		default:
			regular = append(regular, p)
		}
	}
	if len(regular) == 0 {
		regular = []string{"all"}
	}
	var hosts []int32
	for _, p := range append(append(regular, inter...), excl...) {
		if h, ok := inv.data.lookup(p); ok {
			hosts = append(hosts, h)
			continue
		}
		body := strings.TrimLeft(p[:1], "&!") + p[1:]
		if body == "" {
			return nil, nil, fmt.Errorf("host pattern %q: %q needs a name, group or pattern after it", pattern, p)
		}
		that, named, err := inv.matchOne(body)
		if err != nil {
			return nil, nil, err
		}
		if len(that) == 0 && !named {
			sel.Unmatched = append(sel.Unmatched, body)
		}
		if p[0] != '!' && p[0] != '&' && len(hosts) == 0 {
			hosts = that // the first part: nothing to merge with (duplicates go below)
			continue
		}
		set := inv.newSet()
		for _, h := range that {
			set.add(h)
		}
		switch p[0] {
		case '!':
			hosts = filter(hosts, func(h int32) bool { return !set.has(h) })
		case '&':
			hosts = filter(hosts, func(h int32) bool { return set.has(h) })
		default:
			seen := inv.newSet()
			for _, h := range hosts {
				seen.add(h)
			}
			for _, h := range that {
				if !seen.has(h) {
					seen.add(h)
					hosts = append(hosts, h)
				}
			}
		}
	}
	seen := inv.newSet()
	out := hosts[:0] // in place: hosts is this call's own
	for _, e := range hosts {
		if !seen.has(e) {
			seen.add(e)
			out = append(out, e)
		}
	}
	return out, sel.Unmatched, nil
}

// newSet is an empty set of host numbers, the implicit localhost's included.
func (inv *Inventory) newSet() bitset { return newBitset(inv.data.count + 1) }

func filter(hs []int32, keep func(int32) bool) []int32 {
	var out []int32
	for _, h := range hs {
		if keep(h) {
			out = append(out, h)
		}
	}
	return out
}

// localNames are the names Ansible gives the implicit localhost.
var localNames = map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}

// matchOne is Ansible's _match_one_pattern: a subscript is split off, groups whose names match contribute
// all their hosts, and host names are tried when no group matched or the pattern is a regex or a glob.
// It also reports whether a group matched (an empty group is not worth a warning) and gives the implicit
// localhost for localhost, 127.0.0.1 or ::1 when nothing else matched.
func (inv *Inventory) matchOne(pattern string) ([]int32, bool, error) {
	expr, sub, err := splitSubscript(pattern)
	if err != nil {
		return nil, false, err
	}
	re, err := compilePattern(expr)
	if err != nil {
		return nil, false, err
	}
	var out []int32
	groupMatched := false
	for _, g := range inv.data.groupOrder {
		if re.MatchString(g.name) {
			groupMatched = true
			out = append(out, inv.data.allHosts(g)...)
		}
	}
	if !groupMatched || expr[0] == '~' || strings.ContainsAny(expr, ".?*[") {
		var buf []byte
		for id := int32(0); id < inv.data.count; id++ {
			buf = inv.data.appendName(buf[:0], id)
			if re.Match(buf) {
				out = append(out, id)
			}
		}
	}
	if len(out) == 0 && localNames[expr] {
		out = []int32{inv.implicit}
	}
	if sub != nil && len(out) > 0 {
		out, err = sub.apply(out)
		if err != nil {
			return nil, false, fmt.Errorf("host pattern %q: %w", pattern, err)
		}
	}
	return out, groupMatched, nil
}

func compilePattern(expr string) (*regexp.Regexp, error) {
	if strings.HasPrefix(expr, "~") {
		// Python's re.match: anchored at the start only.
		re, err := regexp.Compile(`^(?:` + expr[1:] + `)`)
		if err != nil {
			return nil, fmt.Errorf("invalid regular expression in host pattern %q: %w", expr, err)
		}
		return re, nil
	}
	re, err := fnmatchRegexp(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid host pattern %q: %w", expr, err)
	}
	return re, nil
}

// subscript is a [i] or [start:end] suffix; end -1 means "to the last host".
type subscript struct {
	start, end int
	single     bool
}

var subscriptRe = regexp.MustCompile(`^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$`)

func splitSubscript(p string) (string, *subscript, error) {
	if p[0] == '~' {
		return p, nil, nil
	}
	m := subscriptRe.FindStringSubmatch(p)
	if m == nil {
		return p, nil, nil
	}
	if m[2] != "" {
		i, err := strconv.Atoi(m[2])
		if err != nil {
			return "", nil, fmt.Errorf("host pattern %q: bad index: %w", p, err)
		}
		return m[1], &subscript{start: i, single: true}, nil
	}
	start, err := strconv.Atoi(m[3])
	if err != nil {
		return "", nil, fmt.Errorf("host pattern %q: bad slice start: %w", p, err)
	}
	end := -1
	if m[5] != "" {
		if end, err = strconv.Atoi(m[5]); err != nil {
			return "", nil, fmt.Errorf("host pattern %q: bad slice end: %w", p, err)
		}
	}
	// Ansible quirk kept on purpose: an end of 0 is "false", so x[3:0] means x[3].
	return m[1], &subscript{start: start, end: end, single: end == 0}, nil
}

// apply is Ansible's _apply_subscript with Python's indexing: [i] must exist (negative counts from the end);
// [a:b] includes b and is cut to the hosts there are.
func (s *subscript) apply(hs []int32) ([]int32, error) {
	n := len(hs)
	if s.single {
		i := s.start
		if i < 0 {
			i += n
		}
		if i < 0 || i >= n {
			return nil, fmt.Errorf("index %d is out of range: only %d hosts matched", s.start, n)
		}
		return hs[i : i+1], nil
	}
	end := s.end
	if end == -1 {
		end = n - 1
	}
	lo, hi := min(s.start, n), min(end+1, n)
	if lo >= hi {
		return nil, nil
	}
	return hs[lo:hi], nil
}

var (
	patternSplit = regexp.MustCompile(`(?:[^\s:\[\]]|\[[^\]]*\])+`)
)

// SplitPattern splits a host pattern into its parts as Ansible's split_host_pattern does: on commas when
// there are any, else on colons outside [ranges], unless the whole pattern is one address (an IPv6
// address, or host:port).
func SplitPattern(pattern string) []string {
	var parts []string
	if strings.Contains(pattern, ",") {
		parts = strings.Split(pattern, ",")
	} else if isSingleAddress(pattern) {
		parts = []string{pattern}
	} else {
		parts = patternSplit.FindAllString(pattern, -1)
	}
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func isSingleAddress(p string) bool {
	p = strings.TrimSpace(p)
	if _, err := netip.ParseAddr(p); err == nil {
		return true
	}
	h, port := splitHostPort(p)
	if port != 0 {
		return true
	}
	return validHostname(h) && strings.Contains(h, "[")
}
