package inventory

import (
	"regexp"
	"strings"
)

var (
	iniSection   = regexp.MustCompile(`^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$`)
	iniGroupName = regexp.MustCompile(`^([^:\]\s]+)\s*(?:#.*)?$`)
)

// pending is a group named in [x:children] or [x:vars] before it is defined, as Ansible tracks it.
type pending struct {
	line    int
	state   string
	parents []string
}

// parseINI reads an Ansible INI inventory into d, following Ansible's ini plugin line for line: sections
// [g], [g:children], [g:vars]; hosts before any section are ungrouped; ; and # start comment lines.
func (d *data) parseINI(file string, src []byte) error {
	text := strings.TrimPrefix(string(src), "\ufeff")
	pend := map[string]*pending{}
	var pendOrder []string
	groupname, state := "ungrouped", "hosts"
	for i, raw := range strings.Split(text, "\n") {
		lineno := i + 1
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == ';' || line[0] == '#' {
			continue
		}
		if m := iniSection.FindStringSubmatch(line); m != nil {
			groupname, state = m[1], m[2]
			if state == "" {
				state = "hosts"
			}
			if state != "hosts" && state != "children" && state != "vars" {
				return parseErr(file, lineno, "section [%s:%s] has unknown type %q: use [%s], [%s:children] or [%s:vars]", m[1], m[2], m[2], m[1], m[1], m[1])
			}
			if _, ok := d.groups[groupname]; !ok {
				if _, ok := pend[groupname]; state == "vars" && !ok {
					pend[groupname] = &pending{line: lineno, state: state}
					pendOrder = append(pendOrder, groupname)
				}
				d.addGroup(groupname)
			}
			if p, ok := pend[groupname]; ok && state != "vars" {
				if p.state == "children" {
					if err := d.addPendingChildren(file, groupname, pend); err != nil {
						return err
					}
				} else {
					delete(pend, groupname)
				}
			}
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			return parseErr(file, lineno, "invalid section %q: a section is [group], [group:children] or [group:vars], with no spaces", line)
		}
		switch state {
		case "hosts":
			if err := d.iniHostLine(file, lineno, line, groupname); err != nil {
				return err
			}
		case "vars":
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return parseErr(file, lineno, "expected key=value in [%s:vars], got %q", groupname, line)
			}
			if err := d.groups[groupname].setVar(strings.TrimSpace(k), iniValue(strings.TrimSpace(v))); err != nil {
				return parseErr(file, lineno, "%v", err)
			}
		case "children":
			m := iniGroupName.FindStringSubmatch(line)
			if m == nil {
				return parseErr(file, lineno, "expected a group name in [%s:children], got %q", groupname, line)
			}
			child := m[1]
			if _, ok := d.groups[child]; !ok {
				if p, ok := pend[child]; ok {
					p.parents = append(p.parents, groupname)
				} else {
					pend[child] = &pending{line: lineno, state: "children", parents: []string{groupname}}
					pendOrder = append(pendOrder, child)
				}
			} else if err := addChildGroup(d.groups[groupname], d.groups[child]); err != nil {
				return parseErr(file, lineno, "%v", err)
			}
		}
	}
	for _, name := range pendOrder {
		p, ok := pend[name]
		if !ok {
			continue
		}
		if p.state == "vars" {
			return parseErr(file, p.line, "section [%s:vars] is for group %s, which is never defined: add a [%s] section or fix the name", name, name, name)
		}
		return parseErr(file, p.line, "section [%s:children] includes group %s, which is never defined: add a [%s] section or fix the name", p.parents[len(p.parents)-1], name, name)
	}
	return nil
}

func (d *data) addPendingChildren(file, name string, pend map[string]*pending) error {
	p := pend[name]
	delete(pend, name)
	for _, parent := range p.parents {
		if err := addChildGroup(d.groups[parent], d.groups[name]); err != nil {
			return parseErr(file, p.line, "%v", err)
		}
		if pp, ok := pend[parent]; ok && pp.state == "children" {
			if err := d.addPendingChildren(file, parent, pend); err != nil {
				return err
			}
		}
	}
	return nil
}

// iniHostLine reads `name[:port] [key=value ...]`, name possibly a range, into group.
func (d *data) iniHostLine(file string, lineno int, line, groupname string) error {
	toks, err := shlexSplit(line)
	if err != nil {
		return parseErr(file, lineno, "cannot parse host line %q: %v", line, err)
	}
	if len(toks) == 0 {
		return nil
	}
	pattern, port := splitHostPort(toks[0])
	if port == 0 && strings.HasSuffix(strings.TrimSpace(toks[0]), ":") {
		return parseErr(file, lineno, "host %q ends in ':', which is reserved for a port (name:22)", toks[0])
	}
	if err := checkHostName(pattern); err != nil {
		return parseErr(file, lineno, "%v", err)
	}
	r, isRange := parseRange(pattern, min(d.maxHosts-int(d.count), maxExpand))
	var names []string
	if !isRange {
		if names, err = d.expand(pattern); err != nil {
			return parseErr(file, lineno, "%v", err)
		}
	}
	vars := map[string]string{}
	var keys []string
	for _, t := range toks[1:] {
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			return parseErr(file, lineno, "expected key=value host variable after %s, got %q", toks[0], t)
		}
		if _, seen := vars[k]; !seen {
			keys = append(keys, k)
		}
		vars[k] = iniValue(v)
	}
	g := d.groups[groupname]
	if isRange {
		// The line's hosts share one entry: the variables each of them would get.
		shared := map[string]string{}
		if port != 0 {
			shared["ansible_port"] = itoa(port)
		}
		for _, k := range keys {
			setVar(shared, k, vars[k])
		}
		if len(shared) == 0 {
			shared = nil
		}
		if d.addRange(r, []*group{g}, shared, file, lineno) {
			return d.full(file, lineno)
		}
		if names, err = d.expand(pattern); err != nil {
			return parseErr(file, lineno, "%v", err)
		}
	}
	for _, n := range names {
		if strings.TrimSpace(n) == "---" {
			return parseErr(file, lineno, "host %q: '---' is a sign this is a YAML file: name it .yml for firebreak to read it as YAML", n)
		}
		if n == "" {
			return parseErr(file, lineno, "empty host name")
		}
		_, known := d.lookup(n)
		id := d.addHost(n, g, file, lineno)
		hostPort := port
		if known {
			hostPort = 0 // Ansible sets name:port's port only when the host is new: the first definition keeps it
		}
		if hostPort == 0 && len(keys) == 0 {
			continue
		}
		h := d.own(id)
		if hostPort != 0 {
			h.vars["ansible_port"] = itoa(hostPort)
		}
		for _, k := range keys {
			setVar(h.vars, k, vars[k])
		}
	}
	return d.full(file, lineno)
}
