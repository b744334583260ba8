package retro

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

// Metrics are computed from the milestones and the runs.
type Metrics struct {
	ImpactStart       time.Time `json:"impact_start,omitzero"`
	ImpactEnd         time.Time `json:"impact_end,omitzero"`
	TimeToDetect      Duration  `json:"time_to_detect,omitempty"`
	TimeToAcknowledge Duration  `json:"time_to_acknowledge,omitempty"`
	TimeToMitigate    Duration  `json:"time_to_mitigate,omitempty"`
	TimeToResolve     Duration  `json:"time_to_resolve,omitempty"`
	HostsTouched      int       `json:"hosts_touched"`
	Runs              int       `json:"runs"`
	DryRuns           int       `json:"dry_runs"`
	StepsDone         int       `json:"steps_done"`
	StepsSkipped      int       `json:"steps_skipped"`
}

// Duration is a time.Duration that is JSON as text ("1h5m0s") and empty when unknown.
type Duration time.Duration

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d Duration) String() string {
	if d == 0 {
		return "-"
	}
	return time.Duration(d).Round(time.Second).String()
}

// keyKinds are the events the retrospective's timeline always shows (besides starred events and backdated
// notes): how the incident was declared and run, what ran on hosts, every halt, override and approval.
var keyKinds = map[string]bool{incident.KindDeclared: true, incident.KindStatus: true, incident.KindSeverity: true,
	incident.KindRole: true, incident.KindMilestone: true, incident.KindRunStarted: true, incident.KindRunFinished: true,
	incident.KindRunInterrupted: true, incident.KindHalt: true, incident.KindResume: true, incident.KindBreakGlass: true,
	incident.KindGuard: true, incident.KindApproved: true, incident.KindAttached: true}

// maxKeyRows bounds the key events shown (starred events and backdated notes are always shown): the rest
// are counted and left to firebreak timeline.
const maxKeyRows = 100

// facts is what the retrospective is drafted from.
type facts struct {
	metrics    Metrics
	responders []Responder
	rows       []Row
	moreRows   int
	keyRows    int
	runs       []store.RunRow
	runHosts   map[int64][]store.RunHost
	flags      []Flag
	drill      bool
	// savedScripts are the ad-hoc scripts saved as runbooks in the incident: the runbook, by the sha256 of
	// the script text.
	savedScripts map[string]string
}

