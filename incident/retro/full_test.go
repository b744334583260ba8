package retro

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

// fullIncident is an incident with everything a retrospective draws on: roles, severity and status
// changes, milestones, a backdated note, a starred note, a hidden note, a checklist ticked by bob, a
// runbook run halted with hosts in flight, an ad-hoc script run and saved as a runbook, a dry run, a break
// glass and an approval. It returns the services and the incident's id.
type fullFixture struct {
	rs      *Service
	alice   *incident.Service
	bob     *incident.Service
	id      int64
	starred int64 // the starred note
	hidden  int64 // the hidden note
	before  int64 // the backdated note
}

func fullIncident(t *testing.T, drill bool) *fullFixture {
	t.Helper()
	ctx := context.Background()
	rs, alice := newRetro(t, "alice")
	bob := &incident.Service{DB: alice.DB, Actor: incident.ParseActor("bob"), Now: alice.Now}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must3 := func(_ *incident.Incident, _ []store.Event, err error) { t.Helper(); must(err) }
	inc, err := alice.Declare(ctx, "Checkout errors after the 02:00 deploy", incident.SEV2, drill)
	must(err)
	f := &fullFixture{rs: rs, alice: alice, bob: bob, id: inc.ID}
	must3(alice.AssignRole(ctx, inc.ID, incident.Commander, "alice"))
	must3(alice.AssignRole(ctx, inc.ID, incident.Operations, "bob"))
	must3(alice.SetSeverity(ctx, inc.ID, incident.SEV1))
	// What showed before the declaration: written now, about 01:40.
	ev, err := bob.NoteAt(ctx, inc.ID, "p99 latency on checkout crept up from 300ms to 900ms", time.Date(2026, 11, 21, 1, 40, 0, 0, time.UTC))
	must(err)
	f.before = ev.Seq
	ev, err = bob.Note(ctx, inc.ID, "the canary's error rate is 40%: the new pool config has an empty upstream list")
	must(err)
	f.starred = ev.Seq
	must3(alice.Star(ctx, inc.ID, ev.Seq, true))
	ev, err = bob.Note(ctx, inc.ID, "pasted the wrong dashboard link, ignore")
	must(err)
	f.hidden = ev.Seq
	must3(alice.Hide(ctx, inc.ID, ev.Seq, "wrong link"))
	ev, err = bob.Note(ctx, inc.ID, "an ordinary note, neither key nor starred")
	must(err)
	must3(alice.SetMilestone(ctx, inc.ID, incident.ImpactStarted, time.Date(2026, 11, 21, 1, 55, 0, 0, time.UTC), "LB logs"))
	must3(alice.SetStatus(ctx, inc.ID, incident.Identified))
	must3(alice.Attach(ctx, inc.ID, incident.RunbookCopy{ID: "rollback", Title: "Roll a deploy back", Source: "rollback.toml", Raw: "id = \"rollback\"\n",
		Steps: []incident.StepRef{{ID: "restore", Title: "Restore the previous version, keeping the bad one aside"}, {ID: "purge", Title: "Purge the CDN"}}}))
	must3(bob.MarkStep(ctx, inc.ID, "rollback", "restore", incident.Tick, ""))
	must3(bob.MarkStep(ctx, inc.ID, "rollback", "purge", incident.Skip, "the CDN never cached the errors"))

	var at time.Time
	event := func(actor, kind, text string, data any) int64 {
		t.Helper()
		raw, err := json.Marshal(data)
		must(err)
		at = alice.Now()
		ev := store.Event{Incident: inc.ID, At: at, Actor: actor, Kind: kind, Text: text, Data: raw}
		must(alice.DB.Write(ctx, func(tx store.Tx) error { return tx.AppendEvent(ctx, &ev) }))
		return ev.Seq
	}
	run := func(runbook, step, title, script string, dryRun bool, status string, hosts ...store.RunHost) int64 {
		t.Helper()
		plan, _ := json.Marshal(map[string]any{"dry_run": dryRun, "script": map[string]any{"script": script}})
		sum := sha256.Sum256([]byte(script + runbook))
		row := store.RunRow{Incident: inc.ID, Runbook: runbook, Step: step, Title: title, ScriptHash: hex.EncodeToString(sum[:]), DryRun: dryRun,
			Status: "running", Stages: 2, Plan: plan, StartedBy: "bob", StartedAt: alice.Now()}
		var id int64
		must(alice.DB.Write(ctx, func(tx store.Tx) error {
			var rows []store.RunHost
			for i, h := range hosts {
				rows = append(rows, store.RunHost{Host: h.Host, Stage: h.Stage, Position: i, State: "pending"})
			}
			var err error
			if id, err = tx.CreateRun(ctx, row, rows); err != nil {
				return err
			}
			row.ID, row.Status, row.FinishedAt = id, status, at
			for _, h := range hosts {
				h.Run = id
				if err := tx.SetHost(ctx, h); err != nil {
					return err
				}
			}
			return tx.UpdateRun(ctx, row)
		}))
		event("bob", incident.KindRunStarted, "RUN started", incident.RunStartedData{Run: id, Plan: plan})
		event("bob", incident.KindRunFinished, "RUN "+status, incident.RunFinishedData{Run: id, Status: status, DryRun: dryRun, Runbook: runbook, Step: step})
		return id
	}
	ok := func(host string, stage int) store.RunHost {
		return store.RunHost{Host: host, Stage: stage, State: "ok", Duration: 2 * time.Second}
	}
	// A dry run, then the real one, halted in its second stage: web2 was in flight (ran, cancelled),
	// web3 never started.
	run("rollback", "restore", "Restore the previous version", "deploy --previous", true, "succeeded", ok("web1", 1))
	event("alice", incident.KindBreakGlass, "break glass: working hours overridden", incident.GuardData{Guard: "working-hours", Reason: "checkout is down", Run: 2})
	event("alice", incident.KindApproved, "RUN-2 stage 2 approved by alice", incident.ApprovalData{Run: 2, Stage: 1, Person: "alice", Actor: "alice", StartedBy: "bob"})
	run("rollback", "restore", "Restore the previous version", "deploy --previous", false, "halted", ok("web1", 1),
		store.RunHost{Host: "web2", Stage: 2, State: "cancelled", ExitCode: 143, Duration: 1500 * time.Millisecond, Error: "script killed"},
		store.RunHost{Host: "web3", Stage: 2, State: "cancelled", ExitCode: -1, Error: "not started: the run was halted"})
	event("alice", incident.KindHalt, "HALT: web2 looks worse", incident.SwitchData{Reason: "web2 looks worse"})
	event("alice", incident.KindResume, "resumed", incident.SwitchData{})
	// An ad-hoc script that worked, then was saved as a runbook; and one that was not saved.
	run("", "", "ad-hoc: flush the pool", "pool flush --all", false, "succeeded", ok("web4", 1))
	sum := sha256.Sum256([]byte("pool flush --all"))
	event("bob", incident.KindScriptSavedAsRunbook, "ad-hoc script saved as runbook flush-pool",
		incident.ScriptSavedAsRunbookData{Hash: hex.EncodeToString(sum[:]), Path: "/rb/flush-pool.toml", Runbook: "flush-pool", Step: "fix", Version: 1})
	run("", "", "ad-hoc: warm the cache", "cache warm", false, "succeeded", ok("web5", 1))

	must3(alice.SetStatus(ctx, inc.ID, incident.Mitigating))
	must3(alice.SetStatus(ctx, inc.ID, incident.Resolved))
	must(func() error {
		_, err := rs.Save(ctx, inc.ID, "summary", 0, "A pool config with an empty upstream list reached production; checkout failed for 20 minutes.")
		return err
	}())
	must(func() error {
		_, err := rs.SaveAction(ctx, inc.ID, Action{Text: "Reject an empty upstream list in the config schema", Owner: "bob", Kind: "prevent", Due: "2026-12-15"}, false)
		return err
	}())
	return f
}

