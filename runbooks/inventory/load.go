package inventory

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/firebreak/firebreak/runbooks/filelimit"
)

// Options say where connection details come from when loading inventories.
type Options struct {
	// SSHConfig lists ssh_config files read in order, as OpenSSH reads them. Nil means ~/.ssh/config then
	// /etc/ssh/ssh_config; an empty, non-nil slice means none.
	SSHConfig []string
	// Home is the home directory for ~ (default: the current user's).
	Home string
	// LocalUser is the default remote user (default: the current user's name).
	LocalUser string
	// MaxHosts bounds the hosts of all the inventories together (default DefaultMaxHosts), checked
	// before a range is expanded.
	MaxHosts int
	// ScriptTimeout bounds the runs of an executable inventory (default DefaultScriptTimeout).
	ScriptTimeout time.Duration
}

// Load reads the inventories in order and merges them as `ansible -i A -i B` does: hosts and groups
// accumulate, later variables override earlier ones. An executable file is an inventory script, run with
// --list; a path ending in .toml is a firebreak TOML inventory; .yml, .yaml and .json (or no extension
// and a YAML mapping inside) an Ansible YAML inventory; anything else Ansible INI. With no paths the
// inventory holds only the implicit localhost.
func Load(paths []string, opt Options) (*Inventory, error) {
	if opt.Home == "" {
		// OpenSSH takes ~ (and ~/.ssh/config) from the passwd entry, whatever $HOME says; so does firebreak.
		h, err := PasswdHome()
		if err != nil || h == "" {
			if h, err = os.UserHomeDir(); err != nil {
				return nil, fmt.Errorf("finding the home directory for ~/.ssh: %w (set HOME)", err)
			}
		}
		opt.Home = h
	}
	if opt.LocalUser == "" {
		if u, err := user.Current(); err == nil {
			opt.LocalUser = u.Username
		} else {
			opt.LocalUser = os.Getenv("USER")
		}
	}
	d := newData()
	if opt.MaxHosts > 0 {
		d.maxHosts = opt.MaxHosts
	}
	for _, p := range paths {
		if isScript(p) {
			if err := d.parseScript(p, opt.ScriptTimeout); err != nil {
				return nil, err
			}
			continue
		}
		src, err := filelimit.Read(p)
		if errors.Is(err, filelimit.ErrLimit) {
			return nil, err
		}
		if err != nil {
			return nil, fmt.Errorf("reading inventory: %w", err)
		}
		if err := d.parse(p, src); err != nil {
			return nil, err
		}
	}
	cfgFiles := opt.SSHConfig
	if cfgFiles == nil {
		cfgFiles = []string{filepath.Join(opt.Home, ".ssh", "config"), "/etc/ssh/ssh_config"}
	}
	cfg, err := ParseSSHConfig(opt.Home, cfgFiles...)
	if err != nil {
		return nil, err
	}
	return build(d, cfg, opt)
}

// parse reads one source as Ansible picks its plugin: .toml is firebreak TOML; .yml, .yaml and .json are
// YAML; a file without an extension is YAML when it reads as a YAML mapping (Ansible tries its yaml plugin
// before its ini plugin); anything else is INI.
func (d *data) parse(file string, src []byte) error {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".toml":
		return d.parseTOML(file, src)
	case ".yml", ".yaml", ".json":
		return d.parseYAML(file, src)
	case "":
		if looksLikeYAML(src) {
			return d.parseYAML(file, src)
		}
	}
	return d.parseINI(file, src)
}

// ParseINI reads one Ansible INI inventory from memory, without ssh_config, for tools and tests.
func ParseINI(file string, src []byte) (*Inventory, error) {
	d := newData()
	if err := d.parseINI(file, src); err != nil {
		return nil, err
	}
	return build(d, nil, Options{Home: "/nonexistent", LocalUser: "root"})
}

// build reconciles the groups, checks that every host resolves, and creates the implicit localhost.
// Hosts are resolved again, one by one, when they are asked for (see Inventory).
func build(d *data, cfg *SSHConfig, opt Options) (*Inventory, error) {
	d.reconcile()
	r := &resolver{cfg: cfg, opt: opt, all: d.groups["all"], data: d}
	inv := &Inventory{data: d, res: r, byID: map[int32]*Host{}, implicit: d.count}
	var buf []byte
	for id := int32(0); id < d.count; id++ {
		buf = d.appendName(buf[:0], id)
		if err := r.check(string(buf), d.entry(id)); err != nil {
			return nil, err
		}
		if inv.implicit == d.count && localNames[string(buf)] {
			inv.implicit = id
		}
	}
	if inv.implicit == d.count {
		h, err := r.resolve("localhost", &entry{name: "localhost"})
		if err != nil {
			return nil, err
		}
		h.Implicit = true
		inv.local = h
	}
	return inv, nil
}
