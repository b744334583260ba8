package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/notify"
	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"

	"github.com/spf13/cobra"
)

// maxNotifyProcs bounds the `firebreak __notify` processes one firebreak has running at once; what comes
// meanwhile waits in the dispatcher's queue, where per-host events keep merging.
const maxNotifyProcs = 2

// notifyQueue is the app's one notify dispatcher, started by the first event some hook wants.
type notifyQueue struct {
	once sync.Once
	d    *notify.Dispatcher
}

// notifier returns the incident service's Notify callback: it queues each event some hook wants for
// notifyEvent's dispatcher. The command that made the change returns at once; a slow pager never slows the
// incident.
func (a *app) notifier() func(*incident.Incident, store.Event) {
	if len(a.cfg.Notify) == 0 {
		return nil
	}
	return func(_ *incident.Incident, ev store.Event) { a.notifyEvent(ev) }
}

// notifyEvent queues ev for the hooks that want it, if any. The dispatcher hands the queue, in batches, to
// detached `firebreak __notify` processes, at most maxNotifyProcs at a time, and merges a run's host_done
// events that come close together into one notification.
func (a *app) notifyEvent(ev store.Event) {
	if ev.Kind == incident.KindNotifyFailed {
		return // never notify about notifying: a broken hook must not loop
	}
	wanted := false
	for _, h := range a.cfg.Notify {
		wanted = wanted || h.Matches(ev.Kind)
	}
	if !wanted {
		return
	}
	a.notify.once.Do(func() {
		a.notify.d = notify.NewDispatcher(notify.Options{Send: a.spawnNotify, Group: notifyGroup, MaxRunning: maxNotifyProcs,
			OnError: func(err error) {
				fmt.Fprintf(a.stderr, "firebreak: warning: notify hooks not started: %v\n", err)
			}})
	})
	if a.notify.d != nil { // nil once closeNotify has run: this firebreak is exiting
		a.notify.d.Enqueue(ev)
	}
}

// closeNotify hands whatever is still queued to one last detached process, so nothing queued is lost
// when this firebreak exits; it does not wait for any hook.
func (a *app) closeNotify() {
	a.notify.once.Do(func() {}) // no dispatcher from now on
	if a.notify.d == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.notify.d.Close(ctx); err != nil {
		fmt.Fprintf(a.stderr, "firebreak: warning: notify hooks not started: %v\n", err)
	}
}

// notifyGroup is the coalescing key of an event: a run's host_done events share one; every other event
// stands alone.
func notifyGroup(ev store.Event) string {
	if ev.Kind != incident.KindHostDone {
		return ""
	}
	var d incident.HostDoneData
	if json.Unmarshal(ev.Data, &d) != nil {
		return ""
	}
	return fmt.Sprintf("%d/%s/%d", ev.Incident, ev.Kind, d.Run)
}

// spawnNotify starts one detached `firebreak __notify` for the batch; wait returns when it has finished.
// An item is ID:SEQ for one event, or ID:FIRST-LAST for a group: the events in that range with the group
// key of the first.
func (a *app) spawnNotify(b notify.Batch) (wait func(), err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	// The database goes in the environment, not argv: a postgres:// URL may hold a password, and argv is
	// what every user on the machine sees in ps.
	target := a.dbPath
	if a.db != nil && a.db.LocalPath() != "" {
		target = a.db.LocalPath()
	}
	args := []string{"__notify"}
	if a.configPath != "" {
		args = append(args, "--config", a.configPath)
	}
	// A person proven by a key (firebreak serve) is not named: the runner is the server's own process,
	// and an --as would record them as a name anyone could type.
	if a.actor.As != "" && a.actor.Key() == "" {
		args = append(args, "--as", a.actor.As)
	}
	if b.Dropped > 0 {
		args = append(args, "--dropped", strconv.Itoa(b.Dropped))
	}
	for _, it := range b.Items {
		item := fmt.Sprintf("%d:%d", it.Incident, it.First)
		if it.Grouped() && it.Count > 1 {
			item += fmt.Sprintf("-%d", it.Last)
		}
		args = append(args, item)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "FIREBREAK_DB="+target)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // outlives this command, away from its terminal
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// Waited for while this process lives (the console, a long run); else adopted by init.
	return func() { cmd.Wait() }, nil
}

