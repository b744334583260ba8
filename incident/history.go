package incident

import (
	"context"
	"slices"
	"time"

	"github.com/firebreak/firebreak/store"
)

// History returns every incident declared at or after since, with its whole state (milestones,
// checklists), oldest first: what trends across incidents are computed from. It reads the projections
// in one query and never the timelines.
func (s *Service) History(ctx context.Context, since time.Time) ([]*Incident, error) {
	rows, err := s.DB.Incidents(ctx, store.IncidentQuery{})
	if err != nil {
		return nil, err
	}
	out := make([]*Incident, 0, len(rows))
	for _, r := range rows {
		if r.DeclaredAt.Before(since) {
			continue
		}
		inc, err := fromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, inc)
	}
	slices.SortStableFunc(out, func(a, b *Incident) int {
		if c := a.DeclaredAt.Compare(b.DeclaredAt); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	return out, nil
}
