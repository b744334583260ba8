package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
)

// app is what every command gets: the global flags resolved, the config, who is acting, and the database,
// opened on first use.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	dbPath         string
	dbExplicit     bool
	configPath     string
	cfg            *Config
	actor          incident.Actor

	global globalOptions // the persistent flags, as given
	ready  bool          // setup has run
	ran    bool          // a command was chosen and its hooks started (errors before that are cobra's: usage)

	db     store.Store
	notify notifyQueue // the notify hooks' dispatcher (notify.go)
}

// setup resolves the global flags, reads the config and works out who is acting; it runs before every
// command that needs them (not before help, completion, man or version).
func (a *app) setup() error {
	if a.ready {
		return nil
	}
	var err error
	g := a.global
	a.applyNoColor()
	if a.configPath, err = configPath(g.config); err != nil {
		return err
	}
	if a.cfg, err = loadConfig(a.configPath); err != nil {
		return err
	}
	// The database: --db, else FIREBREAK_DB, else the config's db, else the default file. Each is a path
	// (SQLite) or a postgres:// URL.
	a.dbPath, a.dbExplicit = firstNonEmpty(g.db, os.Getenv("FIREBREAK_DB"), a.cfg.database()), true
	if a.dbPath == "" {
		if a.dbPath, err = store.DefaultPath(); err != nil {
			return err
		}
		a.dbExplicit = false
	}
	if a.actor, err = incident.CurrentActor(firstNonEmpty(g.as, os.Getenv("FIREBREAK_USER"))); err != nil {
		return err
	}
	a.ready = true
	return nil
}

// store opens the database on first use.
func (a *app) store(ctx context.Context) (store.Store, error) {
	if a.db != nil {
		return a.db, nil
	}
	// The files are loaded by now; what a command reads from the record grows with the record, not with
	// a file's size, so the loading bound (boundLoading) is lifted.
	debug.SetMemoryLimit(math.MaxInt64)
	db, err := engine.Open(ctx, a.dbPath, store.Options{CreateDir: !a.dbExplicit})
	if err != nil {
		return nil, err
	}
	a.db = db
	// A halt engaged while the database could not be written (a full disk) is recorded by the first
	// firebreak that can.
	if _, err := rollout.SyncHalt(ctx, db, nil); err != nil {
		fmt.Fprintf(a.stderr, "firebreak: warning: %v\n", err)
	}
	// A run whose firebreak died shows as interrupted from the first look at the database after it.
	if reaped, err := rollout.Reap(ctx, db); err == nil && len(reaped) > 0 {
		for _, id := range reaped {
			fmt.Fprintf(a.stderr, "firebreak: %s was interrupted (its firebreak stopped): see firebreak runs %s\n", rollout.RunRef(id), rollout.RunRef(id))
		}
	}
	return db, nil
}

// incidents is the incident service acting as this app's actor, with notify hooks wired in.
func (a *app) incidents(ctx context.Context) (*incident.Service, error) {
	db, err := a.store(ctx)
	if err != nil {
		return nil, err
	}
	return &incident.Service{DB: db, Actor: a.actor, Notify: a.notifier()}, nil
}

func (a *app) close() {
	a.closeNotify()
	if a.db != nil {
		a.db.Close()
	}
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
