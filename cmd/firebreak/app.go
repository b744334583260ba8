package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"sync"
	"time"

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

	leaseTTL time.Duration // runs' leases (FIREBREAK_LEASE_TTL, else rollout.DefaultLeaseTTL)
	stopReap func()        // stops the periodic reaping (reapEvery) and waits for it
}

// leaseTTLEnv shortens (or lengthens) runs' leases: tests stand in for a dead bastion with it.
const leaseTTLEnv = "FIREBREAK_LEASE_TTL"

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
	a.leaseTTL = rollout.DefaultLeaseTTL
	if v := os.Getenv(leaseTTLEnv); v != "" {
		if a.leaseTTL, err = time.ParseDuration(v); err != nil || a.leaseTTL < 100*time.Millisecond {
			return store.Errorf(incident.ErrInvalid, "%s=%q is not a lease time: give a duration of at least 100ms (15s is the default), or unset it", leaseTTLEnv, v)
		}
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
	reaper := rollout.Reaper{DB: db, Grace: rollout.LeaseGrace(a.leaseTTL)}
	if reaped, err := reaper.Reap(ctx); err == nil && len(reaped) > 0 {
		for _, id := range reaped {
			fmt.Fprintf(a.stderr, "firebreak: %s was interrupted (its firebreak stopped): see firebreak runs %s\n", rollout.RunRef(id), rollout.RunRef(id))
		}
	}
	a.stopReap = reapEvery(reaper, a.leaseTTL)
	return db, nil
}

// reapEvery reaps in the background, every fifth of the lease (at most every 3 s), until the returned
// func is called: a console or a long command marks a run whose owner died on any machine interrupted
// within about a lease, with no one running a command. Everyone who looks sees it through the change feed.
func reapEvery(reaper rollout.Reaper, ttl time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(min(max(ttl/5, 100*time.Millisecond), 3*time.Second))
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				reaper.Reap(ctx) // a database out of reach now is tried again at the next tick
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
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
	if a.stopReap != nil {
		a.stopReap()
	}
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