// gather reads the incident's events (in pages, so a 200,000-event timeline never sits in memory whole)
// and runs.
func gather(ctx context.Context, db store.Store, inc *incident.Incident) (*facts, error) {
	f := &facts{runHosts: map[int64][]store.RunHost{}, drill: inc.Drill, savedScripts: map[string]string{}}
	counts := map[string]int{}
	var order []string
	actors, err := db.ActorCounts(ctx, inc.ID)
	if err != nil {
		return nil, err
	}
	for _, a := range actors {
		person := incident.ParseActor(a.Actor).Person()
		if person == "firebreak" {
			continue
		}
		if counts[person] == 0 {
			order = append(order, person)
		}
		counts[person] += a.N
	}
	if f.rows, err = hiddenRows(ctx, db, inc); err != nil {
		return nil, err
	}
	if err := timelineRows(ctx, db, inc, f); err != nil {
		return nil, err
	}
	if f.flags, err = approvalFlags(ctx, db, inc.ID); err != nil {
		return nil, err
	}
	roles := map[string][]string{}
	for _, r := range incident.Roles {
		if p := inc.Roles[r]; p != "" {
			roles[p] = append(roles[p], string(r))
			if counts[p] == 0 {
				order = append(order, p)
			}
		}
	}
	for _, p := range order {
		f.responders = append(f.responders, Responder{Person: p, Roles: roles[p], Events: counts[p]})
	}
	runs, err := db.Runs(ctx, store.RunQuery{Incident: inc.ID})
	if err != nil {
		return nil, err
	}
	f.runs = runs
	touched := map[string]bool{}
	for _, r := range runs {
		if r.DryRun {
			f.metrics.DryRuns++
			continue
		}
		f.metrics.Runs++
		hosts, err := db.RunHosts(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		f.runHosts[r.ID] = hosts
		for _, h := range hosts {
			if incident.HostTouched(h) {
				touched[h.Host] = true
			}
		}
	}
	f.metrics.HostsTouched = len(touched)
	saved, err := db.Events(ctx, store.EventQuery{Incident: inc.ID, Kinds: []string{incident.KindScriptSavedAsRunbook}})
	if err != nil {
		return nil, err
	}
	for _, ev := range saved {
		var d incident.ScriptSavedAsRunbookData
		if json.Unmarshal(ev.Data, &d) == nil && d.Hash != "" {
			f.savedScripts[d.Hash] = d.Runbook
		}
	}
	for _, c := range inc.Checklists {
		done, skipped := c.Done()
		f.metrics.StepsDone += done
		f.metrics.StepsSkipped += skipped
	}
	m := inc.Milestones
	f.metrics.ImpactStart = incident.ImpactStart(m)
	f.metrics.ImpactEnd = firstSet(m[incident.Mitigated], m[incident.ResolvedAt])
	// The response times by the one rule `firebreak stats` uses too (incident.Measure).
	for _, x := range []struct {
		m   incident.Measure
		out *Duration
	}{{incident.TimeToDetect, &f.metrics.TimeToDetect}, {incident.TimeToAcknowledge, &f.metrics.TimeToAcknowledge},
		{incident.TimeToMitigate, &f.metrics.TimeToMitigate}, {incident.TimeToResolve, &f.metrics.TimeToResolve}} {
		d, _ := x.m.Duration(m)
		*x.out = Duration(d)
	}
	return f, nil
}

// timelineRows adds the retrospective's timeline to f.rows (which holds the hidden events): the key
// events, the starred events and the backdated notes, minus the hidden ones, in the order of the times
// they are about. Only those events are read, so a 200,000-event timeline never sits in memory whole.
func timelineRows(ctx context.Context, db store.Store, inc *incident.Incident, f *facts) error {
	q := store.EventQuery{Incident: inc.ID}
	for k := range keyKinds {
		q.Kinds = append(q.Kinds, k)
	}
	sort.Strings(q.Kinds)
	events, err := db.Events(ctx, q)
	if err != nil {
		return err
	}
	always := map[int64]bool{}
	var extra []int64
	for _, seqs := range [][]int64{inc.Starred, inc.Backdated} {
		for _, seq := range seqs {
			if !always[seq] {
				always[seq] = true
				extra = append(extra, seq)
			}
		}
	}
	if len(extra) > 0 {
		more, err := db.Events(ctx, store.EventQuery{Incident: inc.ID, Seqs: extra})
		if err != nil {
			return err
		}
		events = append(events, more...)
	}
	seen := map[int64]bool{}
	for _, ev := range events {
		if _, hidden := inc.Hidden[ev.Seq]; hidden || seen[ev.Seq] {
			continue // hidden ones are listed as hidden, whatever their kind
		}
		seen[ev.Seq] = true
		if !always[ev.Seq] {
			if !isKey(ev) {
				continue
			}
			if f.keyRows >= maxKeyRows {
				f.moreRows++
				continue
			}
			f.keyRows++
		}
		row := Row{Seq: ev.Seq, At: ev.At, Actor: ev.Actor, Kind: ev.Kind, Text: ev.Text}
		if at, backdated := incident.EventTime(ev); backdated {
			row.At, row.Backdated, row.Written = at, true, ev.At
		}
		f.rows = append(f.rows, row)
	}
	sort.SliceStable(f.rows, func(i, j int) bool {
		a, b := f.rows[i], f.rows[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		return a.Seq < b.Seq
	})
	return nil
}

// approvalFlags flags every approval given from the OS account that started the run. Hidden approvals
// are flagged too: hiding an event takes it off the timeline, not out of the record of who approved what.
// An approval whose data does not say who started the run and who approved it (written before the run
// engine recorded both) is not flagged.
func approvalFlags(ctx context.Context, db store.Store, id int64) ([]Flag, error) {
	events, err := db.Events(ctx, store.EventQuery{Incident: id, Kinds: []string{incident.KindApproved}})
	if err != nil {
		return nil, err
	}
	var out []Flag
	for _, ev := range events {
		var d incident.ApprovalData
		if json.Unmarshal(ev.Data, &d) != nil || !d.SameAccountAsStarter() {
			continue
		}
		person := d.Person
		if person == "" {
			person = incident.ParseActor(d.Actor).Person()
		}
		account := incident.ParseActor(d.Actor).User
		out = append(out, Flag{Kind: FlagSameAccountApproval, Seq: ev.Seq, Run: d.Run, Stage: d.Stage, Person: person, Account: account,
			Text: fmt.Sprintf("Approval of RUN-%d (after stage %d) by %s was given from the same OS account (%s) as the run: the two-person rule rested on --as.", d.Run, d.Stage, person, account)})
	}
	return out, nil
}

// hiddenRows lists every hidden event as hidden, with who hid it and why (from the hide event), and not
// its text.
func hiddenRows(ctx context.Context, db store.Store, inc *incident.Incident) ([]Row, error) {
	if len(inc.Hidden) == 0 {
		return nil, nil
	}
	hides, err := db.Events(ctx, store.EventQuery{Incident: inc.ID, Kinds: []string{incident.KindHide}})
	if err != nil {
		return nil, err
	}
	by := map[int64]*Hidden{}
	for _, ev := range hides {
		var d incident.HideData
		if json.Unmarshal(ev.Data, &d) == nil && by[d.Seq] == nil {
			by[d.Seq] = &Hidden{By: ev.Actor, Reason: d.Reason, Seq: ev.Seq}
		}
	}
	seqs := make([]int64, 0, len(inc.Hidden))
	for seq := range inc.Hidden {
		seqs = append(seqs, seq)
	}
	events, err := db.Events(ctx, store.EventQuery{Incident: inc.ID, Seqs: seqs})
	if err != nil {
		return nil, err
	}
	rows := make([]Row, 0, len(events))
	for _, ev := range events {
		h := by[ev.Seq]
		if h == nil {
			h = &Hidden{Reason: inc.Hidden[ev.Seq]}
		}
		rows = append(rows, Row{Seq: ev.Seq, At: ev.At, Actor: ev.Actor, Kind: ev.Kind, Hidden: h})
	}
	return rows, nil
}

func isKey(ev store.Event) bool {
	if !keyKinds[ev.Kind] {
		return false
	}
	switch ev.Kind {
	case incident.KindRunStarted:
		var d incident.RunStartedData
		json.Unmarshal(ev.Data, &d)
		return !d.PlanDryRun()
	case incident.KindRunFinished:
		var d incident.RunFinishedData
		json.Unmarshal(ev.Data, &d)
		return !d.DryRun
	}
	return true
}

func firstSet(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// prefill drafts the sections the data can fill.
func prefill(inc *incident.Incident, f *facts) map[string]string {
	d := map[string]string{}
	kind := "an incident"
	if inc.Drill {
		kind = "a drill (game day), not a real incident"
	}
	summary := fmt.Sprintf("%s, %s, was %s, declared %s by %s.", inc.Ref(), inc.Severity, kind,
		inc.DeclaredAt.UTC().Format("2006-01-02 15:04 UTC"), escapeText(incident.ParseActor(inc.DeclaredBy).Person()))
	if f.metrics.TimeToResolve > 0 {
		summary += fmt.Sprintf(" It was resolved %s after the impact started.", f.metrics.TimeToResolve)
	}
	d["summary"] = summary + "\n\n" + escapeText(inc.Title) + "\n"
	if !f.metrics.ImpactStart.IsZero() {
		end := "ongoing"
		if !f.metrics.ImpactEnd.IsZero() {
			end = f.metrics.ImpactEnd.UTC().Format("2006-01-02 15:04 UTC")
		}
		d["impact"] = fmt.Sprintf("Impact window: %s to %s.\n", f.metrics.ImpactStart.UTC().Format("2006-01-02 15:04 UTC"), end)
	}
	d["timeline"] = timelineTable(f)
	d["resolution"] = resolution(inc, f)
	d["supporting"] = supporting(inc, f)
	return d
}

func timelineTable(f *facts) string {
	if len(f.rows) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("| Time (UTC) | Who | What |\n|---|---|---|\n")
	for _, r := range f.rows {
		what := cell(r.Text)
		if r.Backdated {
			what = fmt.Sprintf("(backdated: written %s) %s", r.Written.UTC().Format("2006-01-02 15:04"), what)
		}
		if r.Hidden != nil {
			what = fmt.Sprintf("(event %d, %s, hidden by %s: %s)", r.Seq, cell(r.Kind), cell(incident.ParseActor(r.Hidden.By).Person()), cell(r.Hidden.Reason))
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r.At.UTC().Format("2006-01-02 15:04:05"), cell(r.Actor), what)
	}
	if f.moreRows > 0 {
		fmt.Fprintf(&b, "\n%d more key events are on the full timeline (firebreak timeline).\n", f.moreRows)
	}
	return b.String()
}

func resolution(inc *incident.Incident, f *facts) string {
	var b strings.Builder
	for _, r := range f.runs {
		if r.DryRun {
			continue
		}
		counts := map[string]int{}
		for _, h := range f.runHosts[r.ID] {
			switch {
			case h.State == "cancelled" && incident.HostTouched(h):
				counts["cancelled_in_flight"]++ // a halt killed it while it ran
			case h.State == "cancelled":
				counts["not_started"]++
			default:
				counts[h.State]++
			}
		}
		var parts []string
		for _, s := range []string{"ok", "changed", "skipped", "rolled_back", "failed", "timed_out", "unreachable", "cancelled_in_flight", "not_started", "unknown"} {
			if counts[s] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", counts[s], strings.ReplaceAll(s, "_", " ")))
			}
		}
		what := escapeText(r.Title)
		if r.Runbook != "" {
			what = fmt.Sprintf("%s (%s)", codeSpan(r.Runbook+"/"+r.Step), escapeText(r.Title))
		}
		// The person starts the run; the hosts' results are the run's, never the person's.
		hosts := "hosts"
		if len(f.runHosts[r.ID]) == 1 {
			hosts = "host"
		}
		fmt.Fprintf(&b, "- RUN-%d %s, started by %s on %d %s: %s; %s.\n", r.ID, what,
			escapeText(incident.ParseActor(r.StartedBy).Person()), len(f.runHosts[r.ID]), hosts, r.Status, strings.Join(parts, ", "))
	}
	for _, c := range inc.Checklists {
		for _, s := range c.Steps {
			switch s.State {
			case incident.StepDone:
				fmt.Fprintf(&b, "- Step %s %s: done by %s.\n", codeSpan(c.Runbook+"/"+s.ID), escapeText(s.Title), escapeText(incident.ParseActor(s.By).Person()))
			case incident.StepSkipped:
				fmt.Fprintf(&b, "- Step %s %s: skipped (%s).\n", codeSpan(c.Runbook+"/"+s.ID), escapeText(s.Title), escapeText(s.Reason))
			}
		}
	}
	return b.String()
}

func supporting(inc *incident.Incident, f *facts) string {
	var b strings.Builder
	b.WriteString("Responders:\n\n")
	for _, r := range f.responders {
		roles := ""
		if len(r.Roles) > 0 {
			roles = " (" + strings.Join(r.Roles, ", ") + ")"
		}
		fmt.Fprintf(&b, "- %s%s\n", escapeText(r.Person), roles)
	}
	if len(f.runs) > 0 {
		b.WriteString("\nRun logs: `firebreak runs RUN-n` lists each host's log file.\n")
	}
	b.WriteString(fmt.Sprintf("\nThe full timeline: `firebreak timeline %s`; its integrity: `firebreak audit verify %s`.\n", inc.Ref(), inc.Ref()))
	return b.String()
}

// runSucceeded is the status of a run that went through every stage (rollout's StatusSucceeded).
const runSucceeded = "succeeded"

// suggest proposes a CI quality gate for every remediation script that ran in production (on at least one
// host) and has no action item naming it yet: a runbook's gets a gate, an ad-hoc script a "save it as a
// runbook and gate it", unless it was saved as one in the incident (then the runbook gets the gate). A
// drill proposes them only for runs that succeeded: a drill's halted or failed run is practice, not a
// remediation production needed.
func suggest(f *facts, actions []Action) []Action {
	seen := map[string]bool{}
	var out []Action
	for _, r := range f.runs {
		if r.DryRun || (f.drill && r.Status != runSucceeded) {
			continue
		}
		ran := false
		for _, h := range f.runHosts[r.ID] {
			ran = ran || incident.HostTouched(h)
		}
		if !ran {
			continue
		}
		runbook := r.Runbook
		var text string
		if runbook == "" {
			sum := sha256.Sum256([]byte(incident.RunStartedData{Plan: r.Plan}.PlanScript()))
			if saved := f.savedScripts[hex.EncodeToString(sum[:])]; saved != "" {
				runbook = saved
				if seen[runbook] {
					continue
				}
				seen[runbook] = true
				text = fmt.Sprintf("CI quality gate for runbook %s (saved from the ad-hoc script of RUN-%d): run `firebreak runbook lint` and `firebreak runbook test %s` on every change", runbook, r.ID, runbook)
			} else {
				if seen[r.ScriptHash] {
					continue
				}
				seen[r.ScriptHash] = true
				text = fmt.Sprintf("Save the ad-hoc script of RUN-%d as a runbook and gate it in CI with `firebreak runbook lint` and `firebreak runbook test`", r.ID)
			}
		} else {
			if seen[runbook] {
				continue
			}
			seen[runbook] = true
			text = fmt.Sprintf("CI quality gate for runbook %s (it ran in production in RUN-%d): run `firebreak runbook lint` and `firebreak runbook test %s` on every change", runbook, r.ID, runbook)
		}
		dup := false
		for _, a := range actions {
			if runbook != "" && strings.Contains(a.Text, runbook) || a.Text == text {
				dup = true
			}
		}
		if !dup {
			out = append(out, Action{Text: text, Kind: "prevent"})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Text < out[j].Text })
	return out
}

// cell makes text safe inside a GFM table cell: one line, pipes escaped, Markdown and HTML neutralised.
