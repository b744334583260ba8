package main

import (
	"bufio"
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
	"github.com/firebreak/firebreak/ui"
	"github.com/firebreak/firebreak/ui/deps"
)

// app is what every command gets: the global flags resolved, the config, who is acting, and the database,
// opened on first use.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	stdinReader    *bufio.Reader // stdin by lines, for prompts (stdinLines)
	stdinOnce      sync.Once
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

	// served is set for a command or console served over SSH (serve_session.go): who the key proved,
	// and the server whose config and database it uses. Nil for a firebreak started from a shell.
	served *servedAs
	// showConsole shows the console on a terminal other than the process's own (a served session);
	// nil: ui.Run on this process's terminal.
	showConsole func(ctx context.Context, d deps.Deps, o ui.Options) error
}

// servedAs is who a served session acts as: the person its key proves, with the server's app, whose
// config, database and reaper every session shares.
type servedAs struct {
	actor  incident.Actor
	server *app
	db     store.Store // the server's database, with the server's shared change feed (sharedStore)
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
	if a.served != nil {
		return a.setupServed()
	}
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

// setupServed is setup for a served session. Nothing in it comes from the process's environment or the
// command line: the key names the person (there is no --as to type), and the server chose the config and
// the database, which a person connecting over SSH must not point elsewhere.
func (a *app) setupServed() error {
	g := a.global
	switch {
	case g.as != "":
		return store.Errorf(incident.ErrRefused, "--as does not exist over SSH: you are %s, proven by your key %s", a.served.actor.Person(), a.served.actor.Key())
	case g.db != "":
		return store.Errorf(incident.ErrRefused, "--db does not exist over SSH: the server chose the database; leave the flag out")
	case g.config != "":
		return store.Errorf(incident.ErrRefused, "--config does not exist over SSH: the server chose the config; leave the flag out")
	}
	s := a.served.server
	a.configPath, a.cfg, a.dbPath, a.dbExplicit, a.leaseTTL = s.configPath, s.cfg, s.dbPath, s.dbExplicit, s.leaseTTL
	a.actor = a.served.actor
	a.ready = true
	return nil
}

// store opens the database on first use. A served session uses the server's, which the server reaps and
// closes.
func (a *app) store(ctx context.Context) (store.Store, error) {
	if a.db != nil {
		return a.db, nil
	}
	if a.served != nil {
		a.db = a.served.db
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
	if a.db != nil && a.served == nil {
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
