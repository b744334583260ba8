package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
)

// runHostsOf is a run's hosts as a fleet of n reports them, with a few odd ones.
func runHostsOf(n int) []store.RunHost {
	hosts := make([]store.RunHost, n)
	for i := range hosts {
		hosts[i] = store.RunHost{Host: fmt.Sprintf("host%05d", i+1), Stage: 1 + min(i, 3), Position: i, State: "changed",
			Duration: time.Duration(i%7+1) * 173 * time.Millisecond, LogPath: fmt.Sprintf("/var/log/firebreak/INC-1/RUN-1/host%05d.log", i+1)}
		switch i % 5 {
		case 1:
			hosts[i].State, hosts[i].ExitCode, hosts[i].LogPath = "failed", 127, ""
		case 2:
			hosts[i].LogHost = "bastion-2"
		case 3:
			hosts[i].Host = "hôst-ünïcode-" + hosts[i].Host
		}
	}
	return hosts
}

// TestRunHostsTableAsTabwriter: the streamed table is the one tabwriter made, byte for byte.
func TestRunHostsTableAsTabwriter(t *testing.T) {
	for _, n := range []int{0, 1, 7, 300} {
		hosts := runHostsOf(n)
		var want bytes.Buffer
		tw := tabwriter.NewWriter(&want, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "STAGE\tHOST\tSTATE\tEXIT\tDURATION\tLOG")
		for _, h := range hosts {
			c := hostCells(h, "bastion-1")
			fmt.Fprintln(tw, strings.Join(c[:], "\t"))
		}
		tw.Flush()
		var got bytes.Buffer
		if err := writeRunHosts(&got, hosts, "bastion-1"); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%d hosts: streamed table\n%s\nwant\n%s", n, got.String(), want.String())
		}
	}
}

// BenchmarkRunsTable writes the host table of a run of 10,000 hosts (the part of runs RUN that grows
// with the run).
func BenchmarkRunsTable(b *testing.B) {
	hosts := runHostsOf(10_000)
	b.ReportAllocs()
	for b.Loop() {
		writeRunHosts(io.Discard, hosts, "bastion-1")
	}
}

// BenchmarkRunsOneRun is a whole `firebreak runs RUN-1` process (start, database open, query, output) on
// a run of 10,000 hosts, its output read through a pipe.
func BenchmarkRunsOneRun(b *testing.B) {
	root := b.TempDir()
	dbPath := filepath.Join(root, "fb.db")
	ctx := context.Background()
	db, err := engine.Open(ctx, dbPath, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	svc := &incident.Service{DB: db, Actor: incident.Actor{User: "bench"}}
	inc, err := svc.Declare(ctx, "10,000 hosts", incident.SEV2, false)
	if err != nil {
		b.Fatal(err)
	}
	hosts := runHostsOf(10_000)
	err = db.Write(ctx, func(tx store.Tx) error {
		id, err := tx.CreateRun(ctx, store.RunRow{Incident: inc.ID, Title: "restart nginx", ScriptHash: "abc", Status: "succeeded",
			Stage: 4, Stages: 4, StartedBy: "bench", StartedAt: time.Now()}, hosts)
		for _, h := range hosts { // the results, as the engine records them
			h.Run = id
			if err == nil {
				err = tx.SetHost(ctx, h)
			}
		}
		return err
	})
	db.Close()
	if err != nil {
		b.Fatal(err)
	}
	env := append(os.Environ(), "FIREBREAK_DB="+dbPath, "HOME="+root, "XDG_CONFIG_HOME="+root, "XDG_DATA_HOME="+root)
	run := func() []byte {
		cmd := exec.Command(fbBin, "runs", "RUN-1")
		cmd.Env, cmd.Dir = env, root
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("runs RUN-1: %v", err)
		}
		return out
	}
	if out := run(); bytes.Count(out, []byte("\n")) != 10_002 {
		b.Fatalf("runs RUN-1 printed %d lines, want 10,002", bytes.Count(out, []byte("\n")))
	}
	start := time.Now()
	for b.Loop() {
		run()
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N)/1000, "ms/run")
}
