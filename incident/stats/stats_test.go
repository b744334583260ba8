package stats_test

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/stats"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/sqlite"
)

func secs(ds ...int) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = time.Duration(d) * time.Second
	}
	return out
}

func TestMedianAndP90(t *testing.T) {
	for _, c := range []struct {
		in          []time.Duration
		median, p90 float64
	}{
		{secs(5), 5, 5},
		{secs(10, 2), 6, 10},
		{secs(3, 1, 2), 2, 3},
		{secs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 5.5, 9},
		{secs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 6, 10},
		{secs(7, 7, 7, 100), 7, 100},
	} {
		m, p := stats.Median(c.in), stats.P90(c.in)
		if m == nil || p == nil || *m != c.median || *p != c.p90 {
			t.Errorf("%v: median %v p90 %v, want %v %v", c.in, m, p, c.median, c.p90)
		}
	}
	if stats.Median(nil) != nil || stats.P90(nil) != nil {
		t.Error("no values must give no median and no p90")
	}
}

func TestCharts(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	if got := stats.Sparkline([]*float64{f(0), f(7), nil, f(3.5), f(14)}); got != "▁▅ ▃█" {
		t.Errorf("sparkline %q", got)
	}
	if got := stats.Sparkline([]*float64{f(0), f(0)}); got != "▁▁" {
		t.Errorf("sparkline of zeros %q", got)
	}
	if got := stats.Widths([]int{1, 0, 10, 20}, 40, 20); !slices.Equal(got, []int{1, 0, 5, 10}) {
		t.Errorf("widths %v", got)
	}
	if got := stats.Bar(3, 0, 10); got != "" {
		t.Errorf("a bar of nothing: %q", got)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"90d":        now.AddDate(0, 0, -90),
		"12w":        now.AddDate(0, 0, -84),
		"36h":        now.Add(-36 * time.Hour),
		"2026-01-31": time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC),
	} {
		if got, err := stats.ParseSince(in, now); err != nil || !got.Equal(want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0d", "-5d", "d", "soon", "2027-01-01", "5x"} {
		if _, err := stats.ParseSince(bad, now); err == nil || !strings.Contains(err.Error(), "90d") {
			t.Errorf("ParseSince(%q): %v, want an error naming the forms", bad, err)
		}
	}
}

