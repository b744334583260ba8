package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

// checkApproval is the two-person rule's judgement of one approval: it counts only when it comes from
// another person than the run's starter, for the plan the run has, and (with distinct_os_users) from
// another OS account. Approve refuses what it would not count, and the engine counts what it accepts.
func checkApproval(policy Policy, run store.RunRow, a store.Approval) error {
	switch {
	case incident.SamePerson(incident.ParseActor(run.StartedBy), incident.Actor{User: accountOf(a.Actor), As: a.Person}):
		how := "on a shared account: --as NAME"
		if incident.ParseActor(a.Actor).Key() != "" {
			how = "with their own key"
		}
		return fmt.Errorf("%s was started by %s, who cannot approve it too: another person runs firebreak approve %s (%s)",
			RunRef(run.ID), describePerson(run.StartedBy), RunRef(run.ID), how)
	case a.PlanHash != run.PlanHash:
		return fmt.Errorf("the plan of %s is %s, not the %s that was approved: look at it again (firebreak approve %s)",
			RunRef(run.ID), short(run.PlanHash), short(a.PlanHash), RunRef(run.ID))
	case policy.DistinctOSUsers && accountOf(a.Actor) == accountOf(run.StartedBy):
		return fmt.Errorf("%s was started from the OS account %s, and approvals must come from another account (approval.distinct_os_users): approve it from your own login",
			RunRef(run.ID), accountOf(run.StartedBy))
	}
	return nil
}

// MayApprove says whether actor may approve run as it stands (nil), or why not: the console asks it before
// offering the approval, and Approve decides with the same rule.
func MayApprove(policy Policy, run store.RunRow, actor string) error {
	if run.Status != StatusWaiting || run.WaitingFor != "approval" {
		return fmt.Errorf("%s is %s and is not waiting for an approval", RunRef(run.ID), describeStatus(run))
	}
	return checkApproval(policy, run, store.Approval{Run: run.ID, Person: PersonOf(actor), Actor: actor, PlanHash: run.PlanHash})
}

// Approve records person's approval of a run that waits for one, for the plan the approver saw (planHash,
// from Brief). The person who started the run cannot approve it: "one person shouldn't be able to break
// production"; an approval of a plan that has changed is refused.
func Approve(ctx context.Context, db store.Store, policy Policy, run int64, actor, planHash string, notify func(store.Event)) (store.Event, error) {
	person := PersonOf(actor)
	var ev store.Event
	err := db.Write(ctx, func(tx store.Tx) error {
		r, err := tx.Run(ctx, run)
		if errors.Is(err, store.ErrNotFound) {
			return store.Errorf(ErrNotFound, "%s does not exist (firebreak runs lists them)", RunRef(run))
		}
		if err != nil {
			return err
		}
		if r.Status != StatusWaiting || r.WaitingFor != "approval" {
			return store.Errorf(ErrRefused, "%s is %s and is not waiting for an approval", RunRef(run), describeStatus(r))
		}
		a := store.Approval{Run: run, Stage: r.Stage, Person: person, Actor: actor, At: time.Now(), PlanHash: planHash}
		if err := checkApproval(policy, r, a); err != nil {
			return store.Errorf(ErrRefused, "%v", err)
		}
		if err := tx.Approve(ctx, a); err != nil {
			return err
		}
		data := incident.ApprovalData{Run: run, Stage: r.Stage, Person: person, Actor: actor, StartedBy: r.StartedBy, PlanHash: r.PlanHash}
		text := fmt.Sprintf("%s approved by %s: the wider stages may go ahead", RunRef(run), person)
		if r.Stage > 0 {
			text = fmt.Sprintf("%s approved by %s after stage %d: the wider stages may go ahead", RunRef(run), person, r.Stage)
		}
		if data.SameAccountAsStarter() {
			text += fmt.Sprintf(" (from the same OS account %s as the run)", accountOf(actor))
		}
		ev = store.Event{Incident: r.Incident, Actor: actor, Kind: incident.KindApproved, Text: text, Data: mustJSON(data)}
		return tx.AppendEvent(ctx, &ev)
	})
	if err == nil && notify != nil {
		notify(ev)
	}
	return ev, err
}

// ErrNotFound marks a run that does not exist.
var ErrNotFound = errors.New("not found")

func describeStatus(r store.RunRow) string {
	if r.Status == StatusWaiting {
		return "waiting for " + r.WaitingFor
	}
	return r.Status
}

// describePerson names the person behind an actor string, with their key when an SSH key proved them.
func describePerson(actor string) string {
	who := incident.ParseActor(actor)
	if k := who.Key(); k != "" {
		return fmt.Sprintf("%s (key %s)", who.Person(), k)
	}
	return who.Person()
}

// accountOf is the OS account behind an actor string ("root as alice" -> root).
func accountOf(actor string) string {
	u, _, _ := cutAs(actor)
	return u
}
