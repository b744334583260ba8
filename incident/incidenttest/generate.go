// Package incidenttest fills a database with realistic incidents for tests and benchmarks: the console's
// start-up and render targets, and `firebreak list`, are measured on 1,000 incidents and 200,000 events.
package incidenttest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

// Spec says how much to generate.
type Spec struct {
	Incidents int   // number of incidents
	Events    int   // total events across them (at least a few per incident)
	Open      int   // how many stay open (the rest are resolved); default 1 in 50
	Seed      int64 // for repeatable data
}

var people = []string{"alice", "bob", "carol", "dave", "erin", "frank"}

var notes = []string{
	"p99 latency on checkout at 4.2s, error rate 3%",
	"rolled back deploy 2026.11.21-3 on web canary",
	"db primary CPU at 95%, replication lag 40s",
	"paged the storage on-call",
	"disk on web-07 at 99%, logrotate not running",
	"customer reports from EU region only",
	"`systemctl restart api` on the canary, watching",
	"error rate back under 0.1% for 10 minutes",
}

// Generate writes spec.Incidents incidents with spec.Events events in all, one transaction per incident,
// through the incident service, so the projections and hash chains are real.
func Generate(ctx context.Context, db store.Store, spec Spec) error {
	if spec.Incidents < 1 {
		return fmt.Errorf("at least one incident")
	}
	open := spec.Open
	if open == 0 {
		open = max(1, spec.Incidents/50)
	}
	r := rand.New(rand.NewPCG(uint64(spec.Seed), 7))
	clock := time.Now().Add(-time.Duration(spec.Incidents) * 6 * time.Hour)
	per := max(6, spec.Events/spec.Incidents)
	for i := range spec.Incidents {
		at := clock.Add(time.Duration(i) * 6 * time.Hour)
		now := func() time.Time { at = at.Add(time.Duration(1+r.IntN(90)) * time.Second); return at }
		commander := people[r.IntN(len(people))]
		s := &incident.Service{DB: db, Actor: incident.Actor{User: "oncall", As: commander}, Now: now}
		inc, err := s.Declare(ctx, fmt.Sprintf("Incident %d: %s", i+1, notes[r.IntN(len(notes))]),
			incident.Severity(1+r.IntN(4)), r.IntN(10) == 0)
		if err != nil {
			return err
		}
		resolve := i < spec.Incidents-open
		_, _, err = s.Change(ctx, inc.ID, func(*incident.Incident) ([]incident.Draft, error) {
			var drafts []incident.Draft
			drafts = append(drafts, roleDraft(commander, now()))
			for n := 2; n < per-2; n++ {
				drafts = append(drafts, incident.Draft{Kind: incident.KindNote, Text: notes[r.IntN(len(notes))], At: now()})
			}
			return drafts, nil
		})
		if err != nil {
			return err
		}
		if _, _, err := s.SetStatus(ctx, inc.ID, incident.Mitigating); err != nil {
			return err
		}
		if resolve {
			if _, _, err := s.SetStatus(ctx, inc.ID, incident.Resolved); err != nil {
				return err
			}
		}
	}
	return nil
}

func roleDraft(person string, at time.Time) incident.Draft {
	return incident.Draft{Kind: incident.KindRole, Text: person + " is now commander", At: at,
		Data: incident.RoleData{Role: incident.Commander, Person: person, Milestone: incident.Acknowledged}}
}
