package main

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store/postgres/pgtest"
)

// statsJSON is what `stats --json` says.
type statsJSON struct {
	Since     time.Time `json:"since"`
	Incidents int       `json:"incidents"`
	Real      int       `json:"real"`
	Drills    int       `json:"drills"`
	Weeks     []struct {
		Start      time.Time `json:"start"`
		BySeverity [4]int    `json:"by_severity"`
		Real       int       `json:"real"`
		Drills     int       `json:"drills"`
		Runs       int       `json:"runs"`
	} `json:"weeks"`
	Times []struct {
		Measure     string   `json:"measure"`
		Count       int      `json:"count"`
		Missing     int      `json:"missing"`
		MissingFrom int      `json:"missing_from"`
		MissingTo   int      `json:"missing_to"`
		Median      *float64 `json:"median_seconds"`
		P90         *float64 `json:"p90_seconds"`
		Weekly      []struct {
			Count  int      `json:"count"`
			Median *float64 `json:"median_seconds"`
		} `json:"weekly"`
	} `json:"times"`
	Runbooks []struct {
		Runbook  string `json:"runbook"`
		Attached int    `json:"attached"`
		Runs     int    `json:"runs"`
	} `json:"runbooks"`
	Runs struct {
		Real         int `json:"real"`
		Dry          int `json:"dry"`
		HostsTouched int `json:"hosts_touched"`
		HostRuns     int `json:"host_runs"`
	} `json:"runs"`
	ActionItems struct {
		Open int `json:"open"`
		Done int `json:"done"`
	} `json:"action_items"`
	Notes []string `json:"notes"`
}

