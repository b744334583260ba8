package main

import (
	"context"
	"time"

	"github.com/firebreak/firebreak/incident/handover"
	"github.com/spf13/cobra"
)

type handoverOptions struct {
	JSON bool
}

func newCmdHandover(a *app) *cobra.Command {
	opts := &handoverOptions{}
	cmd := &cobra.Command{
		Use:   "handover [--json]",
		Short: "the shift handover: every open incident, its runs, approvals and open steps",
		Long: `Handover prints, for every open incident (the most severe first, then the oldest), what the next shift
needs: severity, status and age, who holds each role, the last update (the newest status change or note),
the runs in flight or waiting and what and whom they wait for (another person's approval, the go-ahead
at a stage pause, the off-switch, a resume), the approvals asked for, and the checklist steps nobody has
ticked yet with who holds them. The text is Markdown-like and has no colour, ready to paste at a shift
change; long host lists are summarised. With --json it prints one object: {"generated_at","halt",
"incidents":[{"id","title","severity","status","drill","declared_at","declared_by","age_seconds",
"roles","last_update","runs","pending_approvals","open_steps"}]} (fields in the README).`,
		Example: "  firebreak handover\n  firebreak handover | xclip -selection clipboard\n  firebreak handover --json | jq '.incidents[].pending_approvals'",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return handoverRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the handover as one JSON object")
	return cmd
}

func handoverRun(ctx context.Context, a *app, opts *handoverOptions) error {
	db, err := a.store(ctx)
	if err != nil {
		return err
	}
	rep, err := handover.Build(ctx, db, time.Now())
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(a, rep)
	}
	return handover.Text(a.stdout, rep)
}
