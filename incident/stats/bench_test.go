package stats_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/stats"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/sqlite"
)

// BenchmarkStats1000Incidents200kEvents is `firebreak stats` on the SPEC's big record: 1,000 incidents and
// 200,000 events in a real SQLite file, with checklists, two runs each (a dry run and a real run of ten
// hosts), milestones and action items. The target is 300 ms for the whole answer (Build and the text).
func BenchmarkStats1000Incidents200kEvents(b *testing.B) {
	ctx := context.Background()
	now := time.Now().UTC()
	path := filepath.Join(b.TempDir(), "stats.db")
	db, err := sqlite.Open(ctx, path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	events := fill(b, db, now, 1000, 200)
	b.Logf("built %s: 1,000 incidents, %d events in %s", path, events, time.Since(start).Round(time.Millisecond))
	since := now.AddDate(0, 0, -90)
	var rep *stats.Report
	for b.Loop() {
		if rep, err = stats.Build(ctx, db, since, now); err != nil {
			b.Fatal(err)
		}
		stats.Lines(rep, 100, stats.NoPaint)
	}
	if events != 200_000 {
		b.Fatalf("built %d events, want 200,000", events)
	}
	if rep.Incidents != 1000 || rep.Runs.Real != 1000 || rep.Runs.Dry != 1000 {
		b.Fatalf("the report saw %d incidents, %d real and %d dry runs; want 1000 of each", rep.Incidents, rep.Runs.Real, rep.Runs.Dry)
	}
}

// oneTx is a store whose every Write is the one transaction it holds: a whole record is written through the
// incident service, with its real projections and chains, as one bulk write.
type oneTx struct {
	store.Store
	tx store.Tx
}

func (o oneTx) Write(_ context.Context, fn func(store.Tx) error) error { return fn(o.tx) }

var people = []string{"alice", "bob", "carol", "dave", "erin"}

// fill writes n incidents of per events each (about), declared over the last 84 days, in one transaction,
// and returns how many events it wrote.
func fill(b *testing.B, db store.Store, now time.Time, n, per int) int64 {
	b.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	var total int64
	err := db.Write(ctx, func(tx store.Tx) error {
		for i := range n {
			at := now.Add(-84 * 24 * time.Hour).Add(time.Duration(i) * 2 * time.Hour)
			clock := func() time.Time { at = at.Add(time.Duration(5+r.IntN(60)) * time.Second); return at }
			who := people[r.IntN(len(people))]
			svc := &incident.Service{DB: oneTx{db, tx}, Actor: incident.Actor{User: "oncall", As: who}, Now: clock}
			inc, err := svc.Declare(ctx, fmt.Sprintf("incident %d", i), incident.Severity(1+r.IntN(4)), r.IntN(10) == 0)
			if err != nil {
				return err
			}
			id := inc.ID
			if _, _, err := svc.AssignRole(ctx, id, incident.Commander, who); err != nil {
				return err
			}
			if r.IntN(3) > 0 {
				if _, _, err := svc.SetMilestone(ctx, id, incident.ImpactStarted, inc.DeclaredAt.Add(-time.Duration(1+r.IntN(30))*time.Minute), ""); err != nil {
					return err
				}
			}
			rb := incident.RunbookCopy{ID: fmt.Sprintf("runbook-%d", r.IntN(12)), Title: "a runbook", Raw: "id = \"x\"\n",
				Steps: []incident.StepRef{{ID: "look", Title: "look"}, {ID: "fix", Title: "fix", Script: true}, {ID: "check", Title: "check"}}}
			if _, _, err := svc.Attach(ctx, id, rb); err != nil {
				return err
			}
			if _, _, err := svc.MarkStep(ctx, id, rb.ID, "look", incident.Tick, ""); err != nil {
				return err
			}
			for _, st := range []incident.Status{incident.Identified, incident.Mitigating} {
				if _, _, err := svc.SetStatus(ctx, id, st); err != nil {
					return err
				}
			}
			for _, dry := range []bool{true, false} {
				if err := run(ctx, tx, id, rb.ID, dry, clock, r); err != nil {
					return err
				}
			}
			resolve := i < n-20
			sofar, err := tx.Incident(ctx, id)
			if err != nil {
				return err
			}
			notes := per - int(sofar.LastSeq)
			if resolve {
				notes-- // the resolution comes last
			}
			var drafts []incident.Draft
			for range notes {
				drafts = append(drafts, incident.Draft{Kind: incident.KindNote, Text: "p99 latency back under 300 ms", At: clock()})
			}
			if _, _, err := svc.Change(ctx, id, func(*incident.Incident) ([]incident.Draft, error) { return drafts, nil }); err != nil {
				return err
			}
			if resolve {
				if _, _, err := svc.SetStatus(ctx, id, incident.Resolved); err != nil {
					return err
				}
			}
			for k := range 3 {
				a := &store.ActionItem{Incident: id, Text: fmt.Sprintf("action %d", k), Owner: who, Done: k == 0 || r.IntN(2) == 0, Author: who, At: clock()}
				if err := tx.SaveActionItem(ctx, a); err != nil {
					return err
				}
			}
			row, err := tx.Incident(ctx, id)
			if err != nil {
				return err
			}
			total += row.LastSeq
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return total
}

// run records a finished run of ten hosts (a dry run: one) with its events, as the run engine records one.
func run(ctx context.Context, tx store.Tx, inc int64, runbook string, dry bool, clock func() time.Time, r *rand.Rand) error {
	hosts := 10
	if dry {
		hosts = 1
	}
	started := clock()
	row := store.RunRow{Incident: inc, Runbook: runbook, Step: "fix", DryRun: dry, Status: "running", Stages: 2, StartedBy: "oncall as alice",
		StartedAt: started, Plan: json.RawMessage(`{"script":{"script":"systemctl restart api"},"stages":[1,9]}`), PlanHash: "abc"}
	var hs []store.RunHost
	first := r.IntN(290)
	for h := range hosts {
		hs = append(hs, store.RunHost{Host: fmt.Sprintf("web%03d", first+h), Stage: min(2, h+1), Position: h, State: "pending"})
	}
	id, err := tx.CreateRun(ctx, row, hs)
	if err != nil {
		return err
	}
	ev := func(kind string, data any) error {
		b, _ := json.Marshal(data)
		return tx.AppendEvent(ctx, &store.Event{Incident: inc, At: clock(), Actor: "oncall as alice", Kind: kind, Text: kind, Data: b})
	}
	if err := ev(incident.KindRunStarted, incident.RunStartedData{Run: id, Plan: row.Plan}); err != nil {
		return err
	}
	for _, h := range hs {
		h.Run, h.State, h.Duration = id, "ok", time.Duration(1+r.IntN(5000))*time.Millisecond
		if err := tx.SetHost(ctx, h); err != nil {
			return err
		}
		if err := ev(incident.KindHostDone, incident.HostDoneData{Run: id, Host: h.Host, Stage: h.Stage, State: h.State, DurationMS: h.Duration.Milliseconds()}); err != nil {
			return err
		}
	}
	if err := ev(incident.KindRunFinished, incident.RunFinishedData{Run: id, Status: "succeeded", DryRun: dry, Runbook: runbook, Step: "fix"}); err != nil {
		return err
	}
	row.ID, row.Status, row.Stage, row.FinishedAt = id, "succeeded", 2, clock()
	return tx.UpdateRun(ctx, row)
}
