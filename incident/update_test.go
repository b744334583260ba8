package incident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/store"
)

func TestDraftUpdateFromTheIncident(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	now := time.Date(2026, 11, 29, 14, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	inc, err := s.Declare(ctx, "Checkout errors", SEV2, false)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.DraftUpdate(ctx, inc.ID, UpdateDraftOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(d.Needs, "\n"), "a commander (firebreak role INC-1 commander PERSON)") {
		t.Errorf("no commander is not a need: %+v", d.Needs)
	}
	now = now.Add(10 * time.Minute)
	s.AssignRole(ctx, inc.ID, Commander, "alice")
	s.SetMilestone(ctx, inc.ID, ImpactStarted, now.Add(-25*time.Minute), "graphs")
	s.SetStatus(ctx, inc.ID, Mitigating)
	s.Note(ctx, inc.ID, "rolled back\nthe deploy")
	err = s.DB.Write(ctx, func(tx store.Tx) error {
		_, err := tx.CreateRun(ctx, store.RunRow{Incident: inc.ID, Title: "disk-full/clean", Status: "waiting", WaitingFor: "approval",
			Stage: 1, Stages: 3, StartedBy: "alice", StartedAt: now}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(5 * time.Minute)
	d, err = s.DraftUpdate(ctx, inc.ID, UpdateDraftOptions{Next: 45 * time.Minute, RunRef: func(id int64) string { return fmt.Sprintf("RUN-%d", id) }})
	if err != nil {
		t.Fatal(err)
	}
	text := d.Text()
	for _, want := range []string{
		"INC-1 update: Checkout errors\n\nConditions\n- Status: mitigating, SEV2, declared 14:00 UTC (15 min ago)\n- Impact: Checkout errors, since 13:45 UTC\n- Commander: alice\n",
		"\nActions\n- RUN-1 disk-full/clean (real), stage 1 of 3, waiting, waiting for approval\n",
		"- 14:10 UTC root as alice: status investigating → mitigating",
		"- 14:10 UTC root as alice: rolled back the deploy",
		"\nNeeds\n- a second person to approve the next stage of RUN-1 (firebreak approve RUN-1)\n",
		"\nNext update by 15:00 UTC.\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the draft lacks %q:\n%s", want, text)
		}
	}

	// Posting records it, with the state it was sent in; the next draft lists only what came after it.
	var notified []store.Event
	s.Notify = func(_ *Incident, ev store.Event) { notified = append(notified, ev) }
	next := now.Add(30 * time.Minute)
	ev, err := s.PostUpdate(ctx, inc.ID, "  "+text+"\n\n", next, true)
	if err != nil {
		t.Fatal(err)
	}
	var data UpdateData
	json.Unmarshal(ev.Data, &data)
	if ev.Kind != KindUpdate || ev.Text != strings.TrimSpace(text) || data.Status != Mitigating || data.Severity != SEV2 || !data.Edited || data.NextUpdate != store.FormatTime(next) {
		t.Errorf("recorded %+v %+v", ev, data)
	}
	if len(notified) != 1 || notified[0].Seq != ev.Seq {
		t.Errorf("notified %+v", notified)
	}
	now = now.Add(time.Minute)
	s.Note(ctx, inc.ID, "cache warmed")
	d, _ = s.DraftUpdate(ctx, inc.ID, UpdateDraftOptions{Next: -1})
	var recent []string
	for _, a := range d.Actions {
		if !strings.HasPrefix(a, "1 ") { // the run in flight
			recent = append(recent, a)
		}
	}
	if len(recent) != 1 || !strings.Contains(recent[0], "cache warmed") || !d.NextUpdate.IsZero() || strings.Contains(d.Text(), "Next update") {
		t.Errorf("after an update: %q, next %v", d.Actions, d.NextUpdate)
	}
}

func TestPostUpdateRefusesBadText(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	inc, _ := s.Declare(ctx, "db down", SEV3, false)
	for text, want := range map[string]string{
		" \n\t ":                       "the update is empty",
		"ok\xff":                       "not valid UTF-8",
		strings.Repeat("x", 17<<10):    "longer than 16 KiB",
		"status \x1b]0;pwned\x07 fine": "control characters",
		"nul \x00 byte":                "control characters",
	} {
		_, err := s.PostUpdate(ctx, inc.ID, text, time.Time{}, false)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("%.20q: %v, want %q", text, err, want)
		}
	}
	if _, err := s.PostUpdate(ctx, 99, "hello", time.Time{}, false); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown incident: %v", err)
	}
	evs, _ := s.DB.Events(ctx, store.EventQuery{Incident: inc.ID, Kinds: []string{KindUpdate}})
	if len(evs) != 0 {
		t.Errorf("a refused update was recorded: %+v", evs)
	}
}
