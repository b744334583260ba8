package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/retro"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
)

const auditUsage = "audit verify [ID] [--against FILE] | audit head [ID] [--json]"

func cmdAudit(ctx context.Context, a *app, args []string) error {
	fs := newFlags("audit")
	against := fs.String("against", "", "a file of heads saved earlier (firebreak audit head --json): each must still be on the chain")
	asJSON := fs.Bool("json", false, "audit head: one JSON object per line, the format --against reads")
	pos, err := parseArgs(fs, args, 1, 2, auditUsage)
	if err != nil {
		return err
	}
	if pos[0] != "verify" && pos[0] != "head" {
		return usageErrorf("usage: firebreak %s", auditUsage)
	}
	var heads []savedHead
	if *against != "" {
		if pos[0] != "verify" {
			return usageErrorf("--against goes with audit verify; usage: firebreak %s", auditUsage)
		}
		if heads, err = readHeads(*against); err != nil {
			return err
		}
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
			if saved := headsOf(heads, id); len(saved) > 0 {
				return failedf("audit failed: %s is gone but a head saved earlier names its event %d: the incident was deleted", incident.Ref(id), saved[0].Seq)
			}
			return store.Errorf(incident.ErrNotFound, "%s does not exist", incident.Ref(id))
		}
		ids = []int64{id}
	} else {
		if pos[0] == "verify" {
			if err := db.Integrity(ctx); err != nil {
				return failedf("%v", err)
			}
		}
		if ids, err = db.IncidentIDs(ctx); err != nil {
			return err
		}
		for _, h := range heads {
			if _, err := db.Incident(ctx, h.id); errors.Is(err, store.ErrNotFound) {
				return failedf("audit failed: %s is gone but a head saved earlier names its event %d: the incident was deleted", h.Incident, h.Seq)
			}
		}
	}
	if pos[0] == "head" {
		return printHeads(ctx, a, db, ids, *asJSON)
	}
	for _, id := range ids {
		legacy, err := verifyIncident(ctx, db, id, headsOf(heads, id))
		var ce *store.ChainError
		var me *store.Mismatch
		if errors.As(err, &ce) || errors.As(err, &me) {
			return failedf("audit failed: %v", err)
		}
		if err != nil {
			return err
		}
		row, _ := db.Incident(ctx, id)
		line := fmt.Sprintf("%s: intact, %d events", incident.Ref(id), row.LastSeq)
		if n := len(headsOf(heads, id)); n > 0 {
			line += fmt.Sprintf(", %d saved heads still on the chain", n)
		}
		if legacy > 0 {
			line += fmt.Sprintf(" (%d retrospective records predate the chain: not covered)", legacy)
		}
		fmt.Fprintln(a.stdout, line)
	}
	if len(pos) == 1 {
		fmt.Fprintf(a.stdout, "%d incidents verified\n", len(ids))
	}
	return nil
}

// verifyIncident runs every check of one incident, first failure first: the chain itself, the heads saved
// off the machine, then each table that the events must agree with (the incident's projection, the
// retrospective, the runs' approvals and host results).
func verifyIncident(ctx context.Context, db *store.DB, id int64, heads []savedHead) (legacy int, err error) {
	if err := db.VerifyChain(ctx, id); err != nil {
		return 0, err
	}
	for _, h := range heads {
		if err := db.CheckHead(ctx, id, h.Head); err != nil {
			return 0, err
		}
	}
	if err := incident.VerifyProjection(ctx, db, id); err != nil {
		return 0, err
	}
	if legacy, err = retro.Verify(ctx, db, id); err != nil {
		return legacy, err
	}
	return legacy, rollout.VerifyRecords(ctx, db, id)
}

// savedHead is one line of `audit head --json`, the file `audit verify --against` reads: an incident and
// the seq and hash of its newest event when the line was written.
type savedHead struct {
	Incident string `json:"incident"`
	store.Head
	id int64
}

// readHeads reads a heads file: JSON objects one after another (one a line, as `audit head --json` writes
// them), or one JSON array of them.
func readHeads(path string) ([]savedHead, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, store.Errorf(incident.ErrInvalid, "heads file: %v", err)
	}
	var heads []savedHead
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(t, &heads); err != nil {
			return nil, store.Errorf(incident.ErrInvalid, "heads file %s: %v", path, err)
		}
	} else {
		dec := json.NewDecoder(bytes.NewReader(b))
		for dec.More() {
			var h savedHead
			if err := dec.Decode(&h); err != nil {
				return nil, store.Errorf(incident.ErrInvalid, "heads file %s, head %d: %v", path, len(heads)+1, err)
			}
			heads = append(heads, h)
		}
	}
	for i := range heads {
		h := &heads[i]
		id, err := incident.ParseRef(h.Incident)
		if err != nil || h.Seq < 1 || len(h.Hash) != 64 {
			return nil, store.Errorf(incident.ErrInvalid, "heads file %s, head %d: want {\"incident\":\"INC-n\",\"seq\":n,\"hash\":\"64 hex digits\"}", path, i+1)
		}
		h.id = id
	}
	return heads, nil
}

func headsOf(heads []savedHead, id int64) []savedHead {
	var out []savedHead
	for _, h := range heads {
		if h.id == id {
			out = append(out, h)
		}
	}
	return out
}

func printHeads(ctx context.Context, a *app, db *store.DB, ids []int64, asJSON bool) error {
	for _, id := range ids {
		h, err := db.Head(ctx, id)
		if err != nil {
			return err
		}
		if asJSON {
			b, _ := json.Marshal(savedHead{Incident: incident.Ref(id), Head: h})
			fmt.Fprintf(a.stdout, "%s\n", b)
		} else {
			fmt.Fprintf(a.stdout, "%s %d %s\n", incident.Ref(id), h.Seq, h.Hash)
		}
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
