package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/retro"
	"github.com/firebreak/firebreak/runbooks/tomlcheck"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
	"github.com/spf13/cobra"
)

// pushOptions are the configured tracker and the environment it runs in, for the CLI and the console
// alike: firebreak's environment without the database's password (the tracker inherits its own token,
// GH_TOKEN or JIRA_API_TOKEN, from there), and the values of secret-named variables to mask in its errors.
func (a *app) pushOptions() retro.PushOptions {
	env := os.Environ()
	vars := map[string]string{}
	for i, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if k == "FIREBREAK_DB" {
			env[i] = k + "=" + engine.WithoutPassword(v)
		}
		vars[k] = v
	}
	return retro.PushOptions{Tracker: a.cfg.Tracker, Env: env, Secrets: a.cfg.secrets().Values(vars)}
}

// checkTracker validates the [tracker] table, reporting each problem at the line of its key.
func (c *Config) checkTracker(data []byte) tomlcheck.Problems {
	var ps tomlcheck.Problems
	bad := func(msg string, path ...any) {
		line, col, _ := tomlcheck.KeyPos(data, path...)
		ps = append(ps, tomlcheck.Problem{File: c.file, Line: line, Col: col, Msg: msg})
	}
	t := c.Tracker
	if (len(t.Command) > 0 && t.Command[0] == "") || (len(t.Command) == 0 && t.Timeout != "") {
		bad(`tracker.command: name the program that creates a ticket, like command = ["/usr/local/bin/make-ticket", "--project", "OPS"]`, "tracker")
	}
	if t.Timeout != "" {
		if d, err := time.ParseDuration(t.Timeout); err != nil || d <= 0 {
			bad(fmt.Sprintf("tracker.timeout: %q is not a duration: use a form like 30s", t.Timeout), "tracker", "timeout")
		}
	}
	return ps
}

type retroPushOptions struct {
	ID    string
	Item  string // "": every item with no link
	Retry bool
	JSON  bool
}

func newCmdRetroActionPush(a *app) *cobra.Command {
	opts := &retroPushOptions{}
	cmd := &cobra.Command{
		Use:   "push ID [N] [--retry] [--json]",
		Short: "create tickets for action items with the configured tracker",
		Long: `Push creates a ticket in the team's tracker for each action item of the retrospective that has no
link yet and is not done (or for item N alone), and records the ticket's URL or key on the item. The
[tracker] command in the config receives the item as JSON on stdin and prints the link (README: "Action
items in the tracker").

An item never gets two tickets: a push records a claim before the command runs, and skips items that
have a link or a claim in progress (another terminal pushing them). A command that fails (exits non-zero)
is recorded with its error and tried again by the next push. One whose outcome is unknown (it timed out,
exited 0 without printing one URL or key, or its firebreak died) may have made a ticket: push leaves it
until --retry, to give after checking the tracker.

Exit 1 when an item was not pushed.`,
		Example:           "  firebreak retro action push INC-7\n  firebreak retro action push INC-7 2 --retry",
		Args:              argsRange(1, 2),
		ValidArgsFunction: positional(a, completeIncidents),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if len(args) > 1 {
				opts.Item = args[1]
			}
			return retroPushRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Retry, "retry", false, "push items whose earlier push has an unknown outcome (check the tracker has no ticket for them first)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array: each item's id, text, state (created, failed, unknown, has_ticket, in_progress, unfinished, done), ticket and error")
	return cmd
}

func retroPushRun(ctx context.Context, a *app, opts *retroPushOptions) error {
	id, err := incident.ParseRef(opts.ID)
	if err != nil {
		return err
	}
	po := a.pushOptions()
	po.Retry = opts.Retry
	if opts.Item != "" {
		n, err := strconv.Atoi(opts.Item)
		if err != nil || n < 1 {
			return store.Errorf(incident.ErrInvalid, "%q is not an action item number: retro show %s lists them", opts.Item, incident.Ref(id))
		}
		po.Item = n
	}
	rs, err := a.retros(ctx)
	if err != nil {
		return err
	}
	results, err := rs.Push(ctx, id, po)
	if err != nil {
		return err
	}
	ref := incident.Ref(id)
	if opts.JSON {
		if results == nil {
			results = []retro.PushResult{}
		}
		if err := writeJSON(a, results); err != nil {
			return err
		}
	} else {
		if len(results) == 0 {
			fmt.Fprintf(a.stdout, "%s: no action items to push\n", ref)
		}
		for _, r := range results {
			fmt.Fprintf(a.stdout, "%s: %s\n", ref, clean(r.Message(ref)))
		}
	}
	var notPushed []retro.PushResult
	for _, r := range results {
		if !r.OK() {
			notPushed = append(notPushed, r)
		}
	}
	switch len(notPushed) {
	case 0:
		return nil
	case 1:
		return failedf("%s: %s", ref, clean(notPushed[0].Message(ref)))
	}
	return failedf("%s: %d of %d action items were not pushed (listed above)", ref, len(notPushed), len(results))
}
