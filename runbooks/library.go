package runbooks

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/firebreak/firebreak/runbooks/filelimit"
	"github.com/firebreak/firebreak/runbooks/tomlcheck"
	"github.com/firebreak/firebreak/store"
)

// ErrNotFound is returned (wrapped) by Library.Get for an id the library does not have.
var ErrNotFound = errors.New("runbook not found")

// Library is the set of runbooks a user can attach: the built-ins, overridden by id by the runbooks of the
// configured directories (a later directory overrides an earlier one).
type Library struct {
	byID map[string]*Runbook
	ids  []string
}

// LoadLibrary loads the built-in runbooks and every *.toml file under dirs, in order. A directory's
// runbook replaces a built-in one, or one of an earlier directory, with the same id; two files of the same
// directory must not share an id.
//
// A directory that does not exist or a file that cannot be read is unusable input: the error is not
// Problems and the library is nil. When some runbooks have problems the library holds every other runbook
// and the error is Problems listing them all, so a caller can show the good ones and the problems.
func LoadLibrary(dirs []string) (*Library, error) {
	books, ps, err := CheckLibrary(dirs)
	if err != nil {
		return nil, err
	}
	bad := map[string]bool{}
	for _, p := range ps {
		bad[p.File] = true
	}
	l := &Library{byID: map[string]*Runbook{}}
	for _, rb := range books {
		if bad[rb.Source] {
			continue
		}
		if old, ok := l.byID[rb.ID]; ok {
			rb.Overrides = old.Source
		} else {
			l.ids = append(l.ids, rb.ID)
		}
		l.byID[rb.ID] = rb
	}
	sort.Strings(l.ids)
	return l, ps.Err()
}

// List returns the library's runbooks sorted by id.
func (l *Library) List() []*Runbook {
	out := make([]*Runbook, len(l.ids))
	for i, id := range l.ids {
		out[i] = l.byID[id]
	}
	return out
}

// Get returns the runbook with the given id, or an error wrapping ErrNotFound.
func (l *Library) Get(id string) (*Runbook, error) {
	if rb, ok := l.byID[id]; ok {
		return rb, nil
	}
	return nil, store.Errorf(ErrNotFound, "%q is not in the library; `firebreak runbook list` shows the ids", id)
}

// CheckLibrary reads the built-in runbooks and every *.toml under dirs and returns every runbook as far as
// it could be read (in load order, built-ins first, overridden ones included) and every problem, including
// ids shared by two files of one directory. The error reports unusable input: a missing directory or an
// unreadable file.
func CheckLibrary(dirs []string) ([]*Runbook, Problems, error) {
	layers := [][]file{builtinFiles()}
	for _, d := range dirs {
		fi, err := os.Stat(d)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, nil, fmt.Errorf("runbook directory %s does not exist: create it or remove it from the configuration", d)
		case err != nil:
			return nil, nil, fmt.Errorf("runbook directory: %w", err)
		case !fi.IsDir():
			return nil, nil, fmt.Errorf("runbook directory %s is not a directory: name the directory that holds the .toml files", d)
		}
		files, err := readTree(d)
		if err != nil {
			return nil, nil, err
		}
		layers = append(layers, files)
	}
	books, ps := checkLayers(layers)
	return books, ps, nil
}

// CheckPaths reads the runbook files and directories (every *.toml under them) at paths, without the
// built-ins, and returns every runbook as far as it could be read and every problem. Each path is checked
// like one library directory. The error reports unusable input: a missing or unreadable path, or a named
// file that is not a .toml file.
func CheckPaths(paths []string) ([]*Runbook, Problems, error) {
	var layers [][]file
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read %s: %w", p, err)
		}
		if !fi.IsDir() {
			if filepath.Ext(p) != ".toml" {
				return nil, nil, fmt.Errorf("%s is not a runbook: runbooks are .toml files", p)
			}
			data, err := filelimit.Read(p)
			if err != nil {
				return nil, nil, readErr(err)
			}
			layers = append(layers, []file{{p, data}})
			continue
		}
		files, err := readTree(p)
		if err != nil {
			return nil, nil, err
		}
		layers = append(layers, files)
	}
	books, ps := checkLayers(layers)
	return books, ps, nil
}

// file is one runbook file's name (path or builtin:NAME.toml) and text.
type file struct {
	name string
	data []byte
}

// readTree reads every *.toml file under dir, in lexical order.
func readTree(dir string) ([]file, error) {
	var files []file
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("cannot read runbook directory: %w", err)
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".toml") {
			return nil
		}
		data, err := filelimit.Read(path)
		if err != nil {
			return readErr(err)
		}
		files = append(files, file{path, data})
		return nil
	})
	return files, err
}

// readErr says why a runbook file could not be read; a limit's error already names the file and what to do.
func readErr(err error) error {
	if errors.Is(err, filelimit.ErrLimit) {
		return err
	}
	return fmt.Errorf("cannot read runbook: %w", err)
}

// checkLayers checks every file and reports ids that two files of one layer share.
func checkLayers(layers [][]file) ([]*Runbook, Problems) {
	var books []*Runbook
	var ps Problems
	for _, files := range layers {
		first := map[string]*Runbook{}
		for _, f := range files {
			rb, fps := Check(f.name, f.data)
			ps = append(ps, fps...)
			books = append(books, rb)
			if rb.ID == "" {
				continue
			}
			if prev, dup := first[rb.ID]; dup {
				line, col, _ := tomlcheck.KeyPos(f.data, "id")
				pline, _, _ := tomlcheck.KeyPos([]byte(prev.Raw), "id")
				ps = append(ps, Problem{
					Problem: tomlcheck.Problem{File: f.name, Line: line, Col: col, Msg: fmt.Sprintf(
						"duplicate runbook id %q, already used by %s:%d: give one of them another id", rb.ID, prev.Source, pline)},
					Runbook: rb.ID, Field: "id",
				})
				continue
			}
			first[rb.ID] = rb
		}
	}
	return books, ps
}
