package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
	"github.com/spf13/cobra"
)

// cmdLog prints one host's full output log from a run. The file keeps the bytes the host printed
// (secrets masked); what reaches the terminal passes the remote-output sanitiser line by line (guard 10),
// so a host cannot move the cursor, retitle the window or set the clipboard of whoever reads its log.
func newCmdLog(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "log RUN HOST",
		Short: "a host's full output from a run (control sequences neutralised)",
		Long: `Log prints HOST's full output from RUN, as its log file keeps it (secrets masked). Control sequences the
host printed are neutralised line by line, so a host cannot move your cursor, retitle your window or
set your clipboard.`,
		Example:           "  firebreak log RUN-12 web3 | less",
		Args:              exactArgs(2),
		ValidArgsFunction: positional(a, completeRuns, completeRunHosts),
		RunE: func(cmd *cobra.Command, args []string) error {
			return logRun(cmd.Context(), a, args[0], args[1])
		},
	}
}

func logRun(ctx context.Context, a *app, run, host string) error {
	id, err := parseRunRef(run)
	if err != nil {
		return err
	}
	db, err := a.store(ctx)
	if err != nil {
		return err
	}
	if _, err := db.Run(ctx, id); err != nil {
		return runErr(err)
	}
	hosts, err := db.RunHosts(ctx, id)
	if err != nil {
		return err
	}
	var h *store.RunHost
	for i := range hosts {
		if hosts[i].Host == host && (h == nil || hosts[i].LogPath != "") {
			h = &hosts[i]
		}
	}
	ref := rollout.RunRef(id)
	if h == nil {
		return store.Errorf(incident.ErrNotFound, "%s has no host %q: firebreak runs %s lists its hosts", ref, host, ref)
	}
	if h.LogPath == "" {
		switch rollout.HostState(h.State) {
		case rollout.Pending, rollout.Running:
			fmt.Fprintf(a.stderr, "%s %s: no log yet: the host is %s, and its log is recorded when it finishes\n", ref, clean(h.Host), h.State)
		default:
			fmt.Fprintf(a.stderr, "%s %s: no log: the host printed nothing (%s)\n", ref, clean(h.Host), h.State)
		}
		return nil
	}
	if h.LogHost != "" && h.LogHost != rollout.MachineID() {
		return failedf("the log of %s %s is on machine %s at %s: run this there (firebreak log %s %s)", ref, clean(h.Host),
			clean(h.LogHost), clean(h.LogPath), ref, clean(h.Host))
	}
	f, err := os.Open(h.LogPath)
	if errors.Is(err, os.ErrNotExist) {
		return failedf("%s %s: the log file %s is gone (removed since the run)", ref, h.Host, h.LogPath)
	}
	if err != nil {
		return failedf("%s %s: reading the log: %v", ref, h.Host, err)
	}
	defer f.Close()
	return printSanitised(a.stdout, f)
}

// printSanitised copies r to w a line at a time, each line through output.Sanitize.
func printSanitised(w io.Writer, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriter(w)
	for {
		line, err := br.ReadSlice('\n')
		full := err == nil
		if errors.Is(err, bufio.ErrBufferFull) {
			err = nil // a long line: sanitised in pieces, so an escape sequence split at 64 KiB loses its tail safely
		}
		if len(line) > 0 {
			if full {
				line = line[:len(line)-1]
			}
			bw.WriteString(output.Sanitize(line))
			if full || err == io.EOF {
				bw.WriteByte('\n')
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	return bw.Flush()
}
