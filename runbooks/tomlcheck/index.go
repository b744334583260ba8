package tomlcheck

// Index knows where every key and table header of one file is, for callers that ask about many of them (a
// lint of thousands of steps would otherwise read the file once per question). It keeps one small node per
// key, not per array element; elements are found by reading the file again.
type Index struct {
	src   []byte
	nodes []indexPos // nodes[0] is the root
	kids  map[nodeKey]int32
}

type indexPos struct {
	line, col int32
	known     bool
}

// NewIndex scans src once.
func NewIndex(src []byte) *Index {
	ix := &Index{src: src, nodes: []indexPos{{}}, kids: map[nodeKey]int32{}}
	scan(src, func(e *entry) bool {
		if e.element {
			return true
		}
		id := int32(0)
		for _, p := range e.path {
			id = ix.child(id, p, true)
		}
		if n := &ix.nodes[id]; !n.known {
			*n = indexPos{int32(e.vline), int32(e.vcol), true}
		}
		return true
	})
	return ix
}

func (ix *Index) child(parent int32, p any, create bool) int32 {
	k := nodeKey{parent: parent, idx: -1}
	switch v := p.(type) {
	case string:
		k.name = v
	case int:
		k.idx = v
	default:
		return -1
	}
	id, ok := ix.kids[k]
	if !ok {
		if !create {
			return -1
		}
		id = int32(len(ix.nodes))
		ix.nodes = append(ix.nodes, indexPos{})
		ix.kids[k] = id
	}
	return id
}

// Pos is KeyPos for the indexed file.
func (ix *Index) Pos(path ...any) (line, col int, ok bool) {
	id := int32(0)
	for _, p := range path {
		if id = ix.child(id, p, false); id < 0 {
			break
		}
	}
	if id >= 0 && ix.nodes[id].known {
		return int(ix.nodes[id].line), int(ix.nodes[id].col), true
	}
	if len(path) == 0 {
		return 0, 0, false
	}
	if _, isIndex := path[len(path)-1].(int); !isIndex {
		return 0, 0, false
	}
	// An array element is not kept in the index: read the file again, but only when its array is a key
	// that is there (a missing [[steps]] element must not cost a scan each time it is asked for).
	parent := int32(0)
	for _, p := range path[:len(path)-1] {
		if parent = ix.child(parent, p, false); parent < 0 {
			return 0, 0, false
		}
	}
	if !ix.nodes[parent].known {
		return 0, 0, false
	}
	return KeyPos(ix.src, path...)
}
