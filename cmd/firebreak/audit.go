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
	"github.com/firebreak/firebreak/store/engine"
	"github.com/spf13/cobra"
)

func newCmdAudit(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit verify [ID] [--against FILE] | audit head [ID] [--json]",
		Short: "prove no event was changed or removed; print the chain heads to keep elsewhere",
		Long: `Audit proves the record: every incident's events form a hash chain, and verify checks the chains, the
database's integrity and that every table agrees with the events. head prints each chain's newest
event and hash: kept elsewhere (a ticket, another machine), it lets verify --against prove later that
nothing was removed or rewritten since, not even by someone who can write the database.`,
		Example: "  firebreak audit head --json > heads.jsonl\n  firebreak audit verify --against heads.jsonl",
		Args:    cobra.ArbitraryArgs,
		RunE:    groupRunE("verify or head"),
	}
	verify := &auditOptions{Verb: "verify"}
	v := &cobra.Command{
		Use:   "verify [ID] [--against FILE] [--json]",
		Short: "check the hash chains: exit 0 intact, 1 broken",
		Long: `Verify checks incident ID (default: every incident and the database's integrity): its hash chain, the
heads saved earlier in --against FILE, and that the incident, its retrospective and its runs agree with
the events. It prints one line an incident; exit 1 names the first bad event. With --json it prints JSON
Lines, one object an incident: {"incident","intact","events","saved_heads","unchained_retro_records","error"}.`,
		Example:           "  firebreak audit verify\n  firebreak audit verify INC-7 --against heads.jsonl --json",
		Args:              argsRange(0, 1),
		ValidArgsFunction: positional(a, completeIncidents),
		RunE: func(cmd *cobra.Command, args []string) error {
			verify.ID = firstArg(args)
			return auditRun(cmd.Context(), a, verify)
		},
	}
	v.Flags().StringVar(&verify.Against, "against", "", "a `FILE` of heads saved earlier (firebreak audit head --json): each must still be on the chain")
	v.Flags().BoolVar(&verify.JSON, "json", false, "print JSON Lines, one object per incident")
	head := &auditOptions{Verb: "head"}
	h := &cobra.Command{
		Use:   "head [ID] [--json]",
		Short: "print each chain's newest event and hash, to keep elsewhere",
		Long: `Head prints, for incident ID (default: every incident), the number and hash of its newest event: "INC-7
42 <hash>". With --json it prints JSON Lines of {"incident","seq","hash"}, the format audit verify
--against reads.`,
		Example:           "  firebreak audit head --json >> /mnt/elsewhere/heads.jsonl",
		Args:              argsRange(0, 1),
		ValidArgsFunction: positional(a, completeIncidents),
		RunE: func(cmd *cobra.Command, args []string) error {
			head.ID = firstArg(args)
			return auditRun(cmd.Context(), a, head)
		},
	}
	h.Flags().BoolVar(&head.JSON, "json", false, "print JSON Lines, one head per line (what --against reads)")
	cmd.AddCommand(v, h)
	return cmd
}

// auditOptions are audit verify's and audit head's.
type auditOptions struct {
	Verb    string // verify or head
	ID      string // "": every incident
	Against string
	JSON    bool
}

// auditJSON is one line of audit verify --json.
type auditJSON struct {
	Incident string `json:"incident"`
	Intact   bool   `json:"intact"`
	Events   int64  `json:"events"`
	Saved    int    `json:"saved_heads"`
	Legacy   int    `json:"unchained_retro_records"`
	Error    string `json:"error,omitempty"`
}

func firstArg(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return ""
}

func auditRun(ctx context.Context, a *app, opts *auditOptions) error {
	pos, against, asJSON := []string{opts.Verb}, &opts.Against, &opts.JSON
	if opts.ID != "" {
		pos = append(pos, opts.ID)
	}
	var err error
	var heads []savedHead
	if *against != "" {
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
			if err := db.Check(ctx); err != nil {
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
			if *asJSON {
				b, _ := json.Marshal(auditJSON{Incident: incident.Ref(id), Error: err.Error()})
				fmt.Fprintf(a.stdout, "%s\n", b)
			}
			return failedf("audit failed: %v", err)
		}
		if err != nil {
			return err
		}
		row, _ := db.Incident(ctx, id)
		if *asJSON {
			b, _ := json.Marshal(auditJSON{Incident: incident.Ref(id), Intact: true, Events: row.LastSeq, Saved: len(headsOf(heads, id)), Legacy: legacy})
			fmt.Fprintf(a.stdout, "%s\n", b)
			continue
		}
		line := fmt.Sprintf("%s: intact, %d events", incident.Ref(id), row.LastSeq)
		if n := len(headsOf(heads, id)); n > 0 {
			line += fmt.Sprintf(", %d saved heads still on the chain", n)
		}
		if legacy > 0 {
			line += fmt.Sprintf(" (%d retrospective records predate the chain: not covered)", legacy)
		}
		fmt.Fprintln(a.stdout, line)
	}
	if len(pos) == 1 && !*asJSON {
		fmt.Fprintf(a.stdout, "%d incidents verified\n", len(ids))
	}
	return nil
}

// verifyIncident runs every check of one incident, first failure first: the chain itself, the heads saved
// off the machine, then each table that the events must agree with (the incident's projection, the
// retrospective, the runs' approvals and host results).
func verifyIncident(ctx context.Context, db store.Store, id int64, heads []savedHead) (legacy int, err error) {
	if err := store.VerifyChain(ctx, db, id); err != nil {
		return 0, err
	}
	for _, h := range heads {
		if err := store.CheckHead(ctx, db, id, h.Head); err != nil {
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

func printHeads(ctx context.Context, a *app, db store.Store, ids []int64, asJSON bool) error {
	for _, id := range ids {
		h, err := store.HeadOf(ctx, db, id)
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

func newCmdBackup(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "backup FILE",
		Short: "a consistent copy of the database, safe while others write",
		Long: `Backup writes a consistent copy of the database to FILE, safe while consoles and runs keep writing
(SQLite's online backup). Restore it with firebreak restore FILE.`,
		Example: "  firebreak backup /backups/firebreak-$(date +%F).db",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return backupRun(cmd.Context(), a, args[0])
		},
	}
}

func backupRun(ctx context.Context, a *app, file string) error {
	db, err := a.store(ctx)
	if err != nil {
		return err
	}
	if err := engine.Backup(ctx, db, file); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "backup of %s written to %s\n", db.Where(), file)
	return nil
}

func newCmdRestore(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "restore FILE",
		Short: "replace the database with a verified backup (refused while in use)",
		Long: `Restore replaces the database with the backup FILE after verifying it (integrity and every hash
chain). It is refused while another firebreak has the database open; the database it replaces is kept
beside it.`,
		Example: "  firebreak restore /backups/firebreak-2025-03-02.db",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return restoreRun(cmd.Context(), a, args[0])
		},
	}
}

func restoreRun(ctx context.Context, a *app, file string) error {
	kept, err := engine.Restore(ctx, file, a.dbPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "restored %s from %s (verified: integrity and every hash chain)\n", engine.Redact(a.dbPath), file)
	if kept != "" {
		fmt.Fprintf(a.stdout, "the database it replaced is kept as %s\n", kept)
	}
	return nil
}
