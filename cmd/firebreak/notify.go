package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/notify"
	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/store"
)

// notifier returns the incident service's Notify callback: for each event some hook wants, it starts a
// detached `firebreak __notify` process that runs the hooks and records failures on the timeline. The
// command that made the change returns at once; a slow pager never slows the incident.
func (a *app) notifier() func(*incident.Incident, store.Event) {
	if len(a.cfg.Notify) == 0 {
		return nil
	}
	return func(_ *incident.Incident, ev store.Event) { a.notifyEvent(ev) }
}

// notifyEvent starts the hooks that want ev, if any.
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
	if err := a.spawnNotify(ev.Incident, ev.Seq); err != nil {
		fmt.Fprintf(a.stderr, "firebreak: warning: notify hooks not started: %v\n", err)
	}
}

func (a *app) spawnNotify(id, seq int64) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	args := []string{"__notify", "--db", a.db.Path(), strconv.FormatInt(id, 10), strconv.FormatInt(seq, 10)}
	if a.configPath != "" {
		args = append(args, "--config", a.configPath)
	}
	if a.actor.As != "" {
		args = append(args, "--as", a.actor.As)
	}
	cmd := exec.Command(exe, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // outlives this command, away from its terminal
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // reaped when this process lives long enough (the console); else adopted by init
	return nil
}

// hookPayload is what a hook reads on stdin.
type hookPayload struct {
	Incident string            `json:"incident"`
	Title    string            `json:"title"`
	Severity incident.Severity `json:"severity"`
	Status   incident.Status   `json:"status"`
	Drill    bool              `json:"drill"`
	Event    store.Event       `json:"event"`
}

// cmdNotifyRunner is the detached process: run every hook that wants the event, record each failure.
func cmdNotifyRunner(ctx context.Context, a *app, args []string) error {
	pos, err := parseArgs(newFlags("__notify"), args, 2, 2, "__notify ID SEQ")
	if err != nil {
		return err
	}
	id, err1 := strconv.ParseInt(pos[0], 10, 64)
	seq, err2 := strconv.ParseInt(pos[1], 10, 64)
	if err1 != nil || err2 != nil {
		return usageErrorf("__notify ID SEQ")
	}
	svc, err := a.incidents(ctx)
	if err != nil {
		return err
	}
	svc.Notify = nil
	inc, err := svc.Get(ctx, id)
	if err != nil {
		return err
	}
	events, err := svc.DB.Events(ctx, store.EventQuery{Incident: id, AfterSeq: seq - 1, Limit: 1})
	if err != nil || len(events) == 0 {
		return fmt.Errorf("event %d of %s not found", seq, inc.Ref())
	}
	payload, _ := json.Marshal(hookPayload{Incident: inc.Ref(), Title: inc.Title, Severity: inc.Severity,
		Status: inc.Status, Drill: inc.Drill, Event: events[0]})
	for _, h := range a.cfg.Notify {
		if !h.Matches(events[0].Kind) {
			continue
		}
		if err := notify.Run(ctx, h, payload); err != nil {
			_, _, _ = svc.Change(ctx, id, func(*incident.Incident) ([]incident.Draft, error) {
				return []incident.Draft{{Kind: incident.KindNotifyFailed,
					Text: fmt.Sprintf("notify hook %q for event %d failed: %s", h.Label(), seq, output.Sanitize([]byte(err.Error()))),
					Data: map[string]any{"hook": h.Label(), "seq": seq, "error": err.Error()}}}, nil
			})
		}
	}
	return nil
}
