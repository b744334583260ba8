package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firebreak/firebreak/store"
)

// tamperFixture is a database with INC-1 holding every kind of record (a commander, a severity change, a
// run with bob's approval and three host results, a retrospective version and an action item) and ending
// on a severity change, and INC-2 holding notes only. heads is `audit head --json` taken at the end.
func tamperFixture(t *testing.T) (e *fbEnv, heads string) {
	e, f, inc := fleetEnv(t, 3, "2")
	base := []string{"run", inc, "--command", "true", "-i", f.Inventory, "--hosts", "all"}
	e.ok(append(base, "--dry-run", "--stages", "100%", "--yes")...)
	bg := e.startBG(append([]string{"--as", "alice"}, append(base, "--stages", "100%", "--no-canary", "one cluster",
		"--confirm-out-of-hours", "--yes")...)...)
	e.ok("--as", "bob", "approve", e.waitingRun(inc), "--yes")
	if code := bg.wait(t); code != 0 {
		t.Fatalf("the run exited %d:\n%s", code, bg.out.String())
	}
	e.ok("role", inc, "commander", "alice")
	e.ok("retro", "set", inc, "summary", "We rolled back.")
	e.ok("retro", "action", inc, "add", "Alert on errors", "--owner", "bob")
	e.ok("sev", inc, "1")
	inc2 := e.declare("second")
	for i := 1; i <= 3; i++ {
		e.ok("note", inc2, fmt.Sprintf("note %d", i))
	}
	heads = filepath.Join(e.root, "heads.jsonl")
	mustWriteFile(t, heads, []byte(e.ok("audit", "head", "--json")))
	return e, heads
}

// copyDB copies the fixture's database (WAL included) to a new file, as a starting point for one case.
func copyDB(t *testing.T, from, to string) {
	t.Helper()
	db, err := sql.Open("sqlite3", from)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`VACUUM INTO ?`, to); err != nil {
		t.Fatal(err)
	}
}

