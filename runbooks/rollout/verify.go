package rollout

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

// VerifyRecords checks what an incident's runs stored beside the timeline against the events that record
// it: every approval row against its approved event (and back), and every host's state and exit code
// against its newest host_done event. A host with no host_done event may only be pending, running,
// cancelled (never started), or unknown when a run_interrupted event names it. It returns a
// *store.Mismatch for the first that disagrees. It adds no write: host_done events are already there.
func VerifyRecords(ctx context.Context, db store.Store, id int64) error {
	events, err := db.Events(ctx, store.EventQuery{Incident: id,
		Kinds: []string{incident.KindApproved, incident.KindHostDone, incident.KindRunInterrupted}})
	if err != nil {
		return err
	}
	bad := func(seq int64, format string, args ...any) error {
		return &store.Mismatch{Incident: id, Seq: seq, Reason: fmt.Sprintf(format, args...)}
	}
	type hostKey struct {
		run  int64
		host string
	}
	type approvalKey struct {
		run    int64
		stage  int
		person string
	}
	type hostDone struct {
		seq      int64
		State    string
		ExitCode int
	}
	done := map[hostKey]hostDone{}
	unknown := map[hostKey]int64{}
	approved := map[approvalKey]struct {
		seq int64
		d   incident.ApprovalData
	}{}
	var approvedOrder []approvalKey
	for _, ev := range events {
		switch ev.Kind {
		case incident.KindHostDone:
			var d incident.HostDoneData
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				return bad(ev.Seq, "the host_done event is unreadable: %v", err)
			}
			done[hostKey{d.Run, d.Host}] = hostDone{seq: ev.Seq, State: d.State, ExitCode: d.ExitCode}
		case incident.KindRunInterrupted:
			var d incident.RunInterruptedData
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				return bad(ev.Seq, "the run_interrupted event is unreadable: %v", err)
			}
			for _, h := range d.Unknown {
				unknown[hostKey{d.Run, h}] = ev.Seq
			}
		case incident.KindApproved:
			var d incident.ApprovalData
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				return bad(ev.Seq, "the approved event is unreadable: %v", err)
			}
			k := approvalKey{d.Run, d.Stage, d.Person}
			if _, seen := approved[k]; !seen {
				approvedOrder = append(approvedOrder, k)
				approved[k] = struct {
					seq int64
					d   incident.ApprovalData
				}{ev.Seq, d}
			}
		}
	}
	runs, err := db.Runs(ctx, store.RunQuery{Incident: id})
	if err != nil {
		return err
	}
	rows := map[approvalKey]store.Approval{}
	for _, r := range runs {
		as, err := db.Approvals(ctx, r.ID)
		if err != nil {
			return err
		}
		for _, a := range as {
			k := approvalKey{a.Run, a.Stage, a.Person}
			ev, ok := approved[k]
			if !ok {
				return bad(0, "the approval of %s (stage %d) by %s is on no approved event: it was added behind firebreak's back", RunRef(a.Run), a.Stage, a.Person)
			}
			if a.Actor != ev.d.Actor && ev.d.Actor != "" || ev.d.PlanHash != "" && a.PlanHash != ev.d.PlanHash {
				return bad(ev.seq, "the stored approval of %s (stage %d) by %s differs from the approved event", RunRef(a.Run), a.Stage, a.Person)
			}
			rows[k] = a
		}
		hosts, err := db.RunHosts(ctx, r.ID)
		if err != nil {
			return err
		}
		for _, h := range hosts {
			k := hostKey{r.ID, h.Host}
			d, ok := done[k]
			switch {
			case ok && (d.State != h.State || d.ExitCode != h.ExitCode):
				return bad(d.seq, "the stored result of %s on %s is %s (exit %d) but the timeline says %s (exit %d)",
					RunRef(r.ID), h.Host, h.State, h.ExitCode, d.State, d.ExitCode)
			case ok:
			case h.State == string(Pending) || h.State == string(Running) || h.State == string(Cancelled) && h.ExitCode == -1:
			case h.State == string(Unknown) && unknown[k] > 0:
			default:
				return bad(0, "the stored result of %s on %s is %s (exit %d) but no host_done event records it", RunRef(r.ID), h.Host, h.State, h.ExitCode)
			}
		}
	}
	for _, k := range approvedOrder {
		if _, ok := rows[k]; !ok {
			return bad(approved[k].seq, "the approval of %s (stage %d) by %s is missing from the approvals table", RunRef(k.run), k.stage, k.person)
		}
	}
	return nil
}