// hookPayload is what a hook reads on stdin for one event.
type hookPayload struct {
	Incident string            `json:"incident"`
	Title    string            `json:"title"`
	Severity incident.Severity `json:"severity"`
	Status   incident.Status   `json:"status"`
	Drill    bool              `json:"drill"`
	Event    *store.Event      `json:"event,omitempty"`
	Batch    *hookBatch        `json:"batch,omitempty"`
	// Head is the chain head as of the (last) event notified: a copy off the machine that a later
	// `audit verify --against` can check, so the tail can't be deleted or the chain recomputed unseen.
	Head store.Head `json:"head"`
}

// hookBatch is what a hook reads (as "batch", instead of "event") for a run's host_done events coalesced
// into one notification.
type hookBatch struct {
	Kind     string         `json:"kind"`             // the kind of every event in it: host_done
	Run      string         `json:"run"`              // RUN-n
	Count    int            `json:"count"`            // how many events (hosts)
	ByState  map[string]int `json:"by_state"`         // hosts per state: ok, failed, ...
	NotOK    []string       `json:"not_ok,omitempty"` // hosts whose state is not ok, the first maxNotOK
	Text     string         `json:"text"`             // one line: "RUN-3: 2000 hosts done: 1990 ok, 10 failed"
	FirstSeq int64          `json:"first_seq"`
	LastSeq  int64          `json:"last_seq"`
	From     time.Time      `json:"from"` // the first event's time
	To       time.Time      `json:"to"`   // the last event's time
}

const maxNotOK = 50

// notifyItem is one ID:SEQ or ID:FIRST-LAST argument of __notify.
type notifyItem struct{ id, first, last int64 }

func parseNotifyItem(s string) (notifyItem, bool) {
	id, seqs, ok := strings.Cut(s, ":")
	first, last, grouped := strings.Cut(seqs, "-")
	var it notifyItem
	var err [3]error
	it.id, err[0] = strconv.ParseInt(id, 10, 64)
	it.first, err[1] = strconv.ParseInt(first, 10, 64)
	it.last = it.first
	if grouped {
		it.last, err[2] = strconv.ParseInt(last, 10, 64)
	}
	return it, ok && err[0] == nil && err[1] == nil && err[2] == nil && it.first > 0 && it.last >= it.first
}

// cmdNotifyRunner is the detached process: for each notification, in order, run every hook that wants it,
// and record each failure.
// newCmdNotifyRunner is the hidden command a detached process runs to deliver notify hooks.
func newCmdNotifyRunner(a *app) *cobra.Command {
	var dropped int
	cmd := &cobra.Command{
		Use:    "__notify [--dropped N] ID:SEQ|ID:FIRST-LAST...",
		Short:  "deliver events to the notify hooks (internal)",
		Long:   `__notify runs the config's notify hooks for the events named, in a process of its own so a slow hook never holds up the command that recorded them.`,
		Hidden: true,
		Args:   cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return notifyRunnerRun(cmd.Context(), a, args, dropped)
		},
	}
	cmd.Flags().IntVar(&dropped, "dropped", 0, "`N` events the queue dropped, recorded as a notice")
	return cmd
}

func notifyRunnerRun(ctx context.Context, a *app, pos []string, droppedN int) error {
	const usage = "__notify [--dropped N] ID:SEQ|ID:FIRST-LAST..."
	dropped := &droppedN
	var items []notifyItem
	for _, p := range pos {
		it, ok := parseNotifyItem(p)
		if !ok {
			return usageErrorf("%q: usage: firebreak %s", p, usage)
		}
		items = append(items, it)
	}
	svc, err := a.incidents(ctx)
	if err != nil {
		return err
	}
	svc.Notify = nil
	// The hooks are other people's programs: they inherit the database's address (a hook may call
	// firebreak back) but never its password, which they can get from ~/.pgpass or PGPASSWORD as we did.
	if v, ok := os.LookupEnv("FIREBREAK_DB"); ok {
		os.Setenv("FIREBREAK_DB", engine.WithoutPassword(v))
	}
	if *dropped > 0 && len(items) > 0 {
		recordNotifyFailed(ctx, svc, items[0].id, fmt.Sprintf("%d per-host events were not sent to the notify hooks: the notify queue was full", *dropped),
			incident.NotifyFailedData{Dropped: *dropped})
	}
	for _, it := range items {
		if err := notifyOne(ctx, a, svc, it); err != nil {
			fmt.Fprintf(a.stderr, "firebreak: %v\n", err)
		}
	}
	return nil
}

