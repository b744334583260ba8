package inventory

import (
	"sort"
	"strconv"
)

// Inventory is every known host and group, merged from one or more sources, with hosts resolved for
// connecting. Build one with Load.
type Inventory struct {
	data     *data
	hosts    []*Host // the all group, in Ansible's order
	byName   map[string]*Host
	implicit *entry // the localhost that exists without an inventory entry, or the explicit one Ansible would use
}

// Hosts lists every host of the inventory in Ansible's order (what the pattern all gives). The implicit
// localhost is not among them, as in Ansible; Host("localhost") and Match("localhost") find it.
func (inv *Inventory) Hosts() []*Host {
	return append([]*Host(nil), inv.hosts...)
}

// Host finds a host by its inventory name, including the implicit localhost.
func (inv *Inventory) Host(name string) (*Host, bool) {
	h, ok := inv.byName[name]
	if !ok && localNames[name] && inv.implicit != nil {
		h, ok = inv.byName[inv.implicit.name], true
	}
	return h, ok
}

// Groups lists the group names, sorted (all and ungrouped included).
func (inv *Inventory) Groups() []string {
	out := make([]string, 0, len(inv.data.groups))
	for n := range inv.data.groups {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// GroupVars returns a copy of a group's own variables (not inherited ones), and whether the group exists.
func (inv *Inventory) GroupVars(name string) (map[string]string, bool) {
	g, ok := inv.data.groups[name]
	if !ok {
		return nil, false
	}
	out := make(map[string]string, len(g.vars))
	for k, v := range g.vars {
		out[k] = v
	}
	return out, true
}

// Children lists a group's direct child groups in the order they were added.
func (inv *Inventory) Children(name string) []string {
	g, ok := inv.data.groups[name]
	if !ok {
		return nil
	}
	out := make([]string, len(g.children))
	for i, c := range g.children {
		out[i] = c.name
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }
