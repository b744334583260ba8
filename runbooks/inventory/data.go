package inventory

import (
	"errors"
	"fmt"
	"hash/maphash"
	"sort"
	"strings"
)

// group is an inventory group as Ansible models it: direct hosts, child groups, variables.
type group struct {
	name     string
	hosts    []int32
	children []*group
	parents  []*group
	vars     map[string]string
	priority int
	depth    int
}

// entry is a host before connection details are resolved.
type entry struct {
	name   string            // empty for a range line's shared entry
	vars   map[string]string // nil until a variable is set
	groups []*group          // direct groups, in the order the host joined them
	file   string            // where the host was first defined, for errors
	line   int
}

// data accumulates one or more inventory sources the way Ansible's InventoryData does, so that loading
// several files gives the same groups, order and variables as `ansible -i a -i b`.
type data struct {
	groups     map[string]*group
	groupOrder []*group
	blocks     []block          // the hosts, numbered 0 to count-1 in definition order (see hoststore.go)
	count      int32            // how many hosts
	owned      map[int32]*entry // range hosts changed since their line, with their own entry
	index      []int32          // name index: host number + 1, 0 for an empty slot
	indexed    int              // hosts in index
	seed       maphash.Seed     // of the name index
	maxHosts   int              // the most hosts all sources together may hold
}

// DefaultMaxHosts is the most hosts the inventories may hold together unless [limits] max_hosts says
// otherwise: past it a typo in a range, not a fleet, is the likely cause.
const DefaultMaxHosts = 1000000

func newData() *data {
	d := &data{groups: map[string]*group{}, seed: maphash.MakeSeed(), maxHosts: DefaultMaxHosts}
	all := d.addGroup("all")
	_ = addChildGroup(all, d.addGroup("ungrouped"))
	return d
}

func (d *data) addGroup(name string) *group {
	if g, ok := d.groups[name]; ok {
		return g
	}
	g := &group{name: name, vars: map[string]string{}, priority: 1}
	d.groups[name] = g
	d.groupOrder = append(d.groupOrder, g)
	return g
}

// expand expands the host range name (see expandRange), refusing before it expands when the inventory
// would then hold more than maxHosts hosts.
func (d *data) expand(name string) ([]string, error) {
	if !strings.Contains(name, "[") { // one name: it may be a host already there, counted when added
		return []string{name}, nil
	}
	room := d.maxHosts - int(d.count)
	names, err := expandRange(name, min(room, maxExpand))
	if errors.Is(err, errTooMany) && room < maxExpand {
		return nil, fmt.Errorf("%q would take the inventory past %d hosts in all: check the range, or raise [limits] max_hosts in the config", name, d.maxHosts)
	}
	return names, err
}

// full reports an inventory past maxHosts, at the line that took it there.
func (d *data) full(file string, line int) error {
	if int(d.count) <= d.maxHosts {
		return nil
	}
	return parseErr(file, line, "the inventory holds more than %d hosts in all: split it, or raise [limits] max_hosts in the config", d.maxHosts)
}

// addHost adds the host if it is new, defined at file:line, and puts it in g (when g is not nil).
func (d *data) addHost(name string, g *group, file string, line int) int32 {
	id, ok := d.lookup(name)
	if !ok {
		id = d.count
		d.blocks = append(d.blocks, block{first: id, n: 1, e: &entry{name: name, file: file, line: line}})
		d.count++
		d.insert(id)
	}
	if g != nil {
		d.join(id, g)
	}
	return id
}

// join puts host id in g.
func (d *data) join(id int32, g *group) {
	// The host's own groups are few where a group's hosts may be a million: look there (the two lists are
	// kept in step), or loading a large group is quadratic.
	for _, x := range d.entry(id).groups {
		if x == g {
			return
		}
	}
	g.hosts = append(g.hosts, id)
	e := d.own(id)
	e.groups = append(e.groups, g)
}

// setVar sets a group variable; ansible_group_priority sets the priority instead, as in Ansible.
func (g *group) setVar(k, v string) error {
	if k == "ansible_group_priority" {
		var p int
		if _, err := fmt.Sscan(v, &p); err != nil {
			return fmt.Errorf("ansible_group_priority must be an integer, got %q", v)
		}
		g.priority = p
		return nil
	}
	setVar(g.vars, k, v)
	return nil
}

// addChildGroup makes child a child of parent, refusing cycles as Ansible does.
func addChildGroup(parent, child *group) error {
	if parent == child {
		return fmt.Errorf("can't add group %s to itself", parent.name)
	}
	for _, c := range parent.children {
		if c == child {
			return nil
		}
	}
	if parent.ancestors()[child] {
		return fmt.Errorf("adding group %s as a child of %s creates a loop", child.name, parent.name)
	}
	parent.children = append(parent.children, child)
	child.parents = append(child.parents, parent)
	return nil
}

// ancestors is every group above g.
func (g *group) ancestors() map[*group]bool {
	seen := map[*group]bool{}
	stack := append([]*group(nil), g.parents...)
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !seen[p] {
			seen[p] = true
			stack = append(stack, p.parents...)
		}
	}
	return seen
}

