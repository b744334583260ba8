// Package stats is trends across incidents: how many incidents a week by severity, how long they took to
// detect, acknowledge, mitigate and resolve (median and p90, over time), which runbooks are used most, how
// many runs and hosts, drills against real incidents, and action items open against done. `firebreak
// stats` prints it and the console's trends screen draws it; both ask Build.
package stats

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

// Report is the trends of the incidents declared since a time.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	Since       time.Time `json:"since"`
	Incidents   int       `json:"incidents"`
	Real        int       `json:"real"`
	Drills      int       `json:"drills"`
	// Weeks are the weeks (Monday 00:00 UTC) from Since's to now's, every one, empty ones too.
	Weeks []Week `json:"weeks"`
	// Times are the response times of real incidents (drills left out), in incident.Measures order.
	Times       []Times      `json:"times"`
	Runbooks    []RunbookUse `json:"runbooks"`
	Runs        Runs         `json:"runs"`
	ActionItems ActionItems  `json:"action_items"`
	// Notes say plainly what the numbers cannot: milestones not recorded, nothing in the window.
	Notes []string `json:"notes"`
}

// Week is one week's incidents and runs.
type Week struct {
	Start time.Time `json:"start"`
	// BySeverity counts the real incidents declared that week: index 0 is SEV1.
	BySeverity [4]int `json:"by_severity"`
	Real       int    `json:"real"`
	Drills     int    `json:"drills"`
	Runs       int    `json:"runs"` // real runs started that week
}

// Times is one response time across the real incidents.
type Times struct {
	Measure incident.Measure   `json:"measure"`
	From    incident.Milestone `json:"from"`
	To      incident.Milestone `json:"to"`
	// Count is how many incidents have it; Missing how many do not (a milestone not recorded, or not
	// reached yet), MissingFrom and MissingTo which of the two they lack.
	Count       int `json:"count"`
	Missing     int `json:"missing"`
	MissingFrom int `json:"missing_from"`
	MissingTo   int `json:"missing_to"`
	// Median and P90 are in seconds; null when no incident has it.
	Median *float64 `json:"median_seconds"`
	P90    *float64 `json:"p90_seconds"`
	Weekly []Point  `json:"weekly"`
}

// Point is a response time over one week's incidents.
type Point struct {
	Start  time.Time `json:"start"`
	Count  int       `json:"count"`
	Median *float64  `json:"median_seconds"`
	P90    *float64  `json:"p90_seconds"`
}

// RunbookUse is how often a runbook was attached and run.
type RunbookUse struct {
	Runbook  string `json:"runbook"`
	Attached int    `json:"attached"`
	Runs     int    `json:"runs"` // real and dry
}

// Runs counts the runs of the incidents.
type Runs struct {
	Real int `json:"real"`
	Dry  int `json:"dry"`
	// HostsTouched is how many distinct hosts real runs touched (incident.HostTouched); HostRuns counts
	// every host of every real run it touched.
	HostsTouched int `json:"hosts_touched"`
	HostRuns     int `json:"host_runs"`
}

// ActionItems counts the retrospectives' action items (removed ones left out).
type ActionItems struct {
	Open int `json:"open"`
	Done int `json:"done"`
}

// mostUsed is how many runbooks the report lists.
const mostUsed = 10

// Build computes the trends of the incidents declared at or after since, as of now.
func Build(ctx context.Context, db store.Store, since, now time.Time) (*Report, error) {
	svc := &incident.Service{DB: db}
	incs, err := svc.History(ctx, since)
	if err != nil {
		return nil, err
	}
	rep := &Report{GeneratedAt: now.UTC(), Since: since.UTC(), Incidents: len(incs), Runbooks: []RunbookUse{}, Notes: []string{}}
	first := weekStart(since)
	for w := first; !w.After(now); w = w.AddDate(0, 0, 7) {
		rep.Weeks = append(rep.Weeks, Week{Start: w})
	}
	week := func(t time.Time) int {
		i := int(weekStart(t).Sub(first).Hours() / (24 * 7))
		return max(0, min(len(rep.Weeks)-1, i))
	}
	in := map[int64]bool{}
	uses := map[string]*RunbookUse{}
	use := func(rb string) *RunbookUse {
		if uses[rb] == nil {
			uses[rb] = &RunbookUse{Runbook: rb}
		}
		return uses[rb]
	}
	var realIncs []*incident.Incident
	for _, inc := range incs {
		in[inc.ID] = true
		w := &rep.Weeks[week(inc.DeclaredAt)]
		if inc.Drill {
			rep.Drills++
			w.Drills++
		} else {
			rep.Real++
			w.Real++
			w.BySeverity[min(3, max(0, int(inc.Severity)-1))]++
			realIncs = append(realIncs, inc)
		}
		for _, c := range inc.Checklists {
			use(c.Runbook).Attached++
		}
	}
	// The window's action items and run hosts come in one query each (not one per incident or run): the
	// same window, since, as the incidents'.
	items, err := db.ActionItemsSince(ctx, since)
	if err != nil {
		return nil, err
	}
	for _, a := range items {
		switch {
		case !in[a.Incident] || a.Removed:
		case a.Done:
			rep.ActionItems.Done++
		default:
			rep.ActionItems.Open++
		}
	}
	for _, m := range incident.Measures {
		rep.Times = append(rep.Times, times(m, realIncs, rep.Weeks, week))
	}
	if err := rep.countRuns(ctx, db, since, in, use, week); err != nil {
		return nil, err
	}
	for _, u := range uses {
		rep.Runbooks = append(rep.Runbooks, *u)
	}
	sort.Slice(rep.Runbooks, func(i, j int) bool {
		a, b := rep.Runbooks[i], rep.Runbooks[j]
		if a.Attached+a.Runs != b.Attached+b.Runs {
			return a.Attached+a.Runs > b.Attached+b.Runs
		}
		return a.Runbook < b.Runbook
	})
	if len(rep.Runbooks) > mostUsed {
		rep.Runbooks = rep.Runbooks[:mostUsed]
	}
	rep.notes()
	return rep, nil
}

