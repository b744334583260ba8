package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// handoverJSON is what `handover --json` says.
type handoverJSON struct {
	GeneratedAt time.Time `json:"generated_at"`
	Halt        *struct {
		By     string `json:"by"`
		Reason string `json:"reason"`
	} `json:"halt"`
	Incidents []struct {
		ID         string            `json:"id"`
		Severity   string            `json:"severity"`
		Status     string            `json:"status"`
		Drill      bool              `json:"drill"`
		AgeSeconds int64             `json:"age_seconds"`
		Roles      map[string]string `json:"roles"`
		LastUpdate *struct {
			Kind  string `json:"kind"`
			Text  string `json:"text"`
			Actor string `json:"actor"`
		} `json:"last_update"`
		Runs []struct {
			ID        string   `json:"id"`
			Status    string   `json:"status"`
			Waiting   string   `json:"waiting"`
			WaitingOn string   `json:"waiting_on"`
			StartedBy string   `json:"started_by"`
			Stage     int      `json:"stage"`
			Stages    int      `json:"stages"`
			NextHosts []string `json:"next_hosts"`
			InFlight  []string `json:"in_flight"`
			Hosts     int      `json:"hosts"`
		} `json:"runs"`
		PendingApprovals []struct {
			Run       string `json:"run"`
			StartedBy string `json:"started_by"`
			Command   string `json:"command"`
		} `json:"pending_approvals"`
		OpenSteps []struct {
			Runbook  string `json:"runbook"`
			Step     string `json:"step"`
			Assignee string `json:"assignee"`
		} `json:"open_steps"`
	} `json:"incidents"`
}

func (e *fbEnv) handover() handoverJSON {
	e.t.Helper()
	out := e.ok("handover", "--json")
	var h handoverJSON
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		e.t.Fatalf("handover --json: %v\n%s", err, out)
	}
	return h
}