// TestFullIncidentGolden exports a full incident as Markdown and JSON and compares them with the golden
// files (go test -update rewrites them).
func TestFullIncidentGolden(t *testing.T) {
	f := fullIncident(t, false)
	r, err := f.rs.Load(context.Background(), f.id)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"full.md", func(b *bytes.Buffer) error { return r.Markdown(b) }},
		{"full.json", func(b *bytes.Buffer) error { return r.JSON(b) }},
	} {
		var b bytes.Buffer
		if err := c.write(&b); err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", c.file)
		if *update {
			if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("export differs from %s (go test -update rewrites it):\n%s", golden, b.String())
		}
	}
}

// The prefilled text passes firebreak's own blameless check, even with a step titled "... the bad one
// aside" that bob ticked.
func TestPrefillPassesTheBlamelessCheck(t *testing.T) {
	f := fullIncident(t, false)
	r, err := f.rs.Load(context.Background(), f.id)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := r.Section("resolution")
	if res.Version != 0 || !strings.Contains(res.Text, "keeping the bad one aside: done by bob.") {
		t.Fatalf("resolution draft:\n%s", res.Text)
	}
	if fs := r.Check(); len(fs) != 0 {
		t.Errorf("the prefilled retrospective has blameless findings: %v", fs)
	}
	if err := f.rs.SetState(context.Background(), f.id, incident.RetroReview, false); err != nil {
		t.Fatal(err)
	}
	if err := f.rs.SetState(context.Background(), f.id, incident.RetroPublished, false); err != nil {
		t.Errorf("publishing the prefilled retrospective without --force: %v", err)
	}
}

