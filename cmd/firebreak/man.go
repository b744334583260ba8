package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

func newCmdMan(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "man DIR",
		Short: "write the man pages: firebreak(1) and one per command",
		Long: `Man writes the manual pages to DIR (created if missing): firebreak.1 and a page per command, such as
firebreak-run.1 and firebreak-retro-set.1, generated from the same text as --help. Install them into a
man1 directory on your MANPATH.`,
		Example: "  firebreak man ~/.local/share/man/man1 && man firebreak-run",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return manRun(a, cmd.Root(), args[0])
		},
	}
}

func manRun(a *app, root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return store.Errorf(incident.ErrInvalid, "man pages: %v", err)
	}
	walk(root, func(c *cobra.Command) { c.DisableAutoGenTag = true })
	header := &doc.GenManHeader{Title: "FIREBREAK", Section: "1", Source: "firebreak " + buildVersion().Version, Manual: "firebreak manual"}
	if err := doc.GenManTree(root, header, dir); err != nil {
		return store.Errorf(incident.ErrInvalid, "man pages: %v", err)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "firebreak*.1"))
	fmt.Fprintf(a.stdout, "%d man pages written to %s\n", len(pages), dir)
	return nil
}