// TestE2EHandover: a SEV1 with a run waiting for another person's approval, a checklist with a step ticked,
// one assigned and the rest open, a note as the last update, and a quiet drill; then the off-switch.
func TestE2EHandover(t *testing.T) {
	e, f, inc := fleetEnv(t, 2, "1")
	drill := e.declare("game day: failover", "--drill", "--sev", "3")
	resolved := e.declare("yesterday's outage", "--sev", "2")
	e.ok("--as", "carol", "role", resolved, "commander", "carol")
	e.ok("status", resolved, "resolved")

	e.ok("--as", "alice", "role", inc, "commander", "alice")
	e.ok("role", inc, "operations", "bob")
	e.ok("attach", inc, "free-disk")
	e.ok("tick", inc, "free-disk", "diagnose")
	e.ok("assign", inc, "free-disk", "compress-rotated", "bob")
	e.ok("--as", "alice", "note", inc, "EU checkout errors at 3%, red herring ruled out")

	script := fmt.Sprintf(`[ "$FIREBREAK_DRY_RUN" = 1 ] && exit 0; echo "$FIREBREAK_HOST" >> %s/ran`, e.root)
	base := []string{"--as", "alice", "run", inc, "--command", script, "--title", "restart api", "-i", f.Inventory}
	e.ok(append(base, "--hosts", "host01", "--dry-run")...)
	run := e.command(t.Context(), append(base, "--hosts", "all", "--stages", "1,100%", "--yes", "--confirm-out-of-hours")...)
	var runOut strings.Builder
	run.Stdout, run.Stderr = &runOut, &runOut
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer run.Process.Kill()
	waitFor(t, "the run to wait for approval", 30*time.Second, func() bool {
		o, _, _ := e.fb("runs", inc)
		return strings.Contains(o, "waiting (approval)")
	})

	text := e.ok("handover")
	for _, want := range []string{
		"# Handover, ",
		"2 open incidents.",
		"## " + inc + " SEV1 investigating: the fleet is on fire",
		"- Roles: commander alice, communications nobody, operations bob, scribe nobody",
		"by " + osUser(t) + " as alice (note): EU checkout errors at 3%, red herring ruled out",
		"RUN-2 restart api (real, started by alice): waiting after stage 1/2, 2 hosts; waiting for an approval by another person than alice: firebreak approve RUN-2; next: host02",
		"- Pending approvals:\n  - RUN-2 after stage 1, started by alice: anyone but alice may approve (firebreak approve RUN-2)",
		"  - [ ] free-disk/compress-rotated: Compress rotated log files (script), held by bob",
		"  - [ ] free-disk/delete-old: ",
		"## " + drill + " SEV3 investigating [DRILL]: game day: failover",
		"- Last update: none since the declaration",
		"- Runs: none in flight or waiting",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("handover does not say %q:\n%s", want, text)
		}
	}
	for _, not := range []string{"free-disk/diagnose", resolved, "\x1b", "RUN-1"} {
		if strings.Contains(text, not) {
			t.Errorf("handover shows %q, which it should not:\n%s", not, text)
		}
	}
	// The most severe first.
	if strings.Index(text, "## "+inc) > strings.Index(text, "## "+drill) {
		t.Errorf("the SEV1 is not first:\n%s", text)
	}

	h := e.handover()
	if h.Halt != nil || len(h.Incidents) != 2 || h.Incidents[0].ID != inc || h.Incidents[1].ID != drill {
		t.Fatalf("handover --json: halt %v, incidents %+v", h.Halt, h.Incidents)
	}
	hi := h.Incidents[0]
	if hi.Severity != "SEV1" || hi.Roles["commander"] != "alice" || hi.Roles["scribe"] != "" || hi.AgeSeconds < 0 || hi.AgeSeconds > 600 {
		t.Errorf("incident: %+v", hi)
	}
	if hi.LastUpdate == nil || hi.LastUpdate.Kind != "note" || !strings.HasPrefix(hi.LastUpdate.Text, "EU checkout errors") {
		t.Errorf("last update: %+v", hi.LastUpdate)
	}
	if len(hi.Runs) != 1 {
		t.Fatalf("runs: %+v", hi.Runs)
	}
	r := hi.Runs[0]
	if r.ID != "RUN-2" || r.Status != "waiting" || r.Waiting != "approval" || r.StartedBy != "alice" || r.Stage != 1 || r.Stages != 2 ||
		!slices.Equal(r.NextHosts, []string{"host02"}) || len(r.InFlight) != 0 || r.Hosts != 2 {
		t.Errorf("run: %+v", r)
	}
	if len(hi.PendingApprovals) != 1 || hi.PendingApprovals[0].Run != "RUN-2" || hi.PendingApprovals[0].Command != "firebreak approve RUN-2" {
		t.Errorf("pending approvals: %+v", hi.PendingApprovals)
	}
	var steps []string
	for _, s := range hi.OpenSteps {
		steps = append(steps, s.Runbook+"/"+s.Step+"@"+s.Assignee)
	}
	if !slices.Equal(steps, []string{"free-disk/compress-rotated@bob", "free-disk/delete-old@", "free-disk/prevent@"}) {
		t.Errorf("open steps: %v", steps)
	}

	// The approval lets the run finish: nothing is left waiting.
	e.ok("--as", "bob", "approve", "RUN-2", "--yes")
	if err := run.Wait(); err != nil {
		t.Fatalf("run after approval: %v\n%s", err, runOut.String())
	}
	h = e.handover()
	if n := len(h.Incidents[0].Runs) + len(h.Incidents[0].PendingApprovals); n != 0 {
		t.Errorf("after the run finished: %+v", h.Incidents[0])
	}

	// The off-switch heads the report.
	e.ok("--as", "dave", "halt", "--reason", "db failover in progress")
	text = e.ok("handover")
	if !strings.Contains(text, "**OFF-SWITCH ENGAGED** by "+osUser(t)+" as dave at ") || !strings.Contains(text, "db failover in progress") {
		t.Errorf("handover during a halt:\n%s", text)
	}
	if h = e.handover(); h.Halt == nil || h.Halt.Reason != "db failover in progress" {
		t.Errorf("handover --json during a halt: %+v", h.Halt)
	}
	e.ok("resume")

	// Bad input: exit 2, one line.
	stdout, stderr, code := e.fb("handover", "INC-1")
	wantError(t, "handover INC-1", stdout, stderr, code, 2, "usage")
	if b, _ := os.ReadFile(filepath.Join(e.root, "ran")); !strings.Contains(string(b), "host02") {
		t.Errorf("host02 never ran after the approval")
	}
}
