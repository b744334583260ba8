package retro

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
)

// approvalsIncident is an incident with approvals of every shape the run engine writes or has written.
// It returns the seqs of the approvals that must be flagged.
func approvalsIncident(t *testing.T) (*Service, int64, []int64) {
	t.Helper()
	ctx := context.Background()
	rs, s := newRetro(t, "root as alice")
	inc, err := s.Declare(ctx, "Checkout errors", incident.SEV1, false)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	approve := func(actor string, data any) int64 {
		t.Helper()
		raw, err := json.Marshal(data)
		if err != nil {
			t.Fatal(err)
		}
		at = at.Add(time.Minute)
		ev := store.Event{Incident: inc.ID, At: at, Actor: actor, Kind: incident.KindApproved, Text: "approved", Data: raw}
		if err := s.DB.Write(ctx, func(tx store.Tx) error { return tx.AppendEvent(ctx, &ev) }); err != nil {
			t.Fatal(err)
		}
		return ev.Seq
	}
	var flagged []int64
	// Same account, told apart only by --as: flagged.
	flagged = append(flagged, approve("root as bob", incident.ApprovalData{Run: 3, Stage: 1, Person: "bob",
		Actor: "root as bob", StartedBy: "root as alice", PlanHash: "sha256:aa"}))
	// Different accounts: the two-person rule rested on the OS.
	approve("bob", incident.ApprovalData{Run: 4, Stage: 1, Person: "bob", Actor: "bob", StartedBy: "root as alice", PlanHash: "sha256:bb"})
	// Today's data, {"run","stage","person"}: it does not say who started the run, so nothing is flagged.
	approve("root as bob", map[string]any{"run": 5, "stage": 1, "person": "bob"})
	// Only one side known: not flagged.
	approve("root as bob", map[string]any{"run": 6, "stage": 1, "person": "bob", "actor": "root as bob"})
	approve("root as bob", map[string]any{"run": 7, "stage": 1, "person": "bob", "started_by": "root as alice"})
	// Data that is not an object: not flagged, and the export still works.
	approve("root as bob", "garbage")
	// The starter's own account without --as, the approver on it with --as; a hostile name is escaped. Hiding
	// it is refused.
	seq := approve("root as <b>carol</b>", incident.ApprovalData{Run: 8, Stage: 2, Person: "<b>carol</b>",
		Actor: "root as <b>carol</b>", StartedBy: "root", PlanHash: "sha256:cc"})
	flagged = append(flagged, seq)
	if _, _, err := s.Hide(ctx, inc.ID, seq, "test: approvals cannot be hidden"); !errors.Is(err, incident.ErrRefused) {
		t.Fatalf("hiding an approval: %v, want refused", err)
	}
	return rs, inc.ID, flagged
}

func TestApprovalFlags(t *testing.T) {
	rs, id, want := approvalsIncident(t)
	r, err := rs.Load(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, f := range r.Flags {
		got = append(got, f.Seq)
		if f.Kind != FlagSameAccountApproval || f.Account != "root" {
			t.Errorf("flag %+v", f)
		}
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("flagged events %v, want %v: %+v", got, want, r.Flags)
	}
	if f := r.Flags[0]; f.Run != 3 || f.Stage != 1 || f.Person != "bob" ||
		f.Text != "Approval of RUN-3 (after stage 1) by bob was given from the same OS account (root) as the run: the two-person rule rested on --as." {
		t.Errorf("first flag %+v", f)
	}
	// The team's own resolution text does not remove the flags.
	if _, err := rs.Save(context.Background(), id, "resolution", 0, "We rolled back the deploy."); err != nil {
		t.Fatal(err)
	}
	r, _ = rs.Load(context.Background(), id)
	for _, format := range []struct {
		golden string
		write  func(*Retro, *bytes.Buffer) error
	}{
		{"approvals.md", func(r *Retro, b *bytes.Buffer) error { return r.Markdown(b) }},
		{"approvals.json", func(r *Retro, b *bytes.Buffer) error { return r.JSON(b) }},
	} {
		var b bytes.Buffer
		if err := format.write(r, &b); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, format.golden, b.Bytes())
	}
}

// TestApprovalFlagsWithoutResolutionSection: a template without a resolution section still shows the flags.
func TestApprovalFlagsWithoutResolutionSection(t *testing.T) {
	rs, id, _ := approvalsIncident(t)
	rs.Template = Template{{"summary", "Summary", ""}}
	r, err := rs.Load(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	r.Markdown(&b)
	if !strings.Contains(b.String(), "## Flags\n\n- **Two-person rule on one account**: Approval of RUN-3") {
		t.Fatalf("no flags in:\n%s", b.String())
	}
}

// TestNoApprovalFlags: an incident without same-account approvals has no flags in either export.
func TestNoApprovalFlags(t *testing.T) {
	rs, id := hostileIncident(t)
	r, err := rs.Load(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var md, js bytes.Buffer
	r.Markdown(&md)
	r.JSON(&js)
	if len(r.Flags) != 0 || strings.Contains(md.String(), "Flags") || strings.Contains(js.String(), `"flags"`) {
		t.Fatalf("flags without approvals: %+v", r.Flags)
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(golden, got, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Fatalf("export differs from %s (go test -update rewrites it):\n%s", golden, got)
	}
}