// The timeline is the key events plus the starred ones plus the backdated notes, minus the hidden ones
// (listed as hidden), in the order of the times they are about.
func TestRetroTimelineKeyPlusStarred(t *testing.T) {
	f := fullIncident(t, false)
	r, err := f.rs.Load(context.Background(), f.id)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	var seqs []int64
	for i, row := range r.Timeline {
		kinds[row.Kind]++
		seqs = append(seqs, row.Seq)
		if i > 0 && row.At.Before(r.Timeline[i-1].At) {
			t.Errorf("row %d (event %d) at %s is before the row above it", i, row.Seq, row.At)
		}
		switch {
		case row.Seq == f.hidden && (row.Hidden == nil || row.Text != ""):
			t.Errorf("the hidden note is shown: %+v", row)
		case row.Seq == f.before && (!row.Backdated || row.At.Format(time.RFC3339) != "2026-11-21T01:40:00Z" || row.Written.IsZero() || i != 0):
			t.Errorf("the backdated note: row %d %+v, want the first row, at 01:40, with when it was written", i, row)
		case row.Seq != f.before && row.Backdated:
			t.Errorf("row %+v is backdated", row)
		}
	}
	for kind, n := range map[string]int{incident.KindDeclared: 1, incident.KindStatus: 3, incident.KindSeverity: 1, incident.KindRole: 2,
		incident.KindMilestone: 1, incident.KindAttached: 1, incident.KindBreakGlass: 1, incident.KindApproved: 1, incident.KindHalt: 1,
		incident.KindResume: 1, incident.KindRunStarted: 3, incident.KindRunFinished: 3, incident.KindNote: 3} {
		if kinds[kind] != n {
			t.Errorf("%d %s rows, want %d (rows by kind: %v)", kinds[kind], kind, n, kinds)
		}
	}
	for _, s := range []int64{f.starred, f.hidden, f.before} {
		found := false
		for _, seq := range seqs {
			found = found || seq == s
		}
		if !found {
			t.Errorf("event %d is not on the retrospective's timeline %v", s, seqs)
		}
	}
	var md bytes.Buffer
	r.Markdown(&md)
	for _, want := range []string{"(backdated: written 2026-11-21 02:", "p99 latency on checkout crept up", "the canary's error rate is 40%",
		"hidden by alice: wrong link", "declared SEV2", "HALT: web2 looks worse", "break glass"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the export has no %q", want)
		}
	}
	if strings.Contains(md.String(), "pasted the wrong dashboard link") || strings.Contains(md.String(), "an ordinary note") {
		t.Error("the export shows a hidden or an ordinary note")
	}
}