// countRuns counts the runs of the incidents in the window and the hosts their real runs touched.
func (rep *Report) countRuns(ctx context.Context, db store.Store, since time.Time, in map[int64]bool, use func(string) *RunbookUse, week func(time.Time) int) error {
	runs, err := db.Runs(ctx, store.RunQuery{})
	if err != nil {
		return err
	}
	realRuns := map[int64]bool{}
	for _, r := range runs {
		if !in[r.Incident] {
			continue
		}
		if r.Runbook != "" {
			use(r.Runbook).Runs++
		}
		if r.DryRun {
			rep.Runs.Dry++
			continue
		}
		rep.Runs.Real++
		rep.Weeks[week(r.StartedAt)].Runs++
		realRuns[r.ID] = true
	}
	hosts, err := db.RunHostsSince(ctx, since)
	if err != nil {
		return err
	}
	touched := map[string]bool{}
	for _, h := range hosts {
		if realRuns[h.Run] && incident.HostTouched(h) {
			touched[h.Host] = true
			rep.Runs.HostRuns++
		}
	}
	rep.Runs.HostsTouched = len(touched)
	return nil
}

// times computes response time m over the real incidents, in all and week by week.
func times(m incident.Measure, real []*incident.Incident, weeks []Week, week func(time.Time) int) Times {
	from, to := m.Span()
	t := Times{Measure: m, From: from, To: to, Weekly: make([]Point, len(weeks))}
	var all []time.Duration
	byWeek := make([][]time.Duration, len(weeks))
	for _, inc := range real {
		d, ok := m.Duration(inc.Milestones)
		if !ok {
			t.Missing++
			if m == incident.TimeToDetect && inc.Milestones[from].IsZero() || m != incident.TimeToDetect && incident.ImpactStart(inc.Milestones).IsZero() {
				t.MissingFrom++
			}
			if inc.Milestones[to].IsZero() {
				t.MissingTo++
			}
			continue
		}
		all = append(all, d)
		i := week(inc.DeclaredAt)
		byWeek[i] = append(byWeek[i], d)
	}
	t.Count = len(all)
	t.Median, t.P90 = Median(all), P90(all)
	for i, w := range weeks {
		t.Weekly[i] = Point{Start: w.Start, Count: len(byWeek[i]), Median: Median(byWeek[i]), P90: P90(byWeek[i])}
	}
	return t
}

// Median is the middle of ds in seconds (the mean of the two middle ones for an even count), nil for none.
func Median(ds []time.Duration) *float64 {
	if len(ds) == 0 {
		return nil
	}
	s := sorted(ds)
	n := len(s)
	v := s[n/2].Seconds()
	if n%2 == 0 {
		v = (s[n/2-1].Seconds() + s[n/2].Seconds()) / 2
	}
	return &v
}

// P90 is the 90th percentile of ds in seconds by nearest rank (the smallest value at least 90% of them
// do not exceed), nil for none.
func P90(ds []time.Duration) *float64 {
	if len(ds) == 0 {
		return nil
	}
	s := sorted(ds)
	rank := int(math.Ceil(0.9 * float64(len(s))))
	v := s[max(0, rank-1)].Seconds()
	return &v
}

func sorted(ds []time.Duration) []time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s
}

// weekStart is the Monday 00:00 UTC of t's week.
func weekStart(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	back := (int(day.Weekday()) + 6) % 7 // days since Monday
	return day.AddDate(0, 0, -back)
}

// notes says what the numbers cannot.
func (rep *Report) notes() {
	if rep.Incidents == 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("No incidents were declared since %s.", rep.Since.Format("2006-01-02")))
		return
	}
	for _, t := range rep.Times {
		if t.Missing == 0 {
			continue
		}
		var why []string
		if t.MissingFrom > 0 {
			name := string(t.From)
			if t.Measure != incident.TimeToDetect {
				name = "impact_started or detected"
			}
			why = append(why, fmt.Sprintf("%s is not recorded on %d", name, t.MissingFrom))
		}
		if t.MissingTo > 0 {
			why = append(why, fmt.Sprintf("%s is not recorded (or not reached yet) on %d", t.To, t.MissingTo))
		}
		what := "no incident has it, so there is no number"
		if t.Count > 0 {
			what = fmt.Sprintf("its numbers are from the %d that have it", t.Count)
		}
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s: %s of %d real incidents; %s.",
			capitalize(t.Measure.Label()), joinAnd(why), rep.Real, what))
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func joinAnd(ss []string) string {
	switch len(ss) {
	case 0:
		return ""
	case 1:
		return ss[0]
	}
	return fmt.Sprintf("%s and %s", ss[0], ss[1])
}