// rehash recomputes INC-n's whole chain with firebreak's own algorithm, as an attacker who read the source
// would after editing an event, and moves the incident's head to the new hash.
func rehash(t *testing.T, path string, incident int64) {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT seq, at, actor, kind, text, data FROM events WHERE incident_id = ? ORDER BY seq`, incident)
	if err != nil {
		t.Fatal(err)
	}
	type ev struct {
		seq                         int64
		at, actor, kind, text, data string
	}
	var evs []ev
	for rows.Next() {
		var e ev
		if err := rows.Scan(&e.seq, &e.at, &e.actor, &e.kind, &e.text, &e.data); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	rows.Close()
	prev := ""
	for _, e := range evs {
		h := store.ChainHash(prev, incident, e.seq, e.at, e.actor, e.kind, e.text, e.data)
		if _, err := db.Exec(`UPDATE events SET prev_hash = ?, hash = ? WHERE incident_id = ? AND seq = ?`, prev, h, incident, e.seq); err != nil {
			t.Fatal(err)
		}
		prev = h
	}
	if _, err := db.Exec(`UPDATE incidents SET last_hash = ? WHERE id = ?`, prev, incident); err != nil {
		t.Fatal(err)
	}
}

// Rolling back the head after deleting the newest event: the head becomes the event before it.
const rollBack = `UPDATE incidents SET last_seq = last_seq - 1,
	last_hash = (SELECT hash FROM events WHERE incident_id = incidents.id AND seq = incidents.last_seq - 1) WHERE id = %d`

// TestE2EAuditTamper tampers with the database in every way the tracker listed, dropping the append-only
// triggers first as an attacker would, and expects audit verify (or, where only an anchor off the machine
// can tell, audit verify --against the heads saved before) to exit 1 naming the first bad event or field.
func TestE2EAuditTamper(t *testing.T) {
	e, heads := tamperFixture(t)
	if out := e.ok("audit", "verify", "--against", heads); !strings.Contains(out, "INC-1: intact") || !strings.Contains(out, "saved heads still on the chain") {
		t.Fatalf("audit verify of the untouched fixture: %q", out)
	}
	const approvedSeq = `(SELECT seq FROM events WHERE incident_id = 1 AND kind = 'approved')`
	cases := []struct {
		name    string
		stmts   []string
		rehash  int64 // recompute this incident's chain afterwards
		against bool  // only an anchor off the machine can tell
		want    []string
		by      string
	}{
		{name: "newest event (a note) deleted, head rolled back",
			stmts:   []string{"DELETE FROM events WHERE incident_id = 2 AND seq = 4", fmt.Sprintf(rollBack, 2)},
			against: true, want: []string{"INC-2 event 4", "missing"}, by: "--against: the saved head's seq is gone"},
		{name: "newest event (severity) deleted, head rolled back",
			stmts: []string{"DELETE FROM events WHERE incident_id = 1 AND seq = (SELECT last_seq FROM incidents WHERE id = 1)", fmt.Sprintf(rollBack, 1)},
			want:  []string{"INC-1", "stored severity is SEV1 but the timeline says SEV2"}, by: "projection replay (severity)"},
		{name: "note edited, whole chain recomputed",
			stmts:  []string{"UPDATE events SET text = 'nothing happened' WHERE incident_id = 2 AND seq = 2"},
			rehash: 2, against: true, want: []string{"INC-2 event 4", "chain was rewritten"}, by: "--against: the saved head's hash differs"},
		{name: "incidents.title edited",
			stmts: []string{"UPDATE incidents SET title = 'nothing to see' WHERE id = 1"},
			want:  []string{"INC-1", "stored title", "(event 1)"}, by: "projection replay (title column)"},
		{name: "incidents.severity edited",
			stmts: []string{"UPDATE incidents SET severity = 4 WHERE id = 1"},
			want:  []string{"INC-1: the stored severity is SEV4 but the timeline says SEV1 (event"}, by: "projection replay (severity column)"},
		{name: "incidents.status edited",
			stmts: []string{"UPDATE incidents SET status = 'resolved' WHERE id = 1"},
			want:  []string{"INC-1", "stored status is resolved but the timeline says investigating"}, by: "projection replay (status column)"},
		{name: "incidents.commander edited",
			stmts: []string{"UPDATE incidents SET commander = 'mallory' WHERE id = 1"},
			want:  []string{"INC-1", "stored commander is \"mallory\""}, by: "projection replay (commander column)"},
		{name: "incidents.state (roles, what show reads) edited",
			stmts: []string{`UPDATE incidents SET state = json_set(state, '$.roles.commander', 'mallory') WHERE id = 1`},
			want:  []string{"INC-1", "stored roles"}, by: "projection replay (state roles)"},
		{name: "retrospective version text edited",
			stmts: []string{"UPDATE retro_versions SET text = 'It was bob.' WHERE incident_id = 1"},
			want:  []string{"INC-1", "summary section is not the text that was saved"}, by: "retro_saved event (text hash)"},
		{name: "retrospective version deleted",
			stmts: []string{"DELETE FROM retro_versions WHERE incident_id = 1"},
			want:  []string{"INC-1", "summary section is missing"}, by: "retro_saved event"},
		{name: "action item edited",
			stmts: []string{"UPDATE retro_actions SET owner = 'alice' WHERE incident_id = 1"},
			want:  []string{"INC-1", "action item 1 differs"}, by: "action_item event"},
		{name: "action item forged",
			stmts: []string{"INSERT INTO retro_actions (incident_id, item, version, text, author, at) VALUES (1, 2, 1, 'x', 'bob', '2026-01-01T00:00:00.000000Z')"},
			want:  []string{"INC-1", "action item 2 is on no event"}, by: "action_item event (none)"},
		{name: "approval deleted",
			stmts: []string{"DELETE FROM approvals WHERE person = 'bob'"},
			want:  []string{"INC-1", "approval of RUN-2", "missing from the approvals table"}, by: "approved event"},
		{name: "approval person edited",
			stmts: []string{"UPDATE approvals SET person = 'carol' WHERE person = 'bob'"},
			want:  []string{"INC-1", "by carol is on no approved event"}, by: "approved event"},
		{name: "approved event deleted",
			stmts: []string{"DELETE FROM events WHERE incident_id = 1 AND seq = " + approvedSeq},
			want:  []string{"INC-1 event", "missing"}, by: "chain"},
		{name: "host result state edited",
			stmts: []string{"UPDATE run_hosts SET state = 'failed' WHERE run_id = 2 AND host = 'host02'"},
			want:  []string{"INC-1", "RUN-2 on host02 is failed (exit 0) but the timeline says ok (exit 0)"}, by: "host_done event"},
		{name: "host result exit code edited",
			stmts: []string{"UPDATE run_hosts SET exit_code = 3 WHERE run_id = 2 AND host = 'host01'"},
			want:  []string{"INC-1", "RUN-2 on host01", "exit 3"}, by: "host_done event"},
	}
	var table []string
	for i, c := range cases {
		path := filepath.Join(e.root, fmt.Sprintf("case%d.db", i))
		copyDB(t, e.db, path)
		ce := e.with("FIREBREAK_DB", path)
		tamper(t, path, c.stmts...)
		if c.rehash != 0 {
			rehash(t, path, c.rehash)
		}
		args := []string{"audit", "verify"}
		if c.against {
			if _, _, code := ce.fb(args...); code != 0 {
				t.Errorf("%s: audit verify without a saved head: exit %d; this case is meant to need one", c.name, code)
			}
			args = append(args, "--against", heads)
		}
		stdout, stderr, code := ce.fb(args...)
		if code != 1 || !oneLineError.MatchString(stderr) || strings.Contains(stdout, "incidents verified") {
			t.Errorf("%s: %q: exit %d stdout %q stderr %q, want exit 1 and one line", c.name, args, code, stdout, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr %q does not name %q", c.name, stderr, w)
			}
		}
		table = append(table, fmt.Sprintf("%-52s | %-48s | %s", c.name, c.by, strings.TrimSpace(stderr)))
		os.Remove(path)
	}
	t.Logf("tamper case | detected by | audit verify says\n%s", strings.Join(table, "\n"))
}

// Run, approval and guard events cannot be hidden (exit 2, one line); a note can, and the export lists it
// as hidden with who hid it and why, and carries the chain head that `audit head` prints.
func TestE2EHideRefusedAndExportHead(t *testing.T) {
	e, _ := tamperFixture(t)
	for _, ev := range e.timeline("INC-1") {
		switch ev.Kind {
		case "approved", "host_done", "run_started", "run_finished", "guard_override", "retro_saved", "action_item":
			stdout, stderr, code := e.fb("hide", "INC-1", fmt.Sprint(ev.Seq), "--reason", "noise")
			wantError(t, "hide "+ev.Kind, stdout, stderr, code, 2, "cannot be hidden", ev.Kind)
		}
	}
	e.ok("note", "INC-2", "a duplicate")
	e.ok("--as", "carol", "hide", "INC-2", "5", "--reason", "posted twice")
	head := strings.Fields(e.ok("audit", "head", "INC-2"))
	if len(head) != 3 || head[0] != "INC-2" || head[1] != "6" || len(head[2]) != 64 {
		t.Fatalf("audit head INC-2: %q", head)
	}
	md := e.ok("export", "INC-2")
	for _, want := range []string{"| Chain head | event 6, " + head[2] + " |", "(event 5, note, hidden by carol: posted twice)"} {
		if !strings.Contains(md, want) {
			t.Errorf("export does not contain %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "a duplicate") {
		t.Errorf("export shows the hidden event's text:\n%s", md)
	}
	if js := e.ok("export", "INC-2", "--format", "json"); !strings.Contains(js, `"hash": "`+head[2]+`"`) || !strings.Contains(js, `"by": "`) {
		t.Errorf("export --format json lacks the head or the hidden event:\n%s", js)
	}
}
