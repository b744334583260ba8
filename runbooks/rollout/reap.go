package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/inventory"
	"github.com/firebreak/firebreak/store"
)

// DefaultLeaseTTL is how long a run's lease lasts unless its owner renews it (every third of it). A run
// whose owner died on another machine is reaped about this long after the owner's last heartbeat.
const DefaultLeaseTTL = 15 * time.Second

// LeaseGrace is how long past its end a lease of ttl is still honoured: room for clocks that differ between
// machines and for a heartbeat that is a little late. It is ttl/5, at most 2 s.
func LeaseGrace(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	return min(ttl/5, 2*time.Second)
}

// MachineID names this machine in the record (a run's owner, where a host's log is): FIREBREAK_MACHINE_ID
// when set (tests stand in for several bastions with it), else /etc/machine-id, else the hostname.
func MachineID() string {
	if id := strings.TrimSpace(os.Getenv("FIREBREAK_MACHINE_ID")); id != "" {
		return id
	}
	if b, err := os.ReadFile("/etc/machine-id"); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			return id
		}
	}
	host, _ := os.Hostname()
	return host
}

// owner identifies the process driving a run, so another process can tell a run that waits from one whose
// firebreak died: the machine and the pid, and the pid's start time, since a pid alone could have been
// reused.
type owner struct {
	machine string
	pid     int
	start   string
}

func currentOwner(machine string) owner {
	return owner{machine: machine, pid: os.Getpid(), start: procStart(os.Getpid())}
}

// owns says whether r is still driven by o: nobody reaped it and took it over.
func (o owner) owns(r store.RunRow) bool {
	return r.Status != StatusInterrupted && r.OwnerHost == o.machine && r.OwnerPID == o.pid && r.OwnerStart == o.start
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

// Reap marks interrupted the runs whose firebreak died on this machine or whose lease ran out anywhere, as
// a Reaper with the defaults does (this machine's id, the default grace).
func Reap(ctx context.Context, db store.Store) ([]int64, error) {
	return Reaper{DB: db}.Reap(ctx)
}

// Reaper finds runs whose firebreak died while they were running or waiting (kill -9, a crash, a lost
// terminal, a bastion that went down) and marks them interrupted, with the hosts that were in flight as
// unknown: nobody knows whether their command finished. Nothing is re-run.
type Reaper struct {
	DB store.Store
	// Machine is this machine's id ("": MachineID()). Only here can a dead owner be told by its pid.
	Machine string
	// Grace is how long past its end a lease is honoured (0: LeaseGrace of the default TTL).
	Grace time.Duration
	Now   func() time.Time
}

// Reap marks interrupted every running or waiting run whose owner is on this machine and gone (at once),
// or whose lease ran out more than Grace ago, wherever its owner was. A run from before leases (no
// LeaseUntil) is reaped only by its pid, on its own machine. It returns the runs it marked.
func (rp Reaper) Reap(ctx context.Context) ([]int64, error) {
	if rp.Machine == "" {
		rp.Machine = MachineID()
	}
	if rp.Grace <= 0 {
		rp.Grace = LeaseGrace(0)
	}
	if rp.Now == nil {
		rp.Now = time.Now
	}
	hostname, _ := os.Hostname()
	active, err := rp.DB.Runs(ctx, store.RunQuery{Statuses: []string{StatusRunning, StatusWaiting}})
	if err != nil {
		return nil, err
	}
	// why says whether r is to be reaped: its owner on this machine is gone, or its lease ran out.
	why := func(r store.RunRow) (dead, expired bool) {
		if r.Status != StatusRunning && r.Status != StatusWaiting {
			return false, false
		}
		// Runs from before leases named their machine by its hostname.
		local := r.OwnerHost == rp.Machine || r.LeaseUntil.IsZero() && r.OwnerHost == hostname
		if local && !alive(r.OwnerPID, r.OwnerStart) {
			return true, false
		}
		return false, !r.LeaseUntil.IsZero() && r.LeaseUntil.Before(rp.Now().Add(-rp.Grace))
	}
	var reaped []int64
	for _, r := range active {
		if dead, expired := why(r); !dead && !expired {
			continue
		}
		done := false
		err := rp.DB.Write(ctx, func(tx store.Tx) error {
			done = false
			cur, err := tx.Run(ctx, r.ID)
			if err != nil {
				return err
			}
			dead, expired := why(cur) // someone else may have reaped it first, or its owner renewed the lease
			if !dead && !expired {
				return nil
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
			driver := fmt.Sprintf("pid %d", cur.OwnerPID)
			if cur.OwnerHost != "" {
				driver += " on machine " + cur.OwnerHost
			}
			text := fmt.Sprintf("%s interrupted: the firebreak driving it (%s) stopped", RunRef(r.ID), driver)
			if expired && !dead {
				text = fmt.Sprintf("%s interrupted: the firebreak driving it (%s) stopped renewing its lease, which ran out at %s; reaped from machine %s",
					RunRef(r.ID), driver, store.FormatTime(cur.LeaseUntil), rp.Machine)
			}
			text += "; nothing was re-run"
			if len(unknown) > 0 {
				text += fmt.Sprintf("; in flight, state unknown: %s", inventory.Summarize(unknown))
			}
			data := incident.RunInterruptedData{Run: r.ID, PID: cur.OwnerPID, Machine: cur.OwnerHost, LeaseLost: expired && !dead,
				ReapedBy: rp.Machine, Unknown: unknown}
			if !cur.LeaseUntil.IsZero() {
				data.LeaseUntil = store.FormatTime(cur.LeaseUntil)
			}
			ev := store.Event{Incident: r.Incident, Actor: "firebreak", Kind: incident.KindRunInterrupted, Text: text, Data: mustJSON(data)}
			done = true
			return tx.AppendEvent(ctx, &ev)
		})
		if err != nil {
			return reaped, err
		}
		if done {
			reaped = append(reaped, r.ID)
		}
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
