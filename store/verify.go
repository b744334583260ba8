package store

import (
	"context"
	"fmt"
)

// ChainError names the first event where an incident's timeline stops proving itself.
type ChainError struct {
	Incident int64
	Seq      int64
	Reason   string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("INC-%d event %d: %s", e.Incident, e.Seq, e.Reason)
}

// VerifyChain walks an incident's timeline from the first event and recomputes every hash. It returns a
// *ChainError for the first event that was changed, removed or reordered, and nil when the chain is intact.
// Engines store times as the text FormatTime wrote, and give back exactly that text: a time that was
// rewritten in another form no longer parses, or no longer hashes alike.
func VerifyChain(ctx context.Context, r Reader, incident int64) error {
	inc, err := r.Incident(ctx, incident)
	if err != nil {
		return err
	}
	var want int64 = 1
	prev := ""
	const page = 5000
	walk := func() error { // the events from want on, each following the one before
		for {
			evs, err := r.Events(ctx, EventQuery{Incident: incident, AfterSeq: want - 1, Limit: page})
			if err != nil {
				return err
			}
			for _, ev := range evs {
				switch {
				case ev.Seq != want:
					return &ChainError{incident, want, fmt.Sprintf("missing (the next event present is %d): an event was deleted", ev.Seq)}
				case ev.PrevHash != prev:
					return &ChainError{incident, ev.Seq, "does not follow the event before it: the chain was altered"}
				case ChainHash(prev, incident, ev.Seq, FormatTime(ev.At), ev.Actor, ev.Kind, ev.Text, string(ev.Data)) != ev.Hash:
					return &ChainError{incident, ev.Seq, "its content does not match its hash: the event was changed"}
				}
				prev, want = ev.Hash, want+1
			}
			if len(evs) < page {
				return nil
			}
		}
	}
	for reread := 0; ; reread++ {
		if err := walk(); err != nil {
			return err
		}
		// The head was read before the events, by another statement: a write another process committed in
		// between shows as events past the head. Read the head again (and the events it adds) before calling
		// them out of place.
		if inc.LastSeq < want-1 && reread < 3 {
			if inc, err = r.Incident(ctx, incident); err != nil {
				return err
			}
			continue
		}
		break
	}
	if inc.LastSeq != want-1 {
		return &ChainError{incident, want, fmt.Sprintf("missing: the timeline ends at %d but %d events were recorded", want-1, inc.LastSeq)}
	}
	if inc.LastHash != prev {
		return &ChainError{incident, want - 1, "is not the head the incident recorded: the newest events were replaced"}
	}
	return nil
}

// VerifyAll checks the engine's storage and the hash chain of every incident.
func VerifyAll(ctx context.Context, s Store) error {
	if err := s.Check(ctx); err != nil {
		return err
	}
	ids, err := s.IncidentIDs(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := VerifyChain(ctx, s, id); err != nil {
			return err
		}
	}
	return nil
}

// Mismatch is a record that disagrees with the timeline that should prove it: the incident's stored state,
// a retrospective version, an action item, an approval or a host's result. Seq is the event that says
// otherwise (0 when no event does).
type Mismatch struct {
	Incident int64
	Seq      int64
	Reason   string
}

func (e *Mismatch) Error() string {
	if e.Seq > 0 {
		return fmt.Sprintf("INC-%d: %s (event %d)", e.Incident, e.Reason, e.Seq)
	}
	return fmt.Sprintf("INC-%d: %s", e.Incident, e.Reason)
}

// Head is the newest event of an incident's chain: who holds a copy can later prove that the events up to it
// are still there and unchanged.
type Head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// HeadOf reads an incident's chain head as the incident records it.
func HeadOf(ctx context.Context, r Reader, incident int64) (Head, error) {
	inc, err := r.Incident(ctx, incident)
	if err != nil {
		return Head{}, err
	}
	return Head{Seq: inc.LastSeq, Hash: inc.LastHash}, nil
}

// CheckHead compares a head saved earlier (off the machine) with the database: the event at its seq must
// still be there with the same hash. It returns a *ChainError when it is gone or differs: the tail was
// deleted, or the chain was recomputed.
func CheckHead(ctx context.Context, r Reader, incident int64, h Head) error {
	if h.Seq == 0 {
		return nil
	}
	evs, err := r.Events(ctx, EventQuery{Incident: incident, Seqs: []int64{h.Seq}})
	if err != nil {
		return err
	}
	switch {
	case len(evs) == 0:
		return &ChainError{incident, h.Seq, "missing, but a head saved earlier names it: the newest events were deleted"}
	case evs[0].Hash != h.Hash:
		return &ChainError{incident, h.Seq, fmt.Sprintf("hash %.12s differs from the head saved earlier (%.12s): the chain was rewritten", evs[0].Hash, h.Hash)}
	}
	return nil
}
