package inventory

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// parseYAML reads an Ansible YAML inventory (hosts.yml) into d, following Ansible's yaml plugin: each
// top-level key is a group whose mapping may hold hosts (name or range, optionally :port, to its
// variables), vars and children (groups defined the same way), handled in the order they are written.
func (d *data) parseYAML(file string, src []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return parseErr(file, yamlErrLine(err), "not a YAML inventory: %v", err)
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return parseErr(file, 1, "the YAML inventory is empty: Ansible refuses it too")
	}
	top := deref(doc.Content[0])
	if top.Kind != yaml.MappingNode {
		return parseErr(file, top.Line, "a YAML inventory is a mapping of group names (all:, web:, ...), not a %s", kindName(top))
	}
	b := &yamlBudget{left: 4*countNodes(&doc) + 1024}
	for _, kv := range b.pairs(top) {
		if kv.key == "plugin" {
			return parseErr(file, kv.line, "this is an inventory plugin's configuration (plugin: ...), which firebreak does not run; use ansible-inventory -i %s --list -y > hosts.yml and give firebreak that", file)
		}
	}
	for _, kv := range b.pairs(top) {
		if _, err := d.yamlGroup(b, file, kv.key, kv.val, kv.line, 0); err != nil {
			return err
		}
	}
	return b.spent(file)
}

// yamlGroup reads one group definition (a mapping or null); anything else is skipped, as Ansible skips it
// with a warning, and reported false.
func (d *data) yamlGroup(b *yamlBudget, file, name string, n *yaml.Node, line, depth int) (bool, error) {
	if depth > maxYAMLDepth {
		return false, parseErr(file, line, "groups nested more than %d deep: check for an alias that refers to itself", maxYAMLDepth)
	}
	if err := b.spent(file); err != nil {
		return false, err
	}
	if !isNull(n) && n.Kind != yaml.MappingNode {
		return false, nil
	}
	g := d.addGroup(name)
	if isNull(n) {
		return true, nil
	}
	sections := b.pairs(n)
	for i := range sections {
		kv := &sections[i]
		if kv.key != "vars" && kv.key != "children" && kv.key != "hosts" {
			continue
		}
		if kv.val.Kind == yaml.ScalarNode && !isNull(kv.val) { // `hosts: web1` is `hosts: {web1: }`
			kv.val = &yaml.Node{Kind: yaml.MappingNode, Line: kv.val.Line, Content: []*yaml.Node{kv.val, {Kind: yaml.ScalarNode, Tag: "!!null"}}}
		}
		if !isNull(kv.val) && kv.val.Kind != yaml.MappingNode {
			return false, parseErr(file, kv.line, "group %s: %s must be a mapping (name: ...), not a %s", name, kv.key, kindName(kv.val))
		}
	}
	for _, kv := range sections {
		if isNull(kv.val) || kv.val.Kind != yaml.MappingNode {
			continue // null or not a mapping: skipped by Ansible (with a warning for the latter)
		}
		switch kv.key {
		case "vars":
			for _, v := range b.pairs(kv.val) {
				if err := g.setVar(v.key, b.value(v.val)); err != nil {
					return false, parseErr(file, v.line, "%v", err)
				}
			}
		case "children":
			for _, c := range b.pairs(kv.val) {
				ok, err := d.yamlGroup(b, file, c.key, c.val, c.line, depth+1)
				if err != nil {
					return false, err
				}
				child, known := d.groups[c.key]
				if !ok && !known {
					return false, parseErr(file, c.line, "group %s: child %s is neither a group definition nor a known group", name, c.key)
				}
				if err := addChildGroup(g, child); err != nil {
					return false, parseErr(file, c.line, "%v", err)
				}
			}
		case "hosts":
			for _, h := range b.pairs(kv.val) {
				var vars []pair
				if v := deref(h.val); v.Kind == yaml.MappingNode {
					vars = b.pairs(v)
				} else if !isNull(v) {
					return false, parseErr(file, h.line, "host %s: its variables must be a mapping, not a %s", h.key, kindName(v))
				}
				kvs := make([][2]string, len(vars))
				for i, v := range vars {
					kvs[i] = [2]string{v.key, b.value(v.val)}
				}
				if err := d.sourceHosts(file, h.line, h.key, g, kvs); err != nil {
					return false, err
				}
			}
		}
	}
	return true, nil
}

