package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxIncludeScan bounds the directory entries one Include pattern may look at: a pattern like /*/*/*/*
// would otherwise walk the whole filesystem before any file limit applies.
const maxIncludeScan = 10000

// boundedGlob is filepath.Glob that gives up, with an error saying so, after looking at more than limit
// directory entries.
func boundedGlob(pattern string, limit int) ([]string, error) {
	if _, err := filepath.Match(pattern, ""); err != nil {
		return nil, err
	}
	budget := limit
	return glob(pattern, &budget, limit)
}

func glob(pattern string, budget *int, limit int) ([]string, error) {
	if !hasGlobMeta(pattern) {
		if _, err := os.Lstat(pattern); err != nil {
			return nil, nil
		}
		return []string{pattern}, nil
	}
	dir, file := filepath.Split(pattern)
	switch {
	case dir == "":
		dir = "."
	case len(dir) > 1: // "/x/" → "/x"; the root stays "/"
		dir = strings.TrimSuffix(dir, string(filepath.Separator))
	}
	dirs := []string{dir}
	if hasGlobMeta(dir) {
		var err error
		if dirs, err = glob(dir, budget, limit); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if err != nil {
			continue // not a directory, or unreadable: as filepath.Glob, no match
		}
		if *budget -= len(ents); *budget < 0 {
			return nil, fmt.Errorf("looks at more than %d directory entries: name the files or a narrower directory", limit)
		}
		for _, e := range ents {
			if ok, _ := filepath.Match(file, e.Name()); ok {
				out = append(out, filepath.Join(d, e.Name()))
			}
		}
	}
	return out, nil
}

func hasGlobMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }
