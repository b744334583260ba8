package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

func cmdAudit(ctx context.Context, a *app, args []string) error {
	pos, err := parseArgs(newFlags("audit"), args, 1, 2, "audit verify [ID]")
	if err != nil {
		return err
	}
	if pos[0] != "verify" {
		return usageErrorf("usage: firebreak audit verify [ID]")
	}
	db, err := a.store(ctx)
	if err != nil {
		return err
	}
	var ids []int64
	if len(pos) == 2 {
		id, err := incident.ParseRef(pos[1])
		if err != nil {
			return err
		}
		if _, err := db.Incident(ctx, id); errors.Is(err, store.ErrNotFound) {
			return store.Errorf(incident.ErrNotFound, "%s does not exist", incident.Ref(id))
		}
		ids = []int64{id}
	} else {
		if err := db.Integrity(ctx); err != nil {
			return failedf("%v", err)
		}
		if ids, err = db.IncidentIDs(ctx); err != nil {
			return err
		}
	}
	for _, id := range ids {
		err := db.VerifyChain(ctx, id)
		var ce *store.ChainError
		if errors.As(err, &ce) {
			return failedf("audit failed: %v", ce)
		}
		if err != nil {
			return err
		}
		row, _ := db.Incident(ctx, id)
		fmt.Fprintf(a.stdout, "%s: intact, %d events\n", incident.Ref(id), row.LastSeq)
	}
	if len(pos) == 1 {
		fmt.Fprintf(a.stdout, "%d incidents verified\n", len(ids))
	}
	return nil
}

func cmdBackup(ctx context.Context, a *app, args []string) error {
	pos, err := parseArgs(newFlags("backup"), args, 1, 1, "backup FILE")
	if err != nil {
		return err
	}
	db, err := a.store(ctx)
	if err != nil {
		return err
	}
	if err := db.Backup(ctx, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "backup of %s written to %s\n", db.Path(), pos[0])
	return nil
}

func cmdRestore(ctx context.Context, a *app, args []string) error {
	pos, err := parseArgs(newFlags("restore"), args, 1, 1, "restore FILE")
	if err != nil {
		return err
	}
	kept, err := store.Restore(ctx, pos[0], a.dbPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "restored %s from %s (verified: integrity and every hash chain)\n", a.dbPath, pos[0])
	if kept != "" {
		fmt.Fprintf(a.stdout, "the database it replaced is kept as %s\n", kept)
	}
	return nil
}