// Empty sections are marked "Not written." in the export, never exported with their prompts.
func TestEmptySectionsNotWritten(t *testing.T) {
	f := fullIncident(t, false)
	r, err := f.rs.Load(context.Background(), f.id)
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	r.Markdown(&md)
	for _, s := range r.Sections {
		if s.Prompt != "" && strings.Contains(md.String(), s.Prompt) {
			t.Errorf("the export has the prompt of %s", s.Slug)
		}
	}
	if n := strings.Count(md.String(), "_Not written._"); n != 6 { // detection, contributing factors, trigger, went well, went wrong, lucky
		t.Errorf("%d sections marked not written, want 6:\n%s", n, md.String())
	}
}

// Publishing locks the text: a save is refused with what to run, reopening is recorded on the timeline,
// and a reopened retrospective's export does not say published.
func TestPublishLocksTheText(t *testing.T) {
	ctx := context.Background()
	f := fullIncident(t, false)
	for _, st := range []string{incident.RetroReview, incident.RetroPublished} {
		if err := f.rs.SetState(ctx, f.id, st, false); err != nil {
			t.Fatal(err)
		}
	}
	r, _ := f.rs.Load(ctx, f.id)
	if r.Locked() == nil {
		t.Error("a published retrospective is not locked")
	}
	_, err := f.rs.Save(ctx, f.id, "summary", 1, "a new summary")
	if !errors.Is(err, incident.ErrRefused) || !strings.Contains(err.Error(), "firebreak retro state INC-1 review") {
		t.Fatalf("saving a published retrospective: %v, want refused naming retro state ID review", err)
	}
	if _, err := f.rs.Save(ctx, f.id, "impact", 0, "first words"); !errors.Is(err, incident.ErrRefused) {
		t.Fatalf("saving a new section of a published retrospective: %v", err)
	}
	if err := f.rs.SetState(ctx, f.id, incident.RetroReview, false); err != nil {
		t.Fatal(err)
	}
	events, _ := f.alice.DB.Events(ctx, store.EventQuery{Incident: f.id, Kinds: []string{incident.KindRetroState}})
	if n := len(events); n != 3 || events[2].Text != "retrospective published → review" {
		t.Fatalf("retro_state events %d, last %+v", n, events[n-1])
	}
	res, err := f.rs.Save(ctx, f.id, "summary", 1, "a new summary")
	if err != nil || res.Version != 2 {
		t.Fatalf("saving after reopening: %+v, %v", res, err)
	}
	r, _ = f.rs.Load(ctx, f.id)
	var md, js bytes.Buffer
	r.Markdown(&md)
	r.JSON(&js)
	if !strings.Contains(md.String(), "| Retrospective | review |") || strings.Contains(md.String(), "published") {
		t.Errorf("the reopened retrospective's export says published:\n%s", md.String())
	}
	if !strings.Contains(js.String(), `"state": "review"`) || strings.Contains(js.String(), "published") {
		t.Errorf("the reopened retrospective's JSON says published")
	}
}

// Suggestions: a runbook that ran gets a CI gate; an ad-hoc script saved as a runbook gets its runbook's gate
// and no "save it"; an unsaved one gets "save it"; a dry run nothing. Hosts touched counts a host a halt
// killed in flight, and not one that never started.
func TestSuggestionsAndCounts(t *testing.T) {
	f := fullIncident(t, false)
	r, err := f.rs.Load(context.Background(), f.id)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, a := range r.Suggested {
		texts = append(texts, a.Text)
	}
	all := strings.Join(texts, "\n")
	if len(texts) != 3 || !strings.Contains(all, "CI quality gate for runbook rollback (it ran in production in RUN-2)") ||
		!strings.Contains(all, "CI quality gate for runbook flush-pool (saved from the ad-hoc script of RUN-3)") ||
		!strings.Contains(all, "Save the ad-hoc script of RUN-4 as a runbook") || strings.Contains(all, "Save the ad-hoc script of RUN-3") {
		t.Errorf("suggestions:\n%s", all)
	}
	// web1, web2 (killed in flight by the halt), web4, web5; not web3, which never started.
	if m := r.Metrics; m.HostsTouched != 4 || m.Runs != 3 || m.DryRuns != 1 || m.StepsDone != 1 || m.StepsSkipped != 1 {
		t.Errorf("metrics %+v", m)
	}
	// An action item naming the runbook takes its suggestion away.
	if _, err := f.rs.SaveAction(context.Background(), f.id, Action{Text: "gate flush-pool in CI"}, false); err != nil {
		t.Fatal(err)
	}
	r, _ = f.rs.Load(context.Background(), f.id)
	if len(r.Suggested) != 2 {
		t.Errorf("suggestions after the action item: %+v", r.Suggested)
	}
}

