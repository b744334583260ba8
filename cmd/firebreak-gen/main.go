// Command firebreak-gen fills a firebreak database with generated incidents, for benchmarks:
//
//	go run ./cmd/firebreak-gen --db /tmp/big.db --incidents 1000 --events 200000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/firebreak/firebreak/incident/incidenttest"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
)

func main() {
	path := flag.String("db", "", "database file to fill (created if missing)")
	incidents := flag.Int("incidents", 1000, "number of incidents")
	events := flag.Int("events", 200000, "total number of events")
	open := flag.Int("open", 0, "incidents left open (default one in fifty)")
	flag.Parse()
	if *path == "" {
		fmt.Fprintln(os.Stderr, "firebreak-gen: --db PATH is required")
		os.Exit(2)
	}
	ctx := context.Background()
	db, err := engine.Open(ctx, *path, store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "firebreak-gen:", err)
		os.Exit(2)
	}
	defer db.Close()
	start := time.Now()
	if err := incidenttest.Generate(ctx, db, incidenttest.Spec{Incidents: *incidents, Events: *events, Open: *open}); err != nil {
		fmt.Fprintln(os.Stderr, "firebreak-gen:", err)
		os.Exit(1)
	}
	fmt.Printf("generated %d incidents, %d events in %s\n", *incidents, *events, time.Since(start).Round(time.Millisecond))
}
