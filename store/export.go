package store

import "context"

// Snapshot is one consistent read of a whole record: what an engine's Export walks, from inside its
// read-only transaction.
type Snapshot interface {
	Incidents(ctx context.Context, q IncidentQuery) ([]IncidentRow, error)
	Events(ctx context.Context, q EventQuery) ([]Event, error)
	Runs(ctx context.Context, q RunQuery) ([]RunRow, error)
	RunHosts(ctx context.Context, run int64) ([]RunHost, error)
	Approvals(ctx context.Context, run int64) ([]Approval, error)
	Switches(ctx context.Context) ([]Switch, error)
	RetroVersions(ctx context.Context, incident int64) ([]RetroVersion, error)
	ActionItemVersions(ctx context.Context, incident int64) ([]ActionItem, error)
}

// ExportSnapshot streams a snapshot to sink in the order Sink promises: incidents oldest first, then each
// incident's events (read a page at a time), runs with their hosts and approvals, switches, and each
// incident's retrospective versions and action item versions. Every engine's Export calls it, so a copy
// between engines walks the record the same way whichever end it starts from.
func ExportSnapshot(ctx context.Context, s Snapshot, sink Sink) error {
	incs, err := s.Incidents(ctx, IncidentQuery{})
	if err != nil {
		return err
	}
	for i, j := 0, len(incs)-1; i < j; i, j = i+1, j-1 { // listed newest first: oldest first here
		incs[i], incs[j] = incs[j], incs[i]
	}
	for _, inc := range incs {
		if err := sink.Incident(inc); err != nil {
			return err
		}
	}
	for _, inc := range incs {
		const page = 5000
		var after int64
		for {
			evs, err := s.Events(ctx, EventQuery{Incident: inc.ID, AfterSeq: after, Limit: page})
			if err != nil {
				return err
			}
			for _, ev := range evs {
				if err := sink.Event(ev); err != nil {
					return err
				}
				after = ev.Seq
			}
			if len(evs) < page {
				break
			}
		}
	}
	runs, err := s.Runs(ctx, RunQuery{})
	if err != nil {
		return err
	}
	for _, r := range runs {
		if err := sink.Run(r); err != nil {
			return err
		}
		hosts, err := s.RunHosts(ctx, r.ID)
		if err != nil {
			return err
		}
		for _, h := range hosts {
			if err := sink.RunHost(h); err != nil {
				return err
			}
		}
		aps, err := s.Approvals(ctx, r.ID)
		if err != nil {
			return err
		}
		for _, a := range aps {
			if err := sink.Approval(a); err != nil {
				return err
			}
		}
	}
	sws, err := s.Switches(ctx)
	if err != nil {
		return err
	}
	for _, sw := range sws {
		if err := sink.Switch(sw); err != nil {
			return err
		}
	}
	for _, inc := range incs {
		vs, err := s.RetroVersions(ctx, inc.ID)
		if err != nil {
			return err
		}
		for _, v := range vs {
			if err := sink.RetroVersion(v); err != nil {
				return err
			}
		}
		as, err := s.ActionItemVersions(ctx, inc.ID)
		if err != nil {
			return err
		}
		for _, a := range as {
			if err := sink.ActionItem(a); err != nil {
				return err
			}
		}
	}
	return nil
}
