// Package store is the seam between firebreak and the engine that keeps its record: the shared basics
// (events and their hash chain, the rows every engine stores, error kinds, the time format) and the
// interfaces an engine implements. It has no SQL and no cgo: store/sqlite (the embedded default) and
// store/postgres implement it, and store/engine opens one of them from a path or a postgres:// URL.
package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ErrUnusable means the database cannot be used as asked: a missing directory, a file that is not a
// firebreak database, one from a newer firebreak, one that is being restored, a server that refuses us.
var ErrUnusable = errors.New("database unusable")

// ErrNotFound means the row asked for does not exist.
var ErrNotFound = errors.New("not found")

// Options change how an engine opens its database.
type Options struct {
	// CreateDir creates the database's directory (mode 0700) when it is missing. Set it for the default
	// path only: a --db in a directory that does not exist is more likely a typo than a wish.
	CreateDir bool
}

// Reader is what every part of firebreak reads: the projections of incidents, runs and retrospectives, and
// the timeline itself. A Store reads the newest committed state; a Tx reads what its transaction sees.
type Reader interface {
	Incident(ctx context.Context, id int64) (IncidentRow, error)
	Incidents(ctx context.Context, q IncidentQuery) ([]IncidentRow, error)
	Events(ctx context.Context, q EventQuery) ([]Event, error)
	Run(ctx context.Context, id int64) (RunRow, error)
	Runs(ctx context.Context, q RunQuery) ([]RunRow, error)
	RunHosts(ctx context.Context, run int64) ([]RunHost, error)
	Switch(ctx context.Context, name string) (Switch, error)
	LatestRetroVersions(ctx context.Context, incident int64) (map[string]RetroVersion, error)
	ActionItems(ctx context.Context, incident int64) ([]ActionItem, error)
}

// Tx is a write transaction. Every change goes through one, so a change and the events that record it land
// together or not at all. Engines run write transactions one at a time (SQLite's single writer; PostgreSQL
// serialises them with a lock), so what a Tx reads stays true until it commits.
type Tx interface {
	Reader
	// AppendEvent appends ev to its incident's timeline: it gets the next seq (no gaps), the time (if unset,
	// now) and the hash chained to the previous event, and the incident's chain head moves to it.
	AppendEvent(ctx context.Context, ev *Event) error
	CreateIncident(ctx context.Context, r IncidentRow) (int64, error)
	// SaveIncident rewrites an incident's projection (not its chain head).
	SaveIncident(ctx context.Context, r IncidentRow) error
	CreateRun(ctx context.Context, r RunRow, hosts []RunHost) (int64, error)
	// UpdateRun writes a run's status, waiting, stage, finish time, owner and lease.
	UpdateRun(ctx context.Context, r RunRow) error
	// RenewLease moves a run's lease on to until: its owner's heartbeat.
	RenewLease(ctx context.Context, run int64, until time.Time) error
	// BumpContinue tells the run's owner that someone asked it to continue.
	BumpContinue(ctx context.Context, run int64) error
	// SetHost writes one host's state and result.
	SetHost(ctx context.Context, h RunHost) error
	// Approve records an approval (a second approval by the same person of the same stage is ignored).
	Approve(ctx context.Context, a Approval) error
	SetSwitch(ctx context.Context, s Switch) error
	// SaveRetroVersion stores a new version of a section; v.Version is set to its number.
	SaveRetroVersion(ctx context.Context, v *RetroVersion) error
	// SaveActionItem stores a new version of an action item (a new item when a.Item is 0); a.Item and
	// a.Version are set.
	SaveActionItem(ctx context.Context, a *ActionItem) error
}

// Feed is the change feed. Watch's channel receives a signal whenever anyone, in this process or another
// (on this machine or another), has committed since the last signal; bursts coalesce into one signal, and
// consumers then read what they show. A signal also follows every reconnect, since changes made while
// disconnected cannot be announced. The channel closes when ctx is done. SQLite polls the file's
// data_version every interval; PostgreSQL listens for notifications (interval is then unused).
type Feed interface {
	Watch(ctx context.Context, interval time.Duration) (<-chan struct{}, error)
}

// Store is an open firebreak database.
type Store interface {
	Reader
	// Write runs fn in a write transaction and commits it. fn may be called again when the engine has to
	// retry (a busy database, a lost connection before commit), so it must not act outside the Tx.
	Write(ctx context.Context, fn func(Tx) error) error
	Feed
	// Halt is the off-switch every run polls.
	Halt() OffSwitch

	Approvals(ctx context.Context, run int64) ([]Approval, error)
	RetroHistory(ctx context.Context, incident int64, section string) ([]RetroVersion, error)
	RetroVersions(ctx context.Context, incident int64) ([]RetroVersion, error)
	ActionItemVersions(ctx context.Context, incident int64) ([]ActionItem, error)
	ActorCounts(ctx context.Context, incident int64) ([]ActorCount, error)
	IncidentIDs(ctx context.Context) ([]int64, error)
	// RunHostsSince lists the hosts of every run of the incidents declared at or after since, by run and plan
	// order, without their output tails: what trends across incidents count, in one query rather than one
	// per run.
	RunHostsSince(ctx context.Context, since time.Time) ([]RunHost, error)
	// ActionItemsSince lists the newest version of every action item of the incidents declared at or after
	// since, by incident and item: ActionItems for a window of incidents, in one query.
	ActionItemsSince(ctx context.Context, since time.Time) ([]ActionItem, error)

	// Check asks the engine whether its storage is sound (SQLite's integrity_check; PostgreSQL's
	// connection and schema).
	Check(ctx context.Context) error
	// Export streams the whole record, as one consistent snapshot, to sink: incidents, then their events,
	// runs and their hosts, approvals, switches, retrospective versions and action item versions.
	Export(ctx context.Context, sink Sink) error
	// Import loads a whole record in one transaction, keeping every id, seq and hash. It refuses a
	// database that already holds incidents or runs.
	Import(ctx context.Context, load func(Sink) error) error

	// Engine is "sqlite" or "postgres".
	Engine() string
	// Where names the database for people: a file's path, or a URL without its password.
	Where() string
	// LocalPath is the database file on this machine ("" for a server): run logs and the off-switch file
	// live beside it by default.
	LocalPath() string
	Close() error
}

// OffSwitch is the off-switch as runs see it: while engaged, no host starts anywhere and every run stops.
// SQLite keeps it in a file beside the database that needs no free space to flip; PostgreSQL in its
// switches table, which every machine reads.
type OffSwitch interface {
	Read() (Switch, error)
	Write(s Switch) error
}

// Sink receives a whole record, in order: every incident before its events and runs, every run before its
// hosts and approvals.
type Sink interface {
	Incident(r IncidentRow) error
	Event(ev Event) error
	Run(r RunRow) error
	RunHost(h RunHost) error
	Approval(a Approval) error
	Switch(s Switch) error
	RetroVersion(v RetroVersion) error
	ActionItem(a ActionItem) error
}

// DefaultPath is where the database lives when neither --db nor FIREBREAK_DB names one:
// $XDG_DATA_HOME/firebreak/firebreak.db, else ~/.local/share/firebreak/firebreak.db.
func DefaultPath() (string, error) {
	dir, err := DataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "firebreak.db"), nil
}

// DataDir is firebreak's XDG data directory, where the default database and run logs live.
func DataDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "firebreak"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home directory to keep the database in: set --db or FIREBREAK_DB: %w", err)
	}
	return filepath.Join(home, ".local", "share", "firebreak"), nil
}