// sourceHosts adds the hosts of pattern (a name or range, optionally name:port) to g with the variables
// vars, as Ansible's _populate_host_vars does for the yaml and script plugins: the port counts only for a
// host that is new.
func (d *data) sourceHosts(file string, line int, pattern string, g *group, vars [][2]string) error {
	name, port := splitHostPort(pattern)
	if err := checkHostName(name); err != nil {
		return parseErr(file, line, "%v", err)
	}
	names, err := d.expand(name)
	if err != nil {
		return parseErr(file, line, "%v", err)
	}
	for _, n := range names {
		if n == "" {
			return parseErr(file, line, "empty host name")
		}
		_, known := d.lookup(n)
		id := d.addHost(n, g, file, line)
		if (known || port == 0) && len(vars) == 0 {
			continue
		}
		e := d.own(id)
		if !known && port != 0 {
			e.vars["ansible_port"] = itoa(port)
		}
		for _, kv := range vars {
			setVar(e.vars, kv[0], kv[1])
		}
	}
	return d.full(file, line)
}

// pair is one key of a mapping with its value.
type pair struct {
	key  string
	val  *yaml.Node
	line int
}

// pairs lists a mapping's keys in order, as a Python dict keeps them: a repeated key keeps its first place
// and its last value; << merges (YAML merge keys) add the keys not written out.
func (b *yamlBudget) pairs(n *yaml.Node) []pair { return b.pairsIn(n, 0) }

// yamlBudget bounds the work of reading one YAML file: aliases can refer to themselves (x: &a {<<: *a})
// or double at each level (a billion laughs), so nesting is bounded and every node read is counted.
type yamlBudget struct{ left int }

// maxYAMLDepth bounds nesting; a file may read four times its own nodes (aliases), no more.
const maxYAMLDepth = 64

// countNodes counts the nodes written in the file, not following aliases.
func countNodes(n *yaml.Node) int {
	c := 1
	for _, k := range n.Content {
		c += countNodes(k)
	}
	return c
}

// spent reports the budget used up, as an error for file.
func (b *yamlBudget) spent(file string) error {
	if b.left >= 0 {
		return nil
	}
	return parseErr(file, 1, "aliases expand the YAML to more than four times its size: check for an alias that refers to itself")
}

func (b *yamlBudget) pairsIn(n *yaml.Node, depth int) []pair {
	n = deref(n)
	b.left -= 1 + len(n.Content)/2
	if depth > maxYAMLDepth || b.left < 0 {
		return nil
	}
	var out []pair
	at := map[string]int{}
	add := func(p pair, override bool) {
		if i, ok := at[p.key]; ok {
			if override {
				out[i].val = p.val
			}
			return
		}
		at[p.key] = len(out)
		out = append(out, p)
	}
	var merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0) {
			srcs := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				srcs = v.Content
			}
			for _, s := range srcs {
				if s = deref(s); s.Kind == yaml.MappingNode {
					merged = append(merged, b.pairsIn(s, depth+1)...)
				}
			}
			continue
		}
		add(pair{key: k.Value, val: v, line: k.Line}, true)
	}
	for _, p := range merged {
		add(p, false)
	}
	return out
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return deref(n.Content[0])
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.Style == 0 && (n.Tag == "!!null" || yaml11Null[n.Value])
}

func kindName(n *yaml.Node) string {
	switch deref(n).Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	}
	return "string"
}

