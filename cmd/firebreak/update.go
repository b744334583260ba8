package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
	"github.com/spf13/cobra"
)

type updateOptions struct {
	ID      string
	Message string // "" unset; "-" stdin
	Yes     bool
	Next    time.Duration
	JSON    bool
	msgSet  bool
}

func newCmdUpdate(a *app) *cobra.Command {
	opts := &updateOptions{}
	cmd := &cobra.Command{
		Use:   "update ID [--message TEXT|-] [--yes] [--next DURATION] [--json]",
		Short: "draft, edit and send a stakeholder update",
		Long: `Update drafts a stakeholder update from the incident's state in the Conditions / Actions / Needs form:
its status, severity and impact; the runs in flight and the latest actions since the previous update; what
the response is waiting for (an approval, a commander); and when the next update is due (--next, default
30m; 0 promises none). It opens $VISUAL or $EDITOR on the draft; what is saved is recorded on the
timeline as an update event and sent to the notify hooks that list "update" in their events. An empty file
sends nothing.

Without a terminal, say what to send: --yes sends the draft as it is, --message TEXT sends TEXT, and
--message - reads it from stdin. With --json it prints the recorded event as timeline --json does.`,
		Example:           "  firebreak update INC-7\n  firebreak update INC-7 --yes --next 1h\n  firebreak update INC-7 --message - < update.txt",
		Args:              exactArgs(1),
		ValidArgsFunction: positional(a, completeIncidents),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			opts.msgSet = cmd.Flags().Changed("message")
			return updateRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Message, "message", "m", "", "send `TEXT` instead of the draft (- reads it from stdin, at most 16 KiB)")
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "send the draft as it is, without opening the editor")
	cmd.Flags().DurationVar(&opts.Next, "next", incident.DefaultUpdateInterval, "the next update is due in `DURATION` (0: none is promised)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the recorded update event as one JSON line")
	return cmd
}

func updateRun(ctx context.Context, a *app, opts *updateOptions) error {
	id, err := incident.ParseRef(opts.ID)
	if err != nil {
		return err
	}
	switch {
	case opts.Next < 0:
		return usageErrorf("--next %s: use a duration like 30m or 1h (0: no next update)", opts.Next)
	case opts.msgSet && opts.Yes:
		return usageErrorf("--message and --yes: give one (--yes sends the draft, --message your own text)")
	}
	svc, err := a.incidents(ctx)
	if err != nil {
		return err
	}
	next := opts.Next
	if next == 0 {
		next = -1 // DraftUpdate: none promised
	}
	draft, err := svc.DraftUpdate(ctx, id, incident.UpdateDraftOptions{Next: next, RunRef: rollout.RunRef})
	if err != nil {
		return err
	}
	text := draft.Text()
	switch {
	case opts.msgSet && opts.Message == "-":
		b, err := io.ReadAll(io.LimitReader(a.stdin, 16<<10+1))
		if err != nil {
			return err
		}
		text = string(b)
	case opts.msgSet:
		text = opts.Message
	case opts.Yes:
	case !a.canPrompt():
		return store.Errorf(incident.ErrRefused, "no terminal to edit the update in: send the draft with --yes, or your text with --message TEXT (or --message - for stdin)")
	default:
		if text, err = editText(a, "update-"+draft.Incident, text); err != nil {
			return err
		}
	}
	ev, err := svc.PostUpdate(ctx, id, text, draft.NextUpdate, strings.TrimSpace(text) != strings.TrimSpace(draft.Text()))
	if err != nil {
		return err
	}
	if opts.JSON {
		return json.NewEncoder(a.stdout).Encode(ev)
	}
	fmt.Fprintf(a.stdout, "%s: update recorded (event %d)\n", draft.Incident, ev.Seq)
	hooked := false
	for _, h := range a.cfg.Notify {
		hooked = hooked || h.Matches(incident.KindUpdate)
	}
	if !hooked {
		fmt.Fprintf(a.stderr, "%s: no notify hook lists \"update\" in its events, so the update went nowhere else (README: Stakeholder updates)\n", draft.Incident)
	}
	return nil
}

// editHeader opens the file the editor shows: its lines are dropped from what is sent.
const editHeader = "# The update for the incident's stakeholders. Lines starting with # at the top are dropped;\n# save to send it, or empty the file to send nothing.\n"

// editText opens $VISUAL or $EDITOR on text and returns what was saved, without the header.
func editText(a *app, name, text string) (string, error) {
	f, err := os.CreateTemp("", "firebreak-"+name+"-*.txt")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(editHeader + text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	editor := firstNonEmpty(os.Getenv("VISUAL"), os.Getenv("EDITOR"), "vi")
	// The editor may carry arguments ("code --wait"), so the shell splits it; the path is passed as $1.
	cmd := exec.Command("sh", "-c", editor+` "$1"`, "sh", f.Name())
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.stdin, a.stdout, a.stderr
	if err := cmd.Run(); err != nil {
		return "", failedf("the editor (%s) failed: %v: nothing was sent", editor, err)
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		return "", err
	}
	lines := strings.Split(string(b), "\n")
	for len(lines) > 0 && strings.HasPrefix(lines[0], "#") {
		lines = lines[1:]
	}
	return strings.Join(lines, "\n"), nil
}
