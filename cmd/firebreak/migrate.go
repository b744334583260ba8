package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
	"github.com/spf13/cobra"
)

func newCmdMigrate(a *app) *cobra.Command {
	var to string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "migrate --to URL|PATH",
		Short: "copy the whole record into another database (SQLite to PostgreSQL and back)",
		Long: `Migrate copies the whole record of the database (--db) into the database --to names: a postgres://
URL or a SQLite file's path. Every id, seq and hash is kept, and every incident's chain is verified on
both sides. The target must hold no record yet (a new file, or an empty PostgreSQL database); migrate is
refused while a run is in flight, so nothing is written to the old database after the copy. Afterwards,
point every firebreak at the new database (--db, FIREBREAK_DB or db in the config).`,
		Example: `  firebreak migrate --to postgres://firebreak@db.internal/firebreak
  firebreak --db postgres://firebreak@db.internal/firebreak migrate --to /var/lib/firebreak/firebreak.db`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return migrateRun(cmd.Context(), a, to, asJSON)
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the target database: a postgres:// URL or a SQLite file's path (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func migrateRun(ctx context.Context, a *app, to string, asJSON bool) error {
	if to == "" {
		return usageErrorf("migrate needs --to URL|PATH: the database to copy the record into")
	}
	src, err := a.store(ctx)
	if err != nil {
		return err
	}
	active, err := src.Runs(ctx, store.RunQuery{Statuses: []string{rollout.StatusRunning, rollout.StatusWaiting}})
	if err != nil {
		return err
	}
	if len(active) > 0 {
		refs := make([]string, len(active))
		for i, r := range active {
			refs[i] = rollout.RunRef(r.ID)
		}
		return store.Errorf(incident.ErrRefused, "%s still in flight: let it finish (or halt it), then migrate, so nothing is written to the old database after the copy", strings.Join(refs, ", "))
	}
	if !engine.IsURL(to) && src.LocalPath() != "" && sameFile(src.LocalPath(), to) {
		return store.Errorf(incident.ErrRefused, "--to names the database being copied: choose another target")
	}
	if !engine.IsURL(to) {
		if st, err := os.Stat(filepath.Dir(to)); err != nil || !st.IsDir() {
			return store.Errorf(store.ErrUnusable, "directory %s does not exist: create it or choose another --to", filepath.Dir(to))
		}
	}
	dst, err := engine.Open(ctx, to, store.Options{})
	if err != nil {
		return err
	}
	defer dst.Close()
	n, err := engine.Copy(ctx, src, dst)
	if err != nil {
		return err
	}
	if asJSON {
		b, _ := json.Marshal(struct {
			From      string `json:"from"`
			To        string `json:"to"`
			Incidents int    `json:"incidents"`
			Verified  bool   `json:"verified"`
		}{src.Where(), dst.Where(), n, true})
		fmt.Fprintf(a.stdout, "%s\n", b)
		return nil
	}
	noun := "incidents"
	if n == 1 {
		noun = "incident"
	}
	fmt.Fprintf(a.stdout, "copied %d %s from %s to %s; every chain verified on both sides\n", n, noun, src.Where(), dst.Where())
	fmt.Fprintf(a.stdout, "point every firebreak at it: --db, FIREBREAK_DB or db in the config\n")
	return nil
}

// sameFile says whether two paths are the same existing file.
func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
