package runbooks

import (
	"embed"
	"io/fs"
)

// builtinFS holds the runbooks shipped in the binary.
//
//go:embed builtin/*.toml
var builtinFS embed.FS

// builtinFiles returns the embedded runbooks, named builtin:NAME.toml, in lexical order.
func builtinFiles() []file {
	entries, err := fs.ReadDir(builtinFS, "builtin")
	if err != nil {
		panic("runbooks: embedded builtin directory: " + err.Error()) // the embed pattern guarantees it
	}
	var files []file
	for _, e := range entries {
		data, err := builtinFS.ReadFile("builtin/" + e.Name())
		if err != nil {
			panic("runbooks: embedded runbook: " + err.Error())
		}
		files = append(files, file{"builtin:" + e.Name(), data})
	}
	return files
}
