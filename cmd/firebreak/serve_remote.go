package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

// Over SSH (firebreak serve) a person runs the commands of the contract as themselves, with the same
// output and exit codes, and nothing else: the commands below act on the server's own files or process, so
// they are refused, and so are the flags that name a file on the server. This is the one list of what a
// served session may not do; the reasons are what the person is told.
var remoteRefusedCommands = map[string]string{
	"serve":      "serve runs on the bastion itself, not in a session of it",
	"migrate":    "migrate moves the server's database: run it on the bastion, as its administrator",
	"backup":     "backup writes a file on the server: run it on the bastion, as its administrator (firebreak export ID prints an incident here)",
	"restore":    "restore replaces the server's database: run it on the bastion, as its administrator",
	"man":        "man writes manual pages into a directory of the server: run it where you want them",
	"completion": "completion scripts are for a local firebreak; over SSH there is nothing to complete",
	"__notify":   "the notify runner is started by firebreak itself",
}

// remoteRefusedFlags are flags that name a file on the server, by flag name, with what to do instead.
var remoteRefusedFlags = map[string]string{
	"against": "--against reads a file on the server: pipe the heads in another way, or run audit verify on the bastion",
	"output":  "-o writes a file on the server: leave it out and redirect the output on your side (ssh ... -- export ID > FILE)",
}

// refuseRemote says why a served session may not run the command line norm (normalizeArgs's form: the
// command path, the flags as --name[=value], then "--" and the arguments), or nil when it may.
func (a *app) refuseRemote(root *cobra.Command, norm []string) error {
	if len(norm) > 0 && strings.HasPrefix(norm[0], "__") && norm[0] != "__notify" {
		return store.Errorf(incident.ErrRefused, "shell completion does not exist over SSH")
	}
	cmd, _, err := root.Find(norm)
	if err != nil || cmd == nil {
		return nil // cobra says what is wrong with it
	}
	for c := cmd; c != nil; c = c.Parent() {
		if why, ok := remoteRefusedCommands[c.Name()]; ok {
			return store.Errorf(incident.ErrRefused, "%s over SSH: %s", c.Name(), why)
		}
	}
	var flags, pos []string
	for i, arg := range norm {
		if arg == "--" {
			pos = norm[i+1:]
			break
		}
		if strings.HasPrefix(arg, "--") {
			flags = append(flags, arg)
		}
	}
	for _, f := range flags {
		name, value, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if why, ok := remoteRefusedFlags[name]; ok {
			return store.Errorf(incident.ErrRefused, "%s", why)
		}
		if _, named := a.served.server.cfg.InventoryNames[value]; name == "inventory" && !named {
			return store.Errorf(incident.ErrRefused, "-i %s over SSH: a served session uses the server's inventories; give one of the names in the config's inventory_names, or leave -i out", value)
		}
	}
	if cmd.Name() == "lint" && cmd.Parent() != nil && cmd.Parent().Name() == "runbook" && len(pos) > 0 {
		return store.Errorf(incident.ErrRefused, "runbook lint PATH over SSH: the paths would be the server's files; lint the library (no PATH), or lint your files with a local firebreak")
	}
	return nil
}
