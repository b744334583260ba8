package incident

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
)

func newService(t *testing.T) *Service {
	t.Helper()
	db, err := engine.Open(context.Background(), filepath.Join(t.TempDir(), "fb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &Service{DB: db, Actor: Actor{User: "root", As: "alice"}}
}

func TestLifecycleRules(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name      string
		commander bool
		path      []Status // moves made first, all allowed
		to        Status
		wantErr   error
		wantMsg   string
	}{
		{"forward needs a commander", false, nil, Identified, ErrRefused, "needs a commander"},
		{"forward one step", true, nil, Identified, nil, ""},
		{"forward jump", true, nil, Monitoring, nil, ""},
		{"back one step", true, []Status{Mitigating}, Identified, nil, ""},
		{"back two steps refused", true, []Status{Mitigating}, Investigating, ErrRefused, "allowed next are monitoring, resolved, closed, identified"},
		{"close needs a published retrospective", true, []Status{Resolved}, Closed, ErrRefused, "retrospective is published"},
		{"same status changes nothing", true, []Status{Identified}, Identified, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newService(t)
			inc, err := s.Declare(ctx, "db down", SEV2, false)
			if err != nil {
				t.Fatal(err)
			}
			if c.commander {
				if _, _, err := s.AssignRole(ctx, inc.ID, Commander, "alice"); err != nil {
					t.Fatal(err)
				}
			}
			for _, st := range c.path {
				if _, _, err := s.SetStatus(ctx, inc.ID, st); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := s.Get(ctx, inc.ID)
			got, events, err := s.SetStatus(ctx, inc.ID, c.to)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) || !strings.Contains(err.Error(), c.wantMsg) {
					t.Fatalf("want %v mentioning %q, got %v", c.wantErr, c.wantMsg, err)
				}
				after, _ := s.Get(ctx, inc.ID)
				if after.Events != before.Events || after.Status != before.Status {
					t.Fatal("a refused change wrote something")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != c.to {
				t.Fatalf("status %s, want %s", got.Status, c.to)
			}
			if before.Status == c.to && len(events) != 0 {
				t.Fatal("a no-op change recorded an event")
			}
		})
	}
}

func TestMilestonesAndCorrections(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	inc, _ := s.Declare(ctx, "checkout errors", SEV1, true)
	if inc.Milestones[Detected].IsZero() || !inc.Drill {
		t.Fatalf("declare: %+v", inc)
	}
	s.AssignRole(ctx, inc.ID, Commander, "alice")
	s.SetStatus(ctx, inc.ID, Resolved) // a jump marks mitigated and resolved together
	got, _ := s.Get(ctx, inc.ID)
	for _, m := range []Milestone{Detected, Acknowledged, Mitigated, ResolvedAt} {
		if got.Milestones[m].IsZero() {
			t.Errorf("milestone %s not set", m)
		}
	}
	started := time.Date(2026, 11, 20, 22, 0, 0, 0, time.UTC)
	s.SetMilestone(ctx, inc.ID, ImpactStarted, started, "from the load balancer logs")
	corrected := started.Add(-10 * time.Minute)
	_, events, err := s.SetMilestone(ctx, inc.ID, ImpactStarted, corrected, "earlier graph")
	if err != nil {
		t.Fatal(err)
	}
	var d milestoneData
	json.Unmarshal(events[0].Data, &d)
	if !d.Correction || d.Previous != store.FormatTime(started) {
		t.Fatalf("correction data %+v", d)
	}
	got, _ = s.Get(ctx, inc.ID)
	if !got.Milestones[ImpactStarted].Equal(corrected) {
		t.Fatalf("impact_started %v, want %v", got.Milestones[ImpactStarted], corrected)
	}
	tl, _ := s.Timeline(ctx, inc.ID, 0, 0)
	n := 0
	for _, ev := range tl {
		if ev.Kind == KindMilestone {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d milestone events, want 2: a correction is a new event, never an overwrite", n)
	}
	if _, _, err := s.SetMilestone(ctx, inc.ID, Mitigated, time.Now().Add(time.Hour), ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("a milestone in the future: want ErrInvalid, got %v", err)
	}
}

func TestRolesStarsHide(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	inc, _ := s.Declare(ctx, "disk full", SEV3, false)
	s.AssignRole(ctx, inc.ID, Commander, "alice")
	s.AssignRole(ctx, inc.ID, Scribe, "alice") // one person, several roles
	s.SetStatus(ctx, inc.ID, Identified)
	if _, _, err := s.AssignRole(ctx, inc.ID, Commander, "-"); !errors.Is(err, ErrRefused) {
		t.Fatalf("unassigning the commander past investigating: want refusal, got %v", err)
	}
	_, ev, _ := s.AssignRole(ctx, inc.ID, Commander, "bob")
	if !strings.Contains(ev[0].Text, "was alice") {
		t.Errorf("handover text %q", ev[0].Text)
	}
	s.Note(ctx, inc.ID, "freed 20G")
	if _, _, err := s.Star(ctx, inc.ID, 99, true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("star of a missing event: %v", err)
	}
	s.Star(ctx, inc.ID, 6, true)
	s.Star(ctx, inc.ID, 2, true)
	s.Star(ctx, inc.ID, 6, false)
	s.Hide(ctx, inc.ID, 2, "duplicate")
	got, _ := s.Get(ctx, inc.ID)
	if !reflect.DeepEqual(got.Starred, []int64{2}) || got.Roles[Scribe] != "alice" || got.Commander() != "bob" || got.Hidden[2] != "duplicate" {
		t.Fatalf("state %+v", got)
	}
	if _, err := s.Note(ctx, inc.ID, "   "); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty note: %v", err)
	}
	if _, err := s.Note(ctx, inc.ID, "bell \a"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("control characters: %v", err)
	}
	if _, err := s.Note(ctx, 999, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown incident: %v", err)
	}
}

// TestProjectionIsReplay proves the stored state is exactly what replaying the timeline gives.
func TestProjectionIsReplay(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	inc, _ := s.Declare(ctx, "latency", SEV2, false)
	s.Note(ctx, inc.ID, "looking")
	s.SetSeverity(ctx, inc.ID, SEV1)
	s.AssignRole(ctx, inc.ID, Commander, "alice")
	s.AssignRole(ctx, inc.ID, Communications, "carol")
	s.SetStatus(ctx, inc.ID, Mitigating)
	s.SetStatus(ctx, inc.ID, Identified)
	s.Star(ctx, inc.ID, 2, true)
	s.SetMilestone(ctx, inc.ID, ImpactStarted, time.Now().Add(-time.Hour), "")
	s.Hide(ctx, inc.ID, 2, "typo")
	stored, _ := s.Get(ctx, inc.ID)
	events, _ := s.Timeline(ctx, inc.ID, 0, 0)
	replayed, err := Replay(events)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(stored)
	b, _ := json.Marshal(replayed)
	if string(a) != string(b) {
		t.Fatalf("projection differs from replay:\nstored   %s\nreplayed %s", a, b)
	}
	if events[2].Actor != "root as alice" {
		t.Errorf("actor %q, want 'root as alice'", events[2].Actor)
	}
}

func TestParsers(t *testing.T) {
	now := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	for in, want := range map[string]Severity{"1": SEV1, "SEV2": SEV2, "sev3": SEV3, " 4 ": SEV4} {
		if got, err := ParseSeverity(in); err != nil || got != want {
			t.Errorf("ParseSeverity(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"0", "5", "x", "", "SEV"} {
		if _, err := ParseSeverity(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseSeverity(%q) accepted", in)
		}
	}
	for in, want := range map[string]int64{"INC-7": 7, "inc-12": 12, "3": 3} {
		if got, err := ParseRef(in); err != nil || got != want {
			t.Errorf("ParseRef(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"INC-", "INC-0", "-1", "foo", ""} {
		if _, err := ParseRef(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseRef(%q) accepted", in)
		}
	}
	times := map[string]time.Time{
		"now":                  now,
		"-15m":                 now.Add(-15 * time.Minute),
		"02:30":                time.Date(2026, 11, 21, 2, 30, 0, 0, time.UTC),
		"04:00":                time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC), // still to come today: yesterday
		"2026-11-20 23:05":     time.Date(2026, 11, 20, 23, 5, 0, 0, time.UTC),
		"2026-11-20T23:05:00Z": time.Date(2026, 11, 20, 23, 5, 0, 0, time.UTC),
	}
	for in, want := range times {
		if got, err := ParseTime(in, now); err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if a := ParseActor("root as alice"); a.User != "root" || a.As != "alice" || a.Person() != "alice" {
		t.Errorf("ParseActor: %+v", a)
	}
}