// A drill proposes no CI gate for a run it halted: halting it was the practice, production needed nothing.
func TestNoGateForHaltedDrillRuns(t *testing.T) {
	f := fullIncident(t, true)
	r, err := f.rs.Load(context.Background(), f.id)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range r.Suggested {
		if strings.Contains(a.Text, "runbook rollback") {
			t.Errorf("a drill suggests a gate for its halted run: %q", a.Text)
		}
	}
	if len(r.Suggested) != 2 {
		t.Errorf("a drill's suggestions for its succeeded runs: %+v", r.Suggested)
	}
}

// Contributing factors replaced root causes in the default template; a record that saved root-causes
// keeps its section, title and versions, and either slug names it.
func TestRootCausesStaysValid(t *testing.T) {
	ctx := context.Background()
	f := fullIncident(t, false)
	// An old record: written under the old slug (as firebreak did before), straight into the store.
	v := store.RetroVersion{Incident: f.id, Section: "root-causes", Text: "The schema allowed an empty list.", Author: "alice", At: f.alice.Now()}
	if err := f.alice.DB.Write(ctx, func(tx store.Tx) error {
		if err := tx.SaveRetroVersion(ctx, &v); err != nil {
			return err
		}
		return recordVersion(ctx, tx, v)
	}); err != nil {
		t.Fatal(err)
	}
	r, err := f.rs.Load(ctx, f.id)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := r.Section("contributing-factors")
	if !ok || s.Slug != "root-causes" || s.Title != "Root causes and contributing factors" || s.Version != 1 || s.Text != v.Text {
		t.Fatalf("the old record's section: %+v", s)
	}
	if _, ok := r.Section("root-causes"); !ok {
		t.Fatal("root-causes does not name it")
	}
	var md bytes.Buffer
	r.Markdown(&md)
	if !strings.Contains(md.String(), "## Root causes and contributing factors\n\nThe schema allowed an empty list.") ||
		strings.Contains(md.String(), "## Contributing factors") {
		t.Errorf("the old record's export:\n%s", md.String())
	}
	// Saving under the new slug continues the old section's versions.
	res, err := f.rs.Save(ctx, f.id, "contributing-factors", 1, "The schema allowed an empty list; the canary took 4 minutes.")
	if err != nil || res.Version != 2 || res.Conflict {
		t.Fatalf("save: %+v %v", res, err)
	}
	if _, err := Verify(ctx, f.alice.DB, f.id); err != nil {
		t.Fatal(err)
	}
	// A new record: the new section; root-causes names it.
	g := fullIncident(t, false)
	if _, err := g.rs.Save(ctx, g.id, "root-causes", 0, "The schema allowed an empty list."); err != nil {
		t.Fatal(err)
	}
	r, _ = g.rs.Load(ctx, g.id)
	if s, _ := r.Section("contributing-factors"); s.Slug != "contributing-factors" || s.Title != "Contributing factors" || s.Version != 1 {
		t.Errorf("the new record's section: %+v", s)
	}
	if _, err := g.rs.Save(ctx, g.id, "no-such", 0, "x"); !errors.Is(err, incident.ErrInvalid) {
		t.Errorf("unknown section: %v", err)
	}
}
