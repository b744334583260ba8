package incident

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/firebreak/firebreak/store"
)

// KindUpdate records a stakeholder update: the text sent to the people outside the response, in the
// Conditions / Actions / Needs form. The notify hooks receive it like every event (events = ["update"]).
const KindUpdate = "update"

// UpdateData is the data of an update event; the update's text is the event's text.
type UpdateData struct {
	Status     Status   `json:"status"`
	Severity   Severity `json:"severity"`
	NextUpdate string   `json:"next_update,omitempty"` // store.FormatTime; "" when the update names none
	Edited     bool     `json:"edited,omitempty"`      // a person changed the drafted text
}

// DefaultUpdateInterval is when the next update is due unless the commander says otherwise.
const DefaultUpdateInterval = 30 * time.Minute

// maxUpdateLen bounds an update's text: a message to people, not a log.
const maxUpdateLen = 16 << 10

// updateRecent is how many of the latest actions a draft lists.
const updateRecent = 8

// UpdateDraftOptions say how to draft an update.
type UpdateDraftOptions struct {
	// Next is when the next update is due, from now (0: DefaultUpdateInterval; negative: none is promised).
	Next time.Duration
	// RunRef names a run as people know it (RUN-n); the run engine owns the form.
	RunRef func(id int64) string
}

// UpdateDraft is a stakeholder update drafted from an incident's state.
type UpdateDraft struct {
	Incident   string    `json:"incident"`
	Title      string    `json:"title"`
	Status     Status    `json:"status"`
	Severity   Severity  `json:"severity"`
	Conditions []string  `json:"conditions"` // the status and the impact, a line each
	Actions    []string  `json:"actions"`    // runs in flight, then the latest actions
	Needs      []string  `json:"needs"`      // what the response is waiting for
	NextUpdate time.Time `json:"next_update,omitzero"`
}

