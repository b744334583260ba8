package inventory

import (
	"bytes"
	"hash/maphash"
	"maps"
	"sort"
)

// The hosts of an inventory are numbered in the order they were first defined (Ansible's order). A host
// is a number, not a value: a range line's hosts stay one block sharing the line's entry, and a name is
// made from the range when it is asked for. A million hosts cost a few bytes each (the name index and the
// groups' member lists), not a struct, a name and a map each.

// block is a run of hosts: one host with its own entry, or a range line's hosts sharing e.
type block struct {
	first int32
	n     int32
	r     *hostRange // nil for one host
	e     *entry
}

// blockOf finds the block holding id.
func (d *data) blockOf(id int32) *block {
	i := sort.Search(len(d.blocks), func(i int) bool { return d.blocks[i].first+d.blocks[i].n > id })
	return &d.blocks[i]
}

// entry is the host's groups, variables and place of definition; a range host shares its line's entry
// until something changes it alone. Read-only: change a host through own.
func (d *data) entry(id int32) *entry {
	b := d.blockOf(id)
	if b.r == nil {
		return b.e
	}
	if e, ok := d.owned[id]; ok {
		return e
	}
	return b.e
}

// own is the host's entry for changing it: a range host gets a copy of its line's entry first.
func (d *data) own(id int32) *entry {
	b := d.blockOf(id)
	e := b.e
	if b.r != nil {
		var ok bool
		if e, ok = d.owned[id]; !ok {
			e = &entry{name: d.name(id), vars: maps.Clone(b.e.vars), groups: append([]*group(nil), b.e.groups...), file: b.e.file, line: b.e.line}
			if d.owned == nil {
				d.owned = map[int32]*entry{}
			}
			d.owned[id] = e
		}
	}
	if e.vars == nil {
		e.vars = map[string]string{}
	}
	return e
}

// name is the host's inventory name.
func (d *data) name(id int32) string {
	b := d.blockOf(id)
	if b.r == nil {
		return b.e.name
	}
	return string(b.r.appendName(nil, int(id-b.first)))
}

// appendName appends the host's name to buf, making no string.
func (d *data) appendName(buf []byte, id int32) []byte {
	b := d.blockOf(id)
	if b.r == nil {
		return append(buf, b.e.name...)
	}
	return b.r.appendName(buf, int(id-b.first))
}

// lookup finds a host by name.
func (d *data) lookup(name string) (int32, bool) {
	return d.lookupBytes([]byte(name))
}

func (d *data) lookupBytes(name []byte) (int32, bool) {
	if len(d.index) == 0 {
		return 0, false
	}
	var buf [64]byte
	mask := uint64(len(d.index) - 1)
	for i := maphash.Bytes(d.seed, name) & mask; ; i = (i + 1) & mask {
		s := d.index[i]
		if s == 0 {
			return 0, false
		}
		if bytes.Equal(d.appendName(buf[:0], s-1), name) {
			return s - 1, true
		}
	}
}

// insert adds a new host (its block already in place) to the name index: open addressing over host
// numbers plus one, half full at most.
func (d *data) insert(id int32) {
	if (d.indexed+1)*2 > len(d.index) {
		old := d.index
		d.index = make([]int32, max(1024, 2*len(old)))
		d.indexed = 0
		for _, s := range old {
			if s != 0 {
				d.place(s - 1)
			}
		}
	}
	d.place(id)
}

func (d *data) place(id int32) {
	var buf [64]byte
	mask := uint64(len(d.index) - 1)
	i := maphash.Bytes(d.seed, d.appendName(buf[:0], id)) & mask
	for d.index[i] != 0 {
		i = (i + 1) & mask
	}
	d.index[i] = id + 1
	d.indexed++
}

// addRange adds the hosts of a range line as one block in groups, sharing vars, when every name is new;
// it reports false, adding nothing, when one is not (the caller adds the names one by one).
func (d *data) addRange(r *hostRange, groups []*group, vars map[string]string, file string, line int) bool {
	var buf [64]byte
	for i := 0; i < r.n; i++ {
		if _, ok := d.lookupBytes(r.appendName(buf[:0], i)); ok {
			return false
		}
	}
	first := d.count
	d.blocks = append(d.blocks, block{first: first, n: int32(r.n), r: r, e: &entry{vars: vars, groups: groups, file: file, line: line}})
	d.count += int32(r.n)
	for id := first; id < d.count; id++ {
		d.insert(id)
		for _, g := range groups {
			g.hosts = append(g.hosts, id)
		}
	}
	return true
}

// bitset is a set of host numbers.
type bitset []uint64

func newBitset(n int32) bitset     { return make(bitset, (n+63)/64) }
func (s bitset) has(id int32) bool { return s[id/64]&(1<<(id%64)) != 0 }
func (s bitset) add(id int32)      { s[id/64] |= 1 << (id % 64) }
