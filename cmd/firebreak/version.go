package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3"; else the module version from the
// build info ("(devel)" for a build from a checkout).
var version string

// versionInfo is what version prints; its JSON field names are part of the contract.
type versionInfo struct {
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Modified bool   `json:"modified"`
	Time     string `json:"commit_time,omitempty"`
	Go       string `json:"go"`
}

func buildVersion() versionInfo {
	v := versionInfo{Version: version, Commit: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Go = bi.GoVersion
	if v.Version == "" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		case "vcs.time":
			v.Time = s.Value
		}
	}
	if v.Version == "" {
		v.Version = "(devel)"
	}
	return v
}

func newCmdVersion(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version [--json]",
		Short: "the version, commit and Go version of this build",
		Long: `Version prints firebreak's version, the commit it was built from (with "+dirty" when the checkout had
changes) and the Go version, from the build information. With --json it prints
{"version","commit","modified","commit_time","go"}.`,
		Example: "  firebreak version\n  firebreak version --json",
		Args:    noArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			return versionRun(a, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object")
	return cmd
}

func versionRun(a *app, asJSON bool) error {
	v := buildVersion()
	if asJSON {
		return writeJSON(a, v)
	}
	commit := v.Commit
	if v.Modified {
		commit += "+dirty"
	}
	fmt.Fprintf(a.stdout, "firebreak %s (commit %s, %s)\n", v.Version, commit, v.Go)
	return nil
}