// Text is the draft as the commander edits and sends it: plain text that reads the same in a terminal,
// a chat message and a mail.
func (d UpdateDraft) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s update: %s\n", d.Incident, d.Title)
	section := func(title string, lines []string, none string) {
		fmt.Fprintf(&b, "\n%s\n", title)
		if len(lines) == 0 {
			lines = []string{none}
		}
		for _, l := range lines {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	section("Conditions", d.Conditions, "unknown")
	section("Actions", d.Actions, "nothing recorded yet")
	section("Needs", d.Needs, "nothing from outside the response")
	if !d.NextUpdate.IsZero() {
		fmt.Fprintf(&b, "\nNext update by %s.\n", d.NextUpdate.UTC().Format("15:04 UTC"))
	}
	return b.String()
}

// DraftUpdate drafts a stakeholder update from the incident's state: its status and impact (Conditions),
// its runs in flight and the latest actions since the previous update (Actions), what the response is
// waiting for (Needs), and when the next update is due.
func (s *Service) DraftUpdate(ctx context.Context, id int64, opts UpdateDraftOptions) (UpdateDraft, error) {
	inc, err := s.Get(ctx, id)
	if err != nil {
		return UpdateDraft{}, err
	}
	now := s.now()
	d := UpdateDraft{Incident: inc.Ref(), Title: inc.Title, Status: inc.Status, Severity: inc.Severity}
	if opts.Next == 0 {
		opts.Next = DefaultUpdateInterval
	}
	if opts.Next > 0 {
		d.NextUpdate = now.Add(opts.Next).Truncate(time.Minute)
	}
	runRef := opts.RunRef
	if runRef == nil {
		runRef = func(id int64) string { return fmt.Sprint(id) }
	}
	clock := func(t time.Time) string { return t.UTC().Format("15:04 UTC") }

	// Conditions.
	status := fmt.Sprintf("Status: %s, %s, declared %s (%s ago)", inc.Status, inc.Severity, clock(inc.DeclaredAt), humanAgo(now.Sub(inc.DeclaredAt)))
	if inc.Drill {
		status += ". This is a drill"
	}
	d.Conditions = append(d.Conditions, status)
	impact := "Impact: " + inc.Title
	if t, ok := inc.Milestones[ImpactStarted]; ok {
		impact += ", since " + clock(t)
	}
	switch {
	case !inc.Milestones[ResolvedAt].IsZero():
		impact += fmt.Sprintf("; resolved at %s", clock(inc.Milestones[ResolvedAt]))
	case !inc.Milestones[Mitigated].IsZero():
		impact += fmt.Sprintf("; mitigated at %s", clock(inc.Milestones[Mitigated]))
	}
	d.Conditions = append(d.Conditions, impact)
	if c := inc.Commander(); c != "" {
		d.Conditions = append(d.Conditions, "Commander: "+c)
	}

	// Actions: the runs in flight, then what happened since the last update.
	runs, err := s.DB.Runs(ctx, store.RunQuery{Incident: id})
	if err != nil {
		return UpdateDraft{}, err
	}
	for _, r := range runs {
		if !r.FinishedAt.IsZero() {
			continue
		}
		mode := "real"
		if r.DryRun {
			mode = "dry run"
		}
		line := fmt.Sprintf("%s %s (%s), stage %d of %d, %s", runRef(r.ID), FoldLine(r.Title), mode, r.Stage, r.Stages, r.Status)
		if r.WaitingFor != "" {
			line += ", waiting for " + r.WaitingFor
			if r.WaitingFor == "approval" {
				d.Needs = append(d.Needs, fmt.Sprintf("a second person to approve the next stage of %s (firebreak approve %s)", runRef(r.ID), runRef(r.ID)))
			}
		}
		d.Actions = append(d.Actions, line)
	}
	recent, err := s.recentActions(ctx, id)
	if err != nil {
		return UpdateDraft{}, err
	}
	for _, ev := range recent {
		d.Actions = append(d.Actions, fmt.Sprintf("%s %s: %s", clock(ev.At), FoldLine(ev.Actor), clipRunes(FoldLine(ev.Text), 160)))
	}

	// Needs.
	if inc.Commander() == "" {
		d.Needs = append(d.Needs, fmt.Sprintf("a commander (firebreak role %s commander PERSON)", inc.Ref()))
	}
	return d, nil
}

// updateKinds are the events a draft lists as the latest actions: what people decided and did, not each
// host of a run.
var updateKinds = []string{KindStatus, KindSeverity, KindRole, KindMilestone, KindNote, KindAttached, KindTick, KindSkip,
	KindRunStarted, KindRunFinished, KindRunInterrupted, KindHalt, KindResume, KindBreakGlass, KindApproved, KindUpdate}

// recentActions are the latest actions after the previous update, at most updateRecent, oldest first.
func (s *Service) recentActions(ctx context.Context, id int64) ([]store.Event, error) {
	events, err := s.DB.Events(ctx, store.EventQuery{Incident: id, Kinds: updateKinds, Newest: true, Limit: 200})
	if err != nil {
		return nil, err
	}
	var out []store.Event
	for i := len(events) - 1; i >= 0 && len(out) < updateRecent; i-- {
		if events[i].Kind == KindUpdate {
			break // what the previous update told already
		}
		out = append(out, events[i])
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// PostUpdate records a stakeholder update on the timeline; the notify hooks send it on. edited says the
// text is not the draft as drafted; next is when the next update is due (zero: none promised).
func (s *Service) PostUpdate(ctx context.Context, id int64, text string, next time.Time, edited bool) (store.Event, error) {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	switch {
	case text == "":
		return store.Event{}, store.Errorf(ErrInvalid, "the update is empty: nothing was sent")
	case !utf8.ValidString(text):
		return store.Event{}, store.Errorf(ErrInvalid, "the update is not valid UTF-8: save it as UTF-8 text")
	case len(text) > maxUpdateLen:
		return store.Event{}, store.Errorf(ErrInvalid, "the update is longer than %d KiB: stakeholders read a short one", maxUpdateLen>>10)
	}
	text, err := cleanText("update", text, maxUpdateLen)
	if err != nil {
		return store.Event{}, err
	}
	var ev store.Event
	_, events, err := s.Change(ctx, id, func(inc *Incident) ([]Draft, error) {
		d := UpdateData{Status: inc.Status, Severity: inc.Severity, Edited: edited}
		if !next.IsZero() {
			d.NextUpdate = store.FormatTime(next)
		}
		return []Draft{{Kind: KindUpdate, Text: text, Data: d}}, nil
	})
	if err != nil {
		return store.Event{}, err
	}
	if len(events) > 0 {
		ev = events[0]
	}
	return ev, nil
}

// humanAgo says a duration as people say it: 45s, 12 min, 3 h 05 min, 2 d 4 h.
func humanAgo(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %02d min", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d d %d h", int(d.Hours())/24, int(d.Hours())%24)
}

// clipRunes cuts s to at most n characters.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
