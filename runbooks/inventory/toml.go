package inventory

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/firebreak/firebreak/runbooks/tomlcheck"
)

// tomlInventory is the firebreak TOML inventory format (documented in the README):
//
//	[vars]                      # variables for every host (the all group)
//	secret_vars = [...]         # names whose values are secret (firebreak_secret_vars of the all group)
//	[[group]]  name, children, vars
//	[[host]]   name, address, port, user, identity_file, proxy_jump, connection, groups, vars
//
// Arrays of tables keep the file's order, which is the inventory order.
type tomlInventory struct {
	SecretVars []string       `toml:"secret_vars"`
	Vars       map[string]any `toml:"vars"`
	Group      []tomlGroup    `toml:"group"`
	Host       []tomlHost     `toml:"host"`
}

type tomlGroup struct {
	Name     string         `toml:"name"`
	Children []string       `toml:"children"`
	Vars     map[string]any `toml:"vars"`
}

type tomlHost struct {
	Name         string         `toml:"name"`
	Address      string         `toml:"address"`
	Port         int            `toml:"port"`
	User         string         `toml:"user"`
	IdentityFile string         `toml:"identity_file"`
	ProxyJump    string         `toml:"proxy_jump"`
	Connection   string         `toml:"connection"`
	Groups       []string       `toml:"groups"`
	Vars         map[string]any `toml:"vars"`
}

// parseTOML reads a firebreak TOML inventory into d. Host fields are the same as the Ansible variables
// (address is ansible_host, port ansible_port, ...), so precedence and ssh_config resolution are the same.
func (d *data) parseTOML(file string, src []byte) error {
	var f tomlInventory
	if err := tomlcheck.Decode(file, src, &f); err != nil {
		return err
	}
	pos := func(path ...any) int {
		line, _, _ := tomlcheck.KeyPos(src, path...)
		return line
	}
	all := d.groups["all"]
	if err := setVars(file, pos("vars"), f.Vars, all.setVar); err != nil {
		return err
	}
	if len(f.SecretVars) > 0 {
		setVar(all.vars, SecretVarsVar, strings.Join(f.SecretVars, ","))
	}
	for i, g := range f.Group {
		if g.Name == "" {
			return parseErr(file, pos("group", i), "[[group]] needs a name")
		}
		d.addGroup(g.Name)
	}
	for i, tg := range f.Group {
		g := d.groups[tg.Name]
		if err := setVars(file, pos("group", i, "vars"), tg.Vars, g.setVar); err != nil {
			return err
		}
		for _, c := range tg.Children {
			child, ok := d.groups[c]
			if !ok {
				return parseErr(file, pos("group", i, "children"), "group %s lists child group %s, which is not defined: add a [[group]] with name = %q", tg.Name, c, c)
			}
			if err := addChildGroup(g, child); err != nil {
				return parseErr(file, pos("group", i, "children"), "%v", err)
			}
		}
	}
	for i, th := range f.Host {
		line := pos("host", i)
		if th.Name == "" {
			return parseErr(file, line, "[[host]] needs a name")
		}
		if err := checkHostName(th.Name); err != nil {
			return parseErr(file, pos("host", i, "name"), "%v", err)
		}
		r, isRange := parseRange(th.Name, min(d.maxHosts-int(d.count), maxExpand))
		var names []string
		var err error
		if !isRange {
			if names, err = d.expand(th.Name); err != nil {
				return parseErr(file, pos("host", i, "name"), "%v", err)
			}
		}
		if th.Port < 0 || th.Port > 65535 {
			return parseErr(file, pos("host", i, "port"), "port %d is not a port number (1-65535)", th.Port)
		}
		var groups []*group
		for _, gn := range th.Groups {
			groups = append(groups, d.addGroup(gn))
		}
		// setHostVars gives one host (or a range's shared entry) the variables of the table.
		setHostVars := func(vars map[string]string) error {
			if err := setVars(file, pos("host", i, "vars"), th.Vars, func(k, v string) error { setVar(vars, k, v); return nil }); err != nil {
				return err
			}
			for k, v := range map[string]string{
				"ansible_host": th.Address, "ansible_user": th.User, "ansible_ssh_private_key_file": th.IdentityFile,
				"firebreak_proxy_jump": th.ProxyJump, "ansible_connection": th.Connection,
			} {
				if v != "" {
					vars[k] = v
				}
			}
			if th.Port != 0 {
				vars["ansible_port"] = strconv.Itoa(th.Port)
			}
			return nil
		}
		if isRange {
			shared := map[string]string{}
			if err := setHostVars(shared); err != nil {
				return err
			}
			in := []*group{d.groups["ungrouped"]}
			if len(groups) > 0 {
				in = nil
				for _, g := range groups {
					if !slices.Contains(in, g) {
						in = append(in, g)
					}
				}
			}
			if d.addRange(r, in, shared, file, line) {
				if err := d.full(file, line); err != nil {
					return err
				}
				continue
			}
			if names, err = d.expand(th.Name); err != nil {
				return parseErr(file, pos("host", i, "name"), "%v", err)
			}
		}
		for _, n := range names {
			var id int32
			if len(groups) == 0 {
				id = d.addHost(n, d.groups["ungrouped"], file, line)
			}
			for _, g := range groups {
				id = d.addHost(n, g, file, line)
			}
			if err := setHostVars(d.own(id).vars); err != nil {
				return err
			}
		}
		if err := d.full(file, line); err != nil {
			return err
		}
	}
	return nil
}

// setVars stores TOML values as strings: strings as they are, numbers and booleans as written.
func setVars(file string, line int, vars map[string]any, set func(k, v string) error) error {
	for _, k := range sortedKeys(vars) {
		var s string
		switch v := vars[k].(type) {
		case string:
			s = v
		case int64:
			s = strconv.FormatInt(v, 10)
		case float64:
			s = strconv.FormatFloat(v, 'g', -1, 64)
		case bool:
			s = strconv.FormatBool(v)
		default:
			return parseErr(file, line, "variable %s: values must be strings, numbers or booleans, not %T", k, v)
		}
		if err := set(k, s); err != nil {
			return parseErr(file, line, "variable %s: %v", k, err)
		}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
