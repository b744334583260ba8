package main

import (
	"bufio"
	"context"
	"fmt"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/runbooks/transport"
	"github.com/firebreak/firebreak/store"
	"github.com/spf13/cobra"
)

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

type hostsOptions struct {
	Pattern     string
	Inventories []string
	JSON        bool
}

func newCmdHosts(a *app) *cobra.Command {
	opts := &hostsOptions{}
	cmd := &cobra.Command{
		Use:   "hosts [PATTERN] [-i INVENTORY]...",
		Short: "matching host names, one per line, inventory order",
		Long: `Hosts prints the names of the hosts PATTERN matches (default all), one a line, in inventory order: the
hosts a run with --hosts PATTERN would touch. Patterns are Ansible's: groups, names, globs, ~regex,
unions (a:b), intersections (a:&b) and exclusions (a:!b). The inventories are the config's unless -i names
others. With --json it prints, for each host, what firebreak will connect to: {"name", "groups",
"connection" (ssh, local, unsupported), "address", "port", "user", "identity_files", "certificate_files",
"known_hosts_files", "host_key_alias", "host_key_trust" (which known_hosts lines vouch for the host's key:
{"searched_as", "via" (known_hosts, cert-authority, both, or none), "keys", "cert_authorities", "revoked"
as FILE:LINE TYPE FINGERPRINT, "principal" a host certificate must name}), "jump" (each bastion, first hop
first), "unsupported" (why), "vars" (secrets masked)}. Exit 1 when nothing matches.`,
		Example:           "  firebreak hosts web\n  firebreak hosts 'web:&eu:!web3' -i prod.ini --json",
		Args:              argsRange(0, 1),
		ValidArgsFunction: positional(a, completeHosts),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Pattern = "all"
			if len(args) == 1 {
				opts.Pattern = args[0]
			}
			return hostsRun(cmd.Context(), a, opts)
		},
	}
	inventoryFlag(cmd, &opts.Inventories)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print each host's connection details as a JSON array (secrets masked)")
	return cmd
}

// inventoryFlag declares -i/--inventory on cmd.
func inventoryFlag(cmd *cobra.Command, invs *[]string) {
	cmd.Flags().StringArrayVarP(invs, "inventory", "i", nil, "inventory `FILE` (Ansible INI or YAML, an executable inventory script, or firebreak TOML) or a name from the config's inventory_names; repeatable; default the config's inventories")
}

// hostJSON is one host in hosts --json: what firebreak will connect to, for debugging an inventory and
// ssh_config against what the team meant (secret variables masked).
type hostJSON struct {
	Name            string            `json:"name"`
	Groups          []string          `json:"groups"`
	Connection      string            `json:"connection"` // ssh, local, or unsupported
	Address         string            `json:"address,omitempty"`
	Port            int               `json:"port,omitempty"`
	User            string            `json:"user,omitempty"`
	IdentityFiles   []string          `json:"identity_files,omitempty"`
	CertFiles       []string          `json:"certificate_files,omitempty"`
	KnownHostsFiles []string          `json:"known_hosts_files,omitempty"`
	HostKeyAlias    string            `json:"host_key_alias,omitempty"`
	Trust           *transport.Trust  `json:"host_key_trust,omitempty"`
	Jump            []string          `json:"jump,omitempty"` // user@address:port of each bastion, first hop first
	Unsupported     string            `json:"unsupported,omitempty"`
	Vars            map[string]string `json:"vars"`
}

// hostView is h as hosts --json shows it.
func hostView(h *inventory.Host, secrets output.Secrets) hostJSON {
	v := hostJSON{Name: h.Name, Groups: orEmptyList(h.Groups), Connection: "ssh", Address: h.Addr, Port: h.Port, User: h.User,
		IdentityFiles: h.IdentityFiles, CertFiles: h.CertificateFiles, KnownHostsFiles: h.KnownHostsFiles, HostKeyAlias: h.HostKeyAlias,
		Unsupported: h.Unsupported, Vars: secrets.MaskVars(h.Vars)}
	switch {
	case h.Local:
		v = hostJSON{Name: h.Name, Groups: v.Groups, Connection: "local", Vars: v.Vars}
	case h.Unsupported != "":
		v.Connection = "unsupported"
	default:
		t := transport.TrustOf(h)
		v.Trust = &t
	}
	for _, j := range h.ProxyJump {
		v.Jump = append(v.Jump, j.Target())
	}
	if v.Vars == nil {
		v.Vars = map[string]string{}
	}
	return v
}

func hostsRun(_ context.Context, a *app, opts *hostsOptions) error {
	inv, err := a.inventory(opts.Inventories)
	if err != nil {
		return err
	}
	pattern := opts.Pattern
	if opts.JSON { // groups too: the hosts are resolved (JSON is for scripts, on inventories of ordinary size)
		hosts, err := a.selectHosts(inv, pattern)
		if err != nil {
			return err
		}
		if len(hosts) == 0 {
			return failedf("pattern %q matches no host in the inventory (firebreak hosts lists them all)", pattern)
		}
		secrets := a.cfg.secrets().With(inv.SecretVars()...)
		out := make([]hostJSON, 0, len(hosts))
		for _, h := range hosts {
			out = append(out, hostView(h, secrets))
		}
		return writeJSON(a, out)
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

func orEmptyList(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