// descendants lists g and the groups below it level by level, each level in the order the children were
// added: Ansible's get_descendants(preserve_ordering=True). (Ansible walks levels below the first through a
// Python set, so its order there is not even stable between runs; level order by insertion is the
// deterministic reading of it.)
func (g *group) descendants() []*group {
	out := []*group{g}
	seen := map[*group]bool{g: true}
	level := []*group{g}
	for len(level) > 0 {
		var next []*group
		for _, p := range level {
			for _, c := range p.children {
				if !seen[c] {
					seen[c] = true
					out = append(out, c)
					next = append(next, c)
				}
			}
		}
		level = next
	}
	return out
}

// allHosts lists the hosts of g and its descendants, without duplicates: Ansible's Group.get_hosts.
func (d *data) allHosts(g *group) []int32 {
	groups := g.descendants()
	n := 0
	for _, k := range groups {
		n += len(k.hosts)
	}
	out := make([]int32, 0, min(n, int(d.count))) // one allocation, not a million-host slice grown by copies
	seen := newBitset(d.count)
	for _, k := range groups {
		for _, h := range k.hosts {
			if !seen.has(h) {
				seen.add(h)
				out = append(out, h)
			}
		}
	}
	return out
}

// reconcile applies Ansible's rules after every source is read: groups without a parent become children of
// all, hosts in no group join ungrouped, hosts in another group leave ungrouped; then depths are computed.
func (d *data) reconcile() {
	all, ungrouped := d.groups["all"], d.groups["ungrouped"]
	for _, g := range d.groupOrder {
		if g != all && len(g.parents) == 0 {
			_ = addChildGroup(all, g)
		}
	}
	// A range line's hosts share an entry: decide once for it, and for each of them that has its own.
	const (
		stay = iota
		leave
		join
	)
	decide := func(e *entry) int {
		inUngrouped, other := false, false
		for _, g := range e.groups {
			switch g {
			case ungrouped:
				inUngrouped = true
			case all:
			default:
				other = true
			}
		}
		if inUngrouped && other {
			return leave
		} else if !inUngrouped && !other {
			return join
		}
		return stay
	}
	var leaving bitset
	changed := map[*entry]int{}
	for bi := range d.blocks {
		b := &d.blocks[bi]
		shared := decide(b.e)
		for id := b.first; id < b.first+b.n; id++ {
			e, what := b.e, shared
			if o, ok := d.owned[id]; ok && b.r != nil {
				e, what = o, decide(o)
			}
			switch what {
			case leave:
				if leaving == nil {
					leaving = newBitset(d.count)
				}
				leaving.add(id)
			case join:
				ungrouped.hosts = append(ungrouped.hosts, id)
			}
			if what != stay {
				changed[e] = what
			}
		}
	}
	if leaving != nil { // one pass: removing them one by one is quadratic in a large ungrouped
		kept := ungrouped.hosts[:0]
		for _, h := range ungrouped.hosts {
			if !leaving.has(h) {
				kept = append(kept, h)
			}
		}
		ungrouped.hosts = kept
	}
	for e, what := range changed {
		if what == join {
			e.groups = append(e.groups, ungrouped)
			continue
		}
		for i, x := range e.groups {
			if x == ungrouped {
				e.groups = append(e.groups[:i:i], e.groups[i+1:]...)
				break
			}
		}
	}
	for _, g := range d.groupOrder {
		g.depth = 0
	}
	setDepth(all, 0, map[*group]bool{})
}

// setDepth gives every group its longest distance from all, the depth Ansible sorts group variables by.
func setDepth(g *group, depth int, visited map[*group]bool) {
	if visited[g] && depth <= g.depth {
		return
	}
	visited[g] = true
	g.depth = depth
	for _, c := range g.children {
		setDepth(c, depth+1, visited)
	}
}

// hostGroups is every group the host belongs to, directly or as an ancestor, all included.
func (h *entry) hostGroups() []*group {
	seen := map[*group]bool{}
	var out []*group
	for _, g := range h.groups {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
		for a := range g.ancestors() {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out
}

// effectiveVars combines group variables in Ansible's order (depth, then priority, then name; later wins)
// and then the host's own variables.
func (h *entry) effectiveVars(all *group) map[string]string {
	gs := h.hostGroups()
	found := false
	for _, g := range gs {
		found = found || g == all
	}
	if !found {
		gs = append(gs, all)
	}
	sort.SliceStable(gs, func(i, j int) bool {
		a, b := gs[i], gs[j]
		if a.depth != b.depth {
			return a.depth < b.depth
		}
		if a.priority != b.priority {
			return a.priority < b.priority
		}
		return a.name < b.name
	})
	out := map[string]string{}
	for _, g := range gs {
		for k, v := range g.vars {
			out[k] = v
		}
	}
	for k, v := range h.vars {
		out[k] = v
	}
	return out
}
