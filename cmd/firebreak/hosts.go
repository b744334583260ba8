package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/store"
)

// listFlag is a flag that may be given more than once.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// inventory loads the inventories named with -i (paths, or names from the config), else the config's.
func (a *app) inventory(flags []string) (*inventory.Inventory, error) {
	paths := a.cfg.Inventories
	if len(flags) > 0 {
		paths = nil
		for _, f := range flags {
			if p, ok := a.cfg.InventoryNames[f]; ok {
				f = p
			}
			paths = append(paths, f)
		}
	}
	if len(paths) == 0 {
		// The embedded default: localhost is the whole inventory, so `all` means it too.
		inv, err := inventory.ParseINI("(built-in inventory)", []byte("localhost ansible_connection=local\n"))
		if err != nil {
			return nil, err
		}
		return inv, nil
	}
	for i, p := range paths {
		paths[i] = expandHome(p)
	}
	opt := inventory.Options{MaxHosts: a.cfg.Limits.MaxHosts}
	if a.cfg.SSHConfig != "" {
		opt.SSHConfig = []string{expandHome(a.cfg.SSHConfig)}
	}
	inv, err := inventory.Load(paths, opt)
	if err != nil {
		return nil, store.Errorf(incident.ErrInvalid, "%v", err)
	}
	return inv, nil
}

// selectHosts matches pattern, warning about parts that matched nothing, as Ansible does.
func (a *app) selectHosts(inv *inventory.Inventory, pattern string) ([]*inventory.Host, error) {
	sel, err := inv.Select(pattern)
	if err != nil {
		return nil, store.Errorf(incident.ErrInvalid, "host pattern %q: %v", pattern, err)
	}
	a.warnUnmatched(sel.Unmatched)
	return sel.Hosts, nil
}

// warnUnmatched warns about the parts of a host pattern that matched nothing, as Ansible does.
func (a *app) warnUnmatched(parts []string) {
	for _, u := range parts {
		fmt.Fprintf(a.stderr, "firebreak: warning: %q in the pattern matches no host or group\n", u)
	}
}

func cmdHosts(_ context.Context, a *app, args []string) error {
	fs := newFlags("hosts")
	var invs listFlag
	fs.Var(&invs, "i", "inventory file or name (repeatable)")
	fs.Var(&invs, "inventory", "inventory file or name (repeatable)")
	pos, err := parseArgs(fs, args, 0, 1, "hosts [PATTERN] [-i INVENTORY]...")
	if err != nil {
		return err
	}
	inv, err := a.inventory(invs)
	if err != nil {
		return err
	}
	pattern := "all"
	if len(pos) == 1 {
		pattern = pos[0]
	}
	// Names, not Select: listing needs no connection details, and a million of them do not fit in memory.
	names, unmatched, err := inv.Names(pattern)
	if err != nil {
		return store.Errorf(incident.ErrInvalid, "host pattern %q: %v", pattern, err)
	}
	a.warnUnmatched(unmatched)
	w := bufio.NewWriter(a.stdout)
	n := 0
	for name := range names {
		n++
		fmt.Fprintln(w, clean(name))
	}
	if n == 0 {
		return failedf("pattern %q matches no host in the inventory (firebreak hosts lists them all)", pattern)
	}
	return w.Flush()
}