// TestBuildWeeksAndWindow builds a record over five weeks with a moving clock and checks what the window
// keeps, the weeks the incidents fall in, the response times week by week, the runs and hosts, the
// runbooks and the action items.
func TestBuildWeeksAndWindow(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "fb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var clock time.Time
	svc := &incident.Service{DB: db, Actor: incident.Actor{User: "alice"}, Now: func() time.Time { return clock }}
	day := func(d, hour int) time.Time { return time.Date(2026, 11, d, hour, 0, 0, 0, time.UTC) }
	declare := func(at time.Time, sev incident.Severity, drill bool, impactMin, ackMin int) int64 {
		t.Helper()
		clock = at
		inc, err := svc.Declare(ctx, "x", sev, drill)
		if err != nil {
			t.Fatal(err)
		}
		clock = at.Add(3 * time.Hour)
		if impactMin > 0 {
			if _, _, err := svc.SetMilestone(ctx, inc.ID, incident.ImpactStarted, at.Add(-time.Duration(impactMin)*time.Minute), ""); err != nil {
				t.Fatal(err)
			}
		}
		if ackMin > 0 {
			if _, _, err := svc.SetMilestone(ctx, inc.ID, incident.Acknowledged, at.Add(time.Duration(ackMin)*time.Minute), ""); err != nil {
				t.Fatal(err)
			}
		}
		return inc.ID
	}
	attach := func(id int64, rb string) {
		t.Helper()
		if _, _, err := svc.Attach(ctx, id, incident.RunbookCopy{ID: rb, Title: rb, Raw: rb, Steps: []incident.StepRef{{ID: "a", Title: "a"}}}); err != nil {
			t.Fatal(err)
		}
	}
	old := declare(time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC), incident.SEV1, false, 5, 5) // before the window
	w0 := declare(day(5, 9), incident.SEV2, false, 10, 4)
	declare(day(6, 9), incident.SEV2, true, 30, 100) // a drill: no response times
	w2 := declare(day(17, 9), incident.SEV1, false, 0, 8)
	declare(day(18, 9), incident.SEV4, false, 0, 2)
	declare(day(24, 9), incident.SEV3, false, 0, 0)
	attach(old, "other")
	attach(w0, "disk")
	attach(w2, "disk")

	err = db.Write(ctx, func(tx store.Tx) error {
		run := func(inc int64, dry bool, at time.Time, hosts ...store.RunHost) error {
			id, err := tx.CreateRun(ctx, store.RunRow{Incident: inc, Runbook: "disk", Step: "a", DryRun: dry, Status: "succeeded", StartedBy: "alice", StartedAt: at}, hosts)
			for _, h := range hosts {
				h.Run = id
				if err == nil {
					err = tx.SetHost(ctx, h)
				}
			}
			return err
		}
		if err := run(old, false, day(1, 1).AddDate(0, -1, 0), store.RunHost{Host: "z", State: "ok"}); err != nil {
			return err
		}
		if err := run(w2, true, day(17, 10), store.RunHost{Host: "a", State: "ok"}); err != nil {
			return err
		}
		if err := run(w2, false, day(17, 11), store.RunHost{Host: "a", State: "ok", Position: 0}, store.RunHost{Host: "b", State: "cancelled", ExitCode: -1, Position: 1},
			store.RunHost{Host: "c", State: "cancelled", Duration: time.Second, Position: 2}, store.RunHost{Host: "d", State: "skipped", Position: 3}); err != nil {
			return err
		}
		for _, a := range []store.ActionItem{{Incident: w0, Text: "1", Done: true}, {Incident: w0, Text: "2"}, {Incident: w0, Text: "3", Removed: true}, {Incident: old, Text: "4"}} {
			if err := tx.SaveActionItem(ctx, &a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	now := day(25, 12)
	rep, err := stats.Build(ctx, db, now.AddDate(0, 0, -21), now)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Incidents != 5 || rep.Real != 4 || rep.Drills != 1 {
		t.Errorf("incidents %d real %d drills %d, want 5 4 1", rep.Incidents, rep.Real, rep.Drills)
	}
	var starts []string
	var sev [][4]int
	for _, w := range rep.Weeks {
		starts = append(starts, w.Start.Format("01-02"))
		sev = append(sev, w.BySeverity)
	}
	if !slices.Equal(starts, []string{"11-02", "11-09", "11-16", "11-23"}) {
		t.Fatalf("weeks %v", starts)
	}
	if !slices.Equal(sev, [][4]int{{0, 1, 0, 0}, {}, {1, 0, 0, 1}, {0, 0, 1, 0}}) || rep.Weeks[0].Drills != 1 || rep.Weeks[2].Runs != 1 {
		t.Errorf("weeks %+v", rep.Weeks)
	}
	ack := rep.Times[1]
	if ack.Measure != incident.TimeToAcknowledge || ack.Count != 3 || ack.Missing != 1 || ack.MissingTo != 1 || ack.MissingFrom != 0 {
		t.Errorf("time to acknowledge: %+v", ack)
	}
	// 4m, 8m and 2m: median 4m, p90 8m; week by week 4m, none, (8m+2m)/2 with p90 8m, none.
	if *ack.Median != 240 || *ack.P90 != 480 {
		t.Errorf("time to acknowledge: median %v p90 %v", *ack.Median, *ack.P90)
	}
	w := ack.Weekly
	if *w[0].Median != 240 || w[1].Median != nil || *w[2].Median != 300 || *w[2].P90 != 480 || w[3].Median != nil || w[2].Count != 2 {
		t.Errorf("weekly: %+v", w)
	}
	if det := rep.Times[0]; det.Count != 1 || det.Missing != 3 || det.MissingFrom != 3 || math.Abs(*det.Median-600) > 0 {
		t.Errorf("time to detect: %+v", det)
	}
	if rep.Runs != (stats.Runs{Real: 1, Dry: 1, HostsTouched: 2, HostRuns: 2}) {
		t.Errorf("runs %+v", rep.Runs)
	}
	if len(rep.Runbooks) != 1 || rep.Runbooks[0] != (stats.RunbookUse{Runbook: "disk", Attached: 2, Runs: 2}) {
		t.Errorf("runbooks %+v", rep.Runbooks)
	}
	if rep.ActionItems != (stats.ActionItems{Open: 1, Done: 1}) {
		t.Errorf("action items %+v", rep.ActionItems)
	}
	notes := strings.Join(rep.Notes, "\n")
	if !strings.Contains(notes, "Time to acknowledge: acknowledged is not recorded (or not reached yet) on 1 of 4 real incidents; its numbers are from the 3 that have it.") {
		t.Errorf("notes:\n%s", notes)
	}
	for _, l := range stats.Lines(rep, 60, stats.NoPaint) {
		if n := len([]rune(l)); n > 60 {
			t.Errorf("a line of %d at width 60: %q", n, l)
		}
	}
}
