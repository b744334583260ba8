package inventory

import (
	"fmt"
	"sort"
	"strconv"
	"sync"
)

// Inventory is every known host and group, merged from one or more sources. Build one with Load.
//
// Every host's connection details were checked when it was loaded; a host's *Host is made the first time
// a caller asks for it (Host, Hosts, Match, Select) and kept, so that loading a million hosts does not
// hold a million of them.
type Inventory struct {
	data     *data
	implicit int32 // the localhost Ansible would use: an inventory host, or data.count for local
	local    *Host // the localhost that exists without an inventory entry

	res  *resolver
	mu   sync.Mutex
	byID map[int32]*Host // hosts made so far
}

// host is the *Host of host number id, made on first use.
func (inv *Inventory) host(id int32) *Host {
	if id == inv.data.count {
		return inv.local
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if h, ok := inv.byID[id]; ok {
		return h
	}
	h, err := inv.res.resolve(inv.data.name(id), inv.data.entry(id))
	if err != nil {
		// Load resolved every host once, and resolving depends on nothing that has changed since.
		panic(fmt.Sprintf("inventory: host %s resolved when loaded, not now: %v", inv.data.name(id), err))
	}
	inv.byID[id] = h
	return h
}

// hostName is the name of host number id.
func (inv *Inventory) hostName(id int32) string {
	if id == inv.data.count {
		return inv.local.Name
	}
	return inv.data.name(id)
}

// Hosts lists every host of the inventory in Ansible's order (what the pattern all gives). The implicit
// localhost is not among them, as in Ansible; Host("localhost") and Match("localhost") find it.
func (inv *Inventory) Hosts() []*Host {
	ids := inv.data.allHosts(inv.data.groups["all"])
	out := make([]*Host, len(ids))
	for i, id := range ids {
		out[i] = inv.host(id)
	}
	return out
}

// Len is the number of hosts Hosts lists, without making them.
func (inv *Inventory) Len() int { return len(inv.data.allHosts(inv.data.groups["all"])) }

// Host finds a host by its inventory name, including the implicit localhost.
func (inv *Inventory) Host(name string) (*Host, bool) {
	if id, ok := inv.data.lookup(name); ok {
		return inv.host(id), true
	}
	if localNames[name] {
		return inv.host(inv.implicit), true
	}
	return nil, false
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