// YAML 1.1's plain scalars, which Ansible's PyYAML resolves: yes/on are booleans, 0755 is octal, 1e3
// (no point) is a string.
var (
	yaml11Null  = map[string]bool{"": true, "~": true, "null": true, "Null": true, "NULL": true}
	yaml11True  = map[string]bool{"yes": true, "Yes": true, "YES": true, "true": true, "True": true, "TRUE": true, "on": true, "On": true, "ON": true}
	yaml11False = map[string]bool{"no": true, "No": true, "NO": true, "false": true, "False": true, "FALSE": true, "off": true, "Off": true, "OFF": true}
	yaml11Int   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$`)
	yaml11Float = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
)

// value is a variable's value as text: strings as written, numbers and booleans as Python prints them
// (True, 16, 1000.0), null as empty, lists and mappings as JSON.
func (b *yamlBudget) value(n *yaml.Node) string { return b.json(n, 0).text() }

// json is a YAML value as PyYAML (YAML 1.1) types it, in the JSON model the script plugin shares.
func (b *yamlBudget) json(n *yaml.Node, depth int) *jsonValue {
	n = deref(n)
	b.left--
	if depth > maxYAMLDepth || b.left < 0 {
		return &jsonValue{kind: 'n'}
	}
	switch n.Kind {
	case yaml.MappingNode:
		v := &jsonValue{kind: '{'}
		for _, p := range b.pairs(n) {
			v.keys = append(v.keys, p.key)
			v.vals = append(v.vals, b.json(p.val, depth+1))
		}
		return v
	case yaml.SequenceNode:
		v := &jsonValue{kind: '['}
		for _, e := range n.Content {
			v.vals = append(v.vals, b.json(e, depth+1))
		}
		return v
	}
	s := n.Value
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return &jsonValue{kind: '"', str: s}
	}
	if n.Style&yaml.TaggedStyle != 0 && (n.Tag == "!!str" || !strings.HasPrefix(n.Tag, "!!")) {
		return &jsonValue{kind: '"', str: s} // !!str, or a local tag such as Ansible's !unsafe
	}
	switch {
	case yaml11Null[s]:
		return &jsonValue{kind: 'n'}
	case yaml11True[s]:
		return &jsonValue{kind: 'b', str: "True"}
	case yaml11False[s]:
		return &jsonValue{kind: 'b', str: "False"}
	case yaml11Int.MatchString(s):
		return &jsonValue{kind: '0', str: yaml11IntValue(s)}
	case yaml11Float.MatchString(s):
		return &jsonValue{kind: '0', str: yaml11FloatValue(s)}
	}
	return &jsonValue{kind: '"', str: s}
}

// yaml11IntValue is the decimal value of a YAML 1.1 integer (0b, 0x, a leading 0 for octal, underscores).
func yaml11IntValue(v string) string {
	v = strings.ReplaceAll(v, "_", "")
	neg := false
	if v[0] == '-' || v[0] == '+' {
		neg, v = v[0] == '-', v[1:]
	}
	base := 10
	switch {
	case strings.HasPrefix(v, "0b"):
		base, v = 2, v[2:]
	case strings.HasPrefix(v, "0x"):
		base, v = 16, v[2:]
	case len(v) > 1 && v[0] == '0':
		base = 8
	}
	n, ok := new(big.Int).SetString(v, base)
	if !ok {
		return v
	}
	if neg {
		n.Neg(n)
	}
	return n.String()
}

// yaml11FloatValue is Python's repr of a YAML 1.1 float.
func yaml11FloatValue(v string) string {
	switch strings.ToLower(strings.TrimLeft(v, "+")) {
	case ".inf":
		return "inf"
	case "-.inf":
		return "-inf"
	case ".nan":
		return "nan"
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(v, "_", ""), 64)
	if err != nil && !math.IsInf(f, 0) {
		return v
	}
	return pyRepr(f)
}

// yamlErrLine finds the line in a yaml error message ("yaml: line 3: ..."), or 1.
func yamlErrLine(err error) int {
	var n int
	if _, e := fmt.Sscanf(strings.TrimPrefix(err.Error(), "yaml: "), "line %d:", &n); e == nil {
		return n
	}
	return 1
}

// looksLikeYAML says src parses as a YAML mapping, the only YAML that Ansible's yaml plugin accepts.
func looksLikeYAML(src []byte) bool {
	var doc yaml.Node
	if yaml.Unmarshal(src, &doc) != nil || len(doc.Content) == 0 {
		return false
	}
	return deref(doc.Content[0]).Kind == yaml.MappingNode
}
