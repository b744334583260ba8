package main

import (
	"context"
	"time"

	"github.com/firebreak/firebreak/incident/stats"
	"github.com/spf13/cobra"
)

type statsOptions struct {
	Since string
	JSON  bool
}

func newCmdStats(a *app) *cobra.Command {
	opts := &statsOptions{}
	cmd := &cobra.Command{
		Use:   "stats [--since 90d] [--json]",
		Short: "trends across incidents, drawn as text charts",
		Long: `Stats prints trends across the incidents declared in the window (--since, default the last 90 days) as
text charts: real incidents per week by severity (drills counted apart), the response times of real
incidents from their milestones (time to detect: impact_started to detected; to acknowledge: detected to
acknowledged; to mitigate and to resolve: from impact_started, else detected) as median and p90 with a
sparkline of the weekly median, the runbooks most attached and run, real and dry runs and the hosts real
runs touched, drills against real incidents, and action items open against done. A milestone that is not
recorded is never guessed: the output says on how many incidents each is missing. With --json it prints
one object: {"generated_at","since","incidents","real","drills","weeks","times","runbooks","runs",
"action_items","notes"} (durations in seconds; fields in the README).`,
		Example: "  firebreak stats\n  firebreak stats --since 12w\n  firebreak stats --since 2026-01-01 --json | jq '.times[] | {measure, median_seconds}'",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return statsRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Since, "since", "90d", "the window: days or weeks back (`90d`, 12w), a duration (36h) or a date (2026-01-31)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the trends as one JSON object")
	cmd.RegisterFlagCompletionFunc("since", fixedCompletion("30d\tthe last 30 days", "90d\tthe last 90 days (the default)",
		"180d\tthe last 180 days", "365d\tthe last year"))
	return cmd
}

func statsRun(ctx context.Context, a *app, opts *statsOptions) error {
	now := time.Now()
	since, err := stats.ParseSince(opts.Since, now)
	if err != nil {
		return err
	}
	db, err := a.store(ctx)
	if err != nil {
		return err
	}
	rep, err := stats.Build(ctx, db, since, now)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(a, rep)
	}
	return stats.Text(a.stdout, rep)
}
