package incident

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
)

func sampleRunbook(raw string) RunbookCopy {
	return RunbookCopy{ID: "free-disk", Title: "Free disk space", Source: "builtin:free-disk.toml", Raw: raw,
		Steps: []StepRef{{ID: "look", Title: "Look at df"}, {ID: "clean", Title: "Remove rotated logs", Script: true}, {ID: "tell", Title: "Tell the channel"}}}
}

func TestChecklist(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	inc, _ := s.Declare(ctx, "disk full on web", SEV3, false)
	if _, _, err := s.MarkStep(ctx, inc.ID, "free-disk", "look", Tick, ""); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "firebreak attach") {
		t.Fatalf("tick before attach: %v", err)
	}
	if _, _, err := s.Attach(ctx, inc.ID, sampleRunbook("version one")); err != nil {
		t.Fatal(err)
	}
	// The same runbook changed on disk: the attached version stays.
	if _, _, err := s.Attach(ctx, inc.ID, sampleRunbook("version two")); !errors.Is(err, ErrRefused) {
		t.Fatalf("re-attach of a changed runbook: %v", err)
	}
	if _, _, err := s.MarkStep(ctx, inc.ID, "free-disk", "nope", Tick, ""); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "look, clean, tell") {
		t.Fatalf("unknown step: %v", err)
	}
	if _, _, err := s.MarkStep(ctx, inc.ID, "free-disk", "tell", Skip, " "); !errors.Is(err, ErrInvalid) {
		t.Fatalf("skip without a reason: %v", err)
	}
	before, _ := s.Get(ctx, inc.ID)

	s.MarkStep(ctx, inc.ID, "free-disk", "look", Tick, "")
	s.MarkStep(ctx, inc.ID, "free-disk", "clean", Assign, "bob")
	s.MarkStep(ctx, inc.ID, "free-disk", "tell", Skip, "the channel already knows")
	_, evs, _ := s.MarkStep(ctx, inc.ID, "free-disk", "look", Tick, "")
	if len(evs) != 0 {
		t.Error("ticking a ticked step recorded an event")
	}
	s.MarkStep(ctx, inc.ID, "free-disk", "tell", Untick, "")

	got, _ := s.Get(ctx, inc.ID)
	if got.Events != before.Events+4 {
		t.Fatalf("%d events, want %d", got.Events, before.Events+4)
	}
	c, _ := got.Checklist("free-disk")
	look, _ := c.Step("look")
	clean, _ := c.Step("clean")
	tell, _ := c.Step("tell")
	if c.Raw != "version one" || look.State != StepDone || look.By != "root as alice" || clean.Assignee != "bob" || tell.State != StepOpen {
		t.Fatalf("checklist %+v", c)
	}
	events, _ := s.Timeline(ctx, inc.ID, 0, 0)
	replayed, _ := Replay(events)
	if rc, _ := replayed.Checklist("free-disk"); fmt.Sprint(rc.Steps) != fmt.Sprint(c.Steps) {
		t.Fatalf("replay differs:\n%v\n%v", rc.Steps, c.Steps)
	}
}

// TestTwoPeopleTickAtOnce: two people (two database handles, as two terminals have) tick different steps at
// the same moment, many times; every tick lands, in order, each credited to its person.
func TestTwoPeopleTickAtOnce(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	inc, _ := s.Declare(ctx, "race", SEV2, false)
	var steps []StepRef
	for i := range 40 {
		steps = append(steps, StepRef{ID: fmt.Sprintf("s%d", i), Title: "step"})
	}
	s.Attach(ctx, inc.ID, RunbookCopy{ID: "rb", Title: "rb", Raw: "x", Steps: steps})
	var wg sync.WaitGroup
	for p, who := range []string{"alice", "bob"} {
		db, err := engine.Open(ctx, s.DB.LocalPath(), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		person := &Service{DB: db, Actor: Actor{User: "root", As: who}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := p; i < 40; i += 2 {
				if _, _, err := person.MarkStep(ctx, inc.ID, "rb", fmt.Sprintf("s%d", i), Tick, ""); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	got, _ := s.Get(ctx, inc.ID)
	c, _ := got.Checklist("rb")
	for i, st := range c.Steps {
		want := map[int]string{0: "root as alice", 1: "root as bob"}[i%2]
		if st.State != StepDone || st.By != want {
			t.Fatalf("step %s: %s by %q, want done by %q", st.ID, st.State, st.By, want)
		}
	}
	if err := store.VerifyChain(ctx, s.DB, inc.ID); err != nil {
		t.Fatal(err)
	}
}
