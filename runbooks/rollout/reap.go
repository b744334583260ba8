package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

// owner identifies the process driving a run, so another process can tell a run that waits from one whose
// firebreak died: the pid alone could have been reused, so its start time goes with it.
type owner struct {
	pid   int
	start string
	host  string
}

func currentOwner() owner {
	host, _ := os.Hostname()
	return owner{pid: os.Getpid(), start: procStart(os.Getpid()), host: host}
}

// procStart is the process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or "".
func procStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command name may contain spaces and parentheses
	if i < 0 {
		return ""
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return ""
	}
	return fields[19]
}

func alive(pid int, start string) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && err != syscall.EPERM {
		return false
	}
	return start == "" || procStart(pid) == start
}

// Reap finds runs whose firebreak died while they were running or waiting (kill -9, a crash, a lost
// terminal) and marks them interrupted, with the hosts that were in flight as unknown: nobody knows whether
// their command finished. Nothing is re-run. It returns the runs it marked.
func Reap(ctx context.Context, db store.Store) ([]int64, error) {
	active, err := db.Runs(ctx, store.RunQuery{Statuses: []string{StatusRunning, StatusWaiting}})
	if err != nil {
		return nil, err
	}
	me, _ := os.Hostname()
	var reaped []int64
	for _, r := range active {
		if r.OwnerHost != me || alive(r.OwnerPID, r.OwnerStart) {
			continue
		}
		err := db.Write(ctx, func(tx store.Tx) error {
			cur, err := tx.Run(ctx, r.ID)
			if err != nil || (cur.Status != StatusRunning && cur.Status != StatusWaiting) {
				return err // someone else reaped it first
			}
			hosts, err := tx.RunHosts(ctx, r.ID)
			if err != nil {
				return err
			}
			var unknown []string
			for _, h := range hosts {
				switch HostState(h.State) {
				case Running:
					h.State, h.Error = string(Unknown), "in flight when its firebreak stopped: check the host"
					unknown = append(unknown, h.Host)
				case Pending:
					h.State, h.Error = string(Cancelled), "not started: the run was interrupted"
				default:
					continue
				}
				if err := tx.SetHost(ctx, h); err != nil {
					return err
				}
			}
			cur.Status, cur.WaitingFor = StatusInterrupted, ""
			if err := tx.UpdateRun(ctx, cur); err != nil {
				return err
			}
			text := fmt.Sprintf("%s interrupted: the firebreak driving it (pid %d) stopped; nothing was re-run", RunRef(r.ID), r.OwnerPID)
			if len(unknown) > 0 {
				text += fmt.Sprintf("; in flight, state unknown: %s", strings.Join(unknown, ", "))
			}
			ev := store.Event{Incident: r.Incident, Actor: "firebreak", Kind: incident.KindRunInterrupted, Text: text,
				Data: mustJSON(incident.RunInterruptedData{Run: r.ID, PID: r.OwnerPID, Unknown: unknown})}
			return tx.AppendEvent(ctx, &ev)
		})
		if err != nil {
			return reaped, err
		}
		reaped = append(reaped, r.ID)
	}
	return reaped, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only payloads of strings, numbers and json.RawMessage are passed
	}
	return b
}