// notifyOne runs the hooks for one notification.
func notifyOne(ctx context.Context, a *app, svc *incident.Service, it notifyItem) error {
	inc, err := svc.Get(ctx, it.id)
	if err != nil {
		return err
	}
	events, err := svc.DB.Events(ctx, store.EventQuery{Incident: it.id, AfterSeq: it.first - 1, Limit: int(it.last - it.first + 1)})
	if err != nil || len(events) == 0 || events[0].Seq != it.first {
		return fmt.Errorf("event %d of %s not found", it.first, inc.Ref())
	}
	p := hookPayload{Incident: inc.Ref(), Title: inc.Title, Severity: inc.Severity, Status: inc.Status, Drill: inc.Drill}
	kind, what := events[0].Kind, fmt.Sprintf("event %d", it.first)
	failed := incident.NotifyFailedData{Seq: it.first}
	if it.last == it.first {
		p.Event = &events[0]
	} else {
		p.Batch = coalesce(events)
		what = fmt.Sprintf("events %d-%d", it.first, it.last)
		failed.LastSeq = it.last
	}
	last := events[len(events)-1]
	p.Head = store.Head{Seq: last.Seq, Hash: last.Hash}
	payload, _ := json.Marshal(p)
	for _, h := range a.cfg.Notify {
		if !h.Matches(kind) {
			continue
		}
		if err := notify.Run(ctx, h, payload); err != nil {
			d := failed
			d.Hook, d.Error = h.Label(), err.Error()
			recordNotifyFailed(ctx, svc, it.id, fmt.Sprintf("notify hook %q for %s failed: %s", h.Label(), what, output.Sanitize([]byte(err.Error()))), d)
		}
	}
	return nil
}

// coalesce summarises the events of a group: those of events with the group key of the first.
func coalesce(events []store.Event) *hookBatch {
	key := notifyGroup(events[0])
	var d incident.HostDoneData
	json.Unmarshal(events[0].Data, &d)
	b := &hookBatch{Kind: events[0].Kind, Run: rollout.RunRef(d.Run), ByState: map[string]int{}, From: events[0].At}
	for _, ev := range events {
		if notifyGroup(ev) != key {
			continue
		}
		var d incident.HostDoneData
		json.Unmarshal(ev.Data, &d)
		b.Count++
		b.ByState[d.State]++
		if d.State != string(rollout.OK) && len(b.NotOK) < maxNotOK {
			b.NotOK = append(b.NotOK, d.Host)
		}
		if b.FirstSeq == 0 {
			b.FirstSeq = ev.Seq
		}
		b.LastSeq, b.To = ev.Seq, ev.At
	}
	states := make([]string, 0, len(b.ByState))
	for s := range b.ByState {
		states = append(states, s)
	}
	sort.Slice(states, func(i, j int) bool {
		return b.ByState[states[i]] > b.ByState[states[j]] || b.ByState[states[i]] == b.ByState[states[j]] && states[i] < states[j]
	})
	parts := make([]string, len(states))
	for i, s := range states {
		parts[i] = fmt.Sprintf("%d %s", b.ByState[s], s)
	}
	b.Text = fmt.Sprintf("%s: %d hosts done: %s", b.Run, b.Count, strings.Join(parts, ", "))
	return b
}

// recordNotifyFailed records a notify_failed event, which is never itself notified.
func recordNotifyFailed(ctx context.Context, svc *incident.Service, id int64, text string, data incident.NotifyFailedData) {
	_, _, _ = svc.Change(ctx, id, func(*incident.Incident) ([]incident.Draft, error) {
		return []incident.Draft{{Kind: incident.KindNotifyFailed, Text: text, Data: data}}, nil
	})
}