// medianOf and p90Of are the definitions the stats promise (README): the middle value, or the mean of the two
// middle ones; the nearest-rank 90th percentile.
func medianOf(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func p90Of(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[int(math.Ceil(0.9*float64(len(s))))-1]
}

// TestE2EStats builds a record through the commands with milestones at known times and checks the response
// times, counts and notes of `stats --json` against what those times give.
func TestE2EStats(t *testing.T) {
	e := newEnv(t)
	t0 := time.Now().UTC().Truncate(time.Second).Add(-3 * time.Hour) // every incident "detected" then
	at := func(min int) string { return t0.Add(time.Duration(min) * time.Minute).Format(time.RFC3339) }
	const none = -1
	// Minutes, per real incident: impact started this long before detection (none: not recorded),
	// acknowledged, mitigated and resolved this long after it (none: not yet).
	type spec struct {
		sev                          string
		impact, ack, mitigated, resd int
	}
	specs := []spec{
		{"1", 10, 3, 40, 100},
		{"2", 4, 1, 15, 45},
		{"2", 25, 12, 90, 160},
		{"3", none, 6, 30, 70},
		{"4", 7, 2, 20, none},
	}
	var ids []string
	for i, s := range specs {
		id := e.declare("real incident", string(rune('A'+i)), "--sev", s.sev)
		ids = append(ids, id)
		e.ok("milestone", id, "detected", at(0))
		if s.impact != none {
			e.ok("milestone", id, "impact_started", at(-s.impact))
		}
		e.ok("milestone", id, "acknowledged", at(s.ack))
		e.ok("milestone", id, "mitigated", at(s.mitigated))
		if s.resd != none {
			e.ok("milestone", id, "resolved", at(s.resd))
		}
	}
	// A drill with times far off the others: drills stay out of the response times.
	drill := e.declare("game day", "--drill", "--sev", "1")
	e.ok("milestone", drill, "detected", at(0))
	e.ok("milestone", drill, "impact_started", at(-170))
	e.ok("milestone", drill, "acknowledged", at(150))

	e.ok("attach", ids[0], "free-disk")
	e.ok("attach", ids[1], "free-disk")
	e.ok("attach", ids[1], "check-integrity")
	e.ok("run", ids[3], "--command", "true", "--hosts", "localhost", "--dry-run")
	e.ok("run", ids[3], "--command", "true", "--hosts", "localhost", "--yes", "--confirm-out-of-hours")
	e.ok("retro", "action", ids[0], "add", "alert on disk at 80%")
	e.ok("retro", "action", ids[0], "add", "rotate logs hourly")
	e.ok("retro", "action", ids[1], "add", "a runbook for the integrity check")
	e.ok("retro", "action", ids[0], "done", "1")

	out := e.ok("stats", "--json", "--since", "2w")
	var st statsJSON
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("stats --json: %v\n%s", err, out)
	}
	if st.Incidents != 6 || st.Real != 5 || st.Drills != 1 {
		t.Errorf("incidents %d, real %d, drills %d; want 6, 5, 1", st.Incidents, st.Real, st.Drills)
	}
	// Every incident was declared this week: the last week has them all, by severity.
	var wantSev [4]int
	for _, s := range specs {
		wantSev[s.sev[0]-'1']++
	}
	last := st.Weeks[len(st.Weeks)-1]
	if len(st.Weeks) < 2 || last.BySeverity != wantSev || last.Real != 5 || last.Drills != 1 || last.Runs != 1 {
		t.Errorf("weeks: %+v; want the last with %v, 5 real, 1 drill, 1 run", st.Weeks, wantSev)
	}

	// The expected response times, from the inputs: impact started at impact_started, else detected.
	want := map[string][]float64{}
	for _, s := range specs {
		start := 0
		if s.impact != none {
			start = -s.impact
			want["time_to_detect"] = append(want["time_to_detect"], float64(s.impact*60))
		}
		want["time_to_acknowledge"] = append(want["time_to_acknowledge"], float64(s.ack*60))
		want["time_to_mitigate"] = append(want["time_to_mitigate"], float64((s.mitigated-start)*60))
		if s.resd != none {
			want["time_to_resolve"] = append(want["time_to_resolve"], float64((s.resd-start)*60))
		}
	}
	var measures []string
	for _, tm := range st.Times {
		measures = append(measures, tm.Measure)
		xs := want[tm.Measure]
		if tm.Count != len(xs) || tm.Missing != len(specs)-len(xs) {
			t.Errorf("%s: count %d, missing %d; want %d, %d", tm.Measure, tm.Count, tm.Missing, len(xs), len(specs)-len(xs))
		}
		if tm.Median == nil || tm.P90 == nil || *tm.Median != medianOf(xs) || *tm.P90 != p90Of(xs) {
			t.Errorf("%s: median %v, p90 %v; want %v, %v (of %v)", tm.Measure, deref(tm.Median), deref(tm.P90), medianOf(xs), p90Of(xs), xs)
		}
		lw := tm.Weekly[len(tm.Weekly)-1]
		if lw.Count != len(xs) || lw.Median == nil || *lw.Median != medianOf(xs) {
			t.Errorf("%s: this week %+v, want %d with median %v", tm.Measure, lw, len(xs), medianOf(xs))
		}
	}
	if !slices.Equal(measures, []string{"time_to_detect", "time_to_acknowledge", "time_to_mitigate", "time_to_resolve"}) {
		t.Errorf("measures %v", measures)
	}
	if d, r := st.Times[0], st.Times[3]; d.MissingFrom != 1 || d.MissingTo != 0 || r.MissingFrom != 0 || r.MissingTo != 1 {
		t.Errorf("missing milestones: detect %+v, resolve %+v", d, r)
	}
	notes := strings.Join(st.Notes, "\n")
	for _, w := range []string{"Time to detect: impact_started is not recorded on 1 of 5 real incidents; its numbers are from the 4 that have it.",
		"Time to resolve: resolved is not recorded (or not reached yet) on 1 of 5 real incidents"} {
		if !strings.Contains(notes, w) {
			t.Errorf("the notes do not say %q:\n%s", w, notes)
		}
	}

	if len(st.Runbooks) != 2 || st.Runbooks[0].Runbook != "free-disk" || st.Runbooks[0].Attached != 2 || st.Runbooks[1].Runbook != "check-integrity" {
		t.Errorf("runbooks: %+v", st.Runbooks)
	}
	if st.Runs.Real != 1 || st.Runs.Dry != 1 || st.Runs.HostsTouched != 1 || st.Runs.HostRuns != 1 {
		t.Errorf("runs: %+v", st.Runs)
	}
	if st.ActionItems.Open != 2 || st.ActionItems.Done != 1 {
		t.Errorf("action items: %+v", st.ActionItems)
	}

	text := e.ok("stats", "--since", "2w")
	for _, w := range []string{"# Trends since ", "6 incidents, 5 real, 1 drill", "## Incidents per week", "## Response times of real incidents",
		"time to acknowledge", "## Runbooks most used", "free-disk", "## Runs and hosts", "real runs 1, dry runs 1",
		"hosts touched by real runs: 1 distinct", "## Drills and real incidents", "## Action items", "## What the numbers cannot say",
		"Time to detect: impact_started is not recorded on 1 of 5"} {
		if !strings.Contains(strings.Join(strings.Fields(text), " "), w) {
			t.Errorf("stats does not say %q:\n%s", w, text)
		}
	}
	for i, l := range strings.Split(text, "\n") {
		if n := len([]rune(l)); n > 80 {
			t.Errorf("line %d is %d wide: %q", i+1, n, l)
		}
	}
	if strings.Contains(text, "\x1b") {
		t.Errorf("stats printed a terminal control sequence:\n%q", text)
	}

	// A record with no incidents: nothing, and said so.
	out = newEnv(t).ok("stats", "--json")
	st = statsJSON{}
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Incidents != 0 || len(st.Notes) != 1 || !strings.Contains(st.Notes[0], "No incidents were declared since") {
		t.Errorf("stats on an empty record: %v %+v", err, st)
	}
	for _, bad := range []string{"soon", "-3d", "0d", "2999-01-01"} {
		stdout, stderr, code := e.fb("stats", "--since="+bad)
		wantError(t, "stats --since "+bad, stdout, stderr, code, 2, "--since", "90d")
	}
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// TestE2EHandoverAndStatsPostgres: the handover and the trends read the same from PostgreSQL as from the
// SQLite file the record was migrated from.
func TestE2EHandoverAndStatsPostgres(t *testing.T) {
	e := newEnv(t)
	inc := e.declare("checkout is down", "--sev", "2")
	e.declare("game day", "--drill")
	e.ok("milestone", inc, "impact_started", "-40m")
	e.ok("--as", "alice", "role", inc, "commander", "alice")
	e.ok("attach", inc, "free-disk")
	e.ok("assign", inc, "free-disk", "diagnose", "bob")
	e.ok("note", inc, "EU only")
	e.ok("run", inc, "--command", "true", "--hosts", "localhost", "--dry-run")
	e.ok("retro", "action", inc, "add", "alert on disk at 80%")
	read := func(e *fbEnv) (statsJSON, handoverJSON) {
		var st statsJSON
		if err := json.Unmarshal([]byte(e.ok("stats", "--json")), &st); err != nil {
			t.Fatal(err)
		}
		st.Since = time.Time{}
		h := e.handover()
		h.GeneratedAt = time.Time{}
		for i := range h.Incidents {
			h.Incidents[i].AgeSeconds = 0
		}
		return st, h
	}
	wantStats, wantHandover := read(e)
	if wantStats.Incidents != 2 || wantStats.Runs.Dry != 1 || wantStats.ActionItems.Open != 1 || len(wantHandover.Incidents) != 2 {
		t.Fatalf("from SQLite: %+v\n%+v", wantStats, wantHandover)
	}
	url := pgtest.NewDatabase(t)
	e.ok("migrate", "--to", url)
	gotStats, gotHandover := read(e.with("FIREBREAK_DB", url))
	a, _ := json.Marshal(wantStats)
	b, _ := json.Marshal(gotStats)
	if string(a) != string(b) {
		t.Errorf("stats from PostgreSQL:\n%s\nfrom SQLite:\n%s", b, a)
	}
	a, _ = json.Marshal(wantHandover)
	b, _ = json.Marshal(gotHandover)
	if string(a) != string(b) {
		t.Errorf("handover from PostgreSQL:\n%s\nfrom SQLite:\n%s", b, a)
	}
}
