package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hookBatchJSON is the "batch" a hook reads for coalesced per-host events.
type hookBatchJSON struct {
	Kind     string         `json:"kind"`
	Run      string         `json:"run"`
	Count    int            `json:"count"`
	ByState  map[string]int `json:"by_state"`
	NotOK    []string       `json:"not_ok"`
	Text     string         `json:"text"`
	FirstSeq int64          `json:"first_seq"`
	LastSeq  int64          `json:"last_seq"`
}

// localFleet writes an inventory of n hosts that all run on this machine, and returns its path.
func localFleet(t *testing.T, dir string, n int) string {
	t.Helper()
	inv := filepath.Join(dir, "fleet.ini")
	mustWriteFile(t, inv, []byte(fmt.Sprintf("[fleet]\nh[0001:%04d]\n\n[all:vars]\nansible_connection=local\n", n)))
	return inv
}

// A run of hundreds of hosts with a hook on every event costs a handful of hook processes: its host_done
// events arrive coalesced, with counts, while run_started and run_finished arrive on their own.
func TestE2ENotifyRunCoalescesHostEvents(t *testing.T) {
	t.Parallel()
	const hosts = 300
	e := newEnv(t)
	inv := localFleet(t, e.root, hosts)
	out := filepath.Join(e.root, "hook")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	// Each hook process writes its payload to a file of its own, renamed into place once whole.
	mustWriteFile(t, filepath.Join(e.work, "firebreak.toml"), []byte(`
[[notify]]
events = ["*"]
command = ["sh", "-c", `+tomlQuote(`cat > "$0/.$$" && mv "$0/.$$" "$0/$$.json"`)+`, `+tomlQuote(out)+`]
`))
	inc := e.declare("a wide dry run")
	e.ok("run", inc, "--command", "true", "-i", inv, "--hosts", "all", "--dry-run", "--stages", "100%", "--concurrency", "50")

	// The timeline is complete once the run has returned; the hooks may still be running.
	onTimeline := map[string]int{}
	for _, ev := range e.timeline(inc) {
		onTimeline[ev.Kind]++
	}
	var payloads []hookPayloadJSON
	var batches []hookBatchJSON
	hostsSeen := 0
	kinds := map[string]int{}
	pollUntil(t, 20*time.Second, "a hook for every event", func() bool {
		payloads, batches, hostsSeen, kinds = nil, nil, 0, map[string]int{}
		files, _ := filepath.Glob(filepath.Join(out, "*.json"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return false
			}
			var p struct {
				hookPayloadJSON
				Batch *hookBatchJSON `json:"batch"`
			}
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatalf("hook payload %s: %v", b, err)
			}
			payloads = append(payloads, p.hookPayloadJSON)
			if p.Batch != nil {
				batches = append(batches, *p.Batch)
				kinds[p.Batch.Kind] += p.Batch.Count
				hostsSeen += p.Batch.Count
				continue
			}
			kinds[p.Event.Kind]++
			if p.Event.Kind == "host_done" {
				hostsSeen++
			}
		}
		return fmt.Sprint(kinds) == fmt.Sprint(onTimeline)
	})
	t.Logf("%d hook processes for %d hosts; %d batches; kinds %v", len(payloads), hosts, len(batches), kinds)
	if len(payloads) > 40 {
		t.Errorf("%d hook processes for a %d-host run, want a handful", len(payloads), hosts)
	}
	if len(batches) == 0 {
		t.Errorf("no coalesced batch among %d hook payloads", len(payloads))
	}
	if hostsSeen != hosts || kinds["run_started"] != 1 || kinds["run_finished"] != 1 || kinds["declared"] != 1 {
		t.Errorf("hooks saw %d hosts and kinds %v, want %d hosts and one declared, run_started, run_finished", hostsSeen, kinds, hosts)
	}
	for _, b := range batches {
		if b.Kind != "host_done" || b.Run != "RUN-1" || b.ByState["ok"] != b.Count || len(b.NotOK) != 0 ||
			b.LastSeq <= b.FirstSeq || !strings.HasPrefix(b.Text, fmt.Sprintf("RUN-1: %d hosts done: %d ok", b.Count, b.Count)) {
			t.Errorf("batch %+v", b)
		}
	}
	for _, ev := range e.timeline(inc) {
		if ev.Kind == "notify_failed" {
			t.Errorf("unexpected %s: %s", ev.Kind, ev.Text)
		}
	}
}

// Events the queue had to drop are recorded as a notify_failed notice, which no hook is told about.
func TestE2ENotifyDroppedRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := filepath.Join(e.root, "hook-out.json")
	inc := e.declare("a full queue")
	mustWriteFile(t, filepath.Join(e.work, "firebreak.toml"), []byte(`
[[notify]]
events = ["*"]
command = ["sh", "-c", `+tomlQuote("cat >> "+out)+`]
`))
	e.ok("__notify", "--dropped", "7", "1:1")
	ev := e.waitEvent(inc, "notify_failed", 5*time.Second, nil)
	var d struct {
		Dropped int `json:"dropped"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil || d.Dropped != 7 || !strings.Contains(ev.Text, "7 per-host events") {
		t.Errorf("notify_failed %q data %s, want the 7 dropped events", ev.Text, ev.Data)
	}
	p, ok := readPayload(out)
	if !ok || p.Event.Kind != "declared" {
		t.Errorf("the hook read %+v, want only the declared event", p)
	}
}
