package handover_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/handover"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/sqlite"
)

// TestBuildRunsAndWaits: what each run status waits for, with the off-switch off and on; a run another run
// resumed, a finished run and a stopped one are not listed; a hidden note is not the last update; closed
// incidents are left out and the most severe comes first.
func TestBuildRunsAndWaits(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "fb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := &incident.Service{DB: db, Actor: incident.Actor{User: "root", As: "alice"}}
	sev3, err := svc.Declare(ctx, "slow search", incident.SEV3, false)
	if err != nil {
		t.Fatal(err)
	}
	sev1, err := svc.Declare(ctx, "checkout down", incident.SEV1, false)
	if err != nil {
		t.Fatal(err)
	}
	done, err := svc.Declare(ctx, "over", incident.SEV1, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.AssignRole(ctx, done.ID, incident.Commander, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.SetStatus(ctx, done.ID, incident.Resolved); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Note(ctx, sev1.ID, "the visible update"); err != nil {
		t.Fatal(err)
	}
	hidden, err := svc.Note(ctx, sev1.ID, "a note in the wrong incident")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Hide(ctx, sev1.ID, hidden.Seq, "wrong incident"); err != nil {
		t.Fatal(err)
	}

	hosts := func(states ...string) []store.RunHost {
		var out []store.RunHost
		for i, st := range states {
			out = append(out, store.RunHost{Host: "web" + string(rune('1'+i)), Stage: min(i+1, 2), Position: i, State: st})
		}
		return out
	}
	var ids = map[string]int64{}
	err = db.Write(ctx, func(tx store.Tx) error {
		add := func(name string, r store.RunRow, hs []store.RunHost) error {
			r.Incident, r.StartedBy, r.StartedAt, r.Title, r.Stages = sev1.ID, "root as alice", time.Now(), name, 2
			id, err := tx.CreateRun(ctx, r, hs)
			ids[name] = id
			for _, h := range hs {
				h.Run = id
				if err == nil {
					err = tx.SetHost(ctx, h)
				}
			}
			return err
		}
		for _, c := range []struct {
			name string
			r    store.RunRow
			hs   []store.RunHost
		}{
			{"approval", store.RunRow{Status: rollout.StatusWaiting, WaitingFor: "approval", Stage: 1}, hosts("ok", "pending", "pending")},
			{"pause", store.RunRow{Status: rollout.StatusWaiting, WaitingFor: "continue", Stage: 1, DryRun: true}, hosts("ok", "pending")},
			{"running", store.RunRow{Status: rollout.StatusRunning, Stage: 0}, hosts("running", "pending")},
			{"halted", store.RunRow{Status: rollout.StatusHalted, Stage: 1}, hosts("ok", "cancelled")},
			{"interrupted", store.RunRow{Status: rollout.StatusInterrupted, Stage: 1}, hosts("unknown")},
			{"finished", store.RunRow{Status: rollout.StatusSucceeded, Stage: 2}, hosts("ok", "ok")},
			{"stopped", store.RunRow{Status: rollout.StatusStopped, Stage: 1}, hosts("ok", "cancelled")},
			{"resumed", store.RunRow{Status: rollout.StatusHalted, Stage: 1}, hosts("ok", "cancelled")},
		} {
			if err := add(c.name, c.r, c.hs); err != nil {
				return err
			}
		}
		return add("resumer", store.RunRow{Status: rollout.StatusSucceeded, Resumes: ids["resumed"], Stage: 2}, hosts("ok"))
	})
	if err != nil {
		t.Fatal(err)
	}

	rep, err := handover.Build(ctx, db, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Halt != nil || len(rep.Incidents) != 2 || rep.Incidents[0].ID != sev1.Ref() || rep.Incidents[1].ID != sev3.Ref() {
		t.Fatalf("halt %v, incidents %+v", rep.Halt, rep.Incidents)
	}
	inc := rep.Incidents[0]
	if inc.LastUpdate == nil || inc.LastUpdate.Text != "the visible update" {
		t.Errorf("last update %+v, want the note that is not hidden", inc.LastUpdate)
	}
	waits := map[string]string{}
	var listed []string
	for _, r := range inc.Runs {
		listed = append(listed, r.Title)
		waits[r.Title] = r.Waiting + ": " + r.WaitingOn
	}
	if !slices.Equal(listed, []string{"approval", "pause", "running", "halted", "interrupted"}) {
		t.Fatalf("runs listed %v", listed)
	}
	for name, want := range map[string]string{
		"approval":    "approval: an approval by another person than alice: firebreak approve RUN-1",
		"pause":       "continue: alice to continue after stage 1/2",
		"running":     ": ",
		"halted":      "resume: someone to resume it after the halt: firebreak run " + sev1.Ref() + " --resume RUN-4",
		"interrupted": "resume: someone to resume it (its firebreak stopped",
	} {
		if !strings.HasPrefix(waits[name], want) {
			t.Errorf("%s waits for %q, want %q…", name, waits[name], want)
		}
	}
	if r := inc.Runs[0]; !slices.Equal(r.NextHosts, []string{"web2", "web3"}) || r.Hosts != 3 {
		t.Errorf("approval run: %+v", r)
	}
	if r := inc.Runs[2]; !slices.Equal(r.InFlight, []string{"web1"}) {
		t.Errorf("running run: %+v", r)
	}
	if len(inc.PendingApprovals) != 1 || inc.PendingApprovals[0].Run != "RUN-1" || inc.PendingApprovals[0].Needs != "anyone but alice" {
		t.Errorf("pending approvals %+v", inc.PendingApprovals)
	}

	// With the off-switch engaged, the halted run waits for it and the waiting ones say so.
	if _, err := rollout.Halt(ctx, db, "root as bob", "failover", nil); err != nil {
		t.Fatal(err)
	}
	if rep, err = handover.Build(ctx, db, time.Now()); err != nil {
		t.Fatal(err)
	}
	if rep.Halt == nil || rep.Halt.By != "root as bob" || rep.Halt.Reason != "failover" {
		t.Fatalf("halt %+v", rep.Halt)
	}
	for _, r := range rep.Incidents[0].Runs {
		switch r.Title {
		case "halted":
			if r.Waiting != handover.WaitOffSwitch || !strings.Contains(r.WaitingOn, "firebreak resume") {
				t.Errorf("halted run during a halt: %+v", r)
			}
		case "approval", "pause":
			if !strings.HasSuffix(r.WaitingOn, "and the off-switch is engaged: firebreak resume first") {
				t.Errorf("%s during a halt: %q", r.Title, r.WaitingOn)
			}
		}
	}
	var b strings.Builder
	if err := handover.Text(&b, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "**OFF-SWITCH ENGAGED** by root as bob at ") || !strings.Contains(b.String(), "RUN-3 running (real, started by alice): running stage 0/2, 2 hosts; in flight: web1; the off-switch is engaged") {
		t.Errorf("text:\n%s", b.String())
	}
}
