package retro

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/incident/notify"
	"github.com/firebreak/firebreak/store"
)

// DefaultTrackerTimeout bounds a tracker command whose [tracker] table sets no timeout.
const DefaultTrackerTimeout = 30 * time.Second

// claimGrace is how long after its command's timeout a claim is still taken to be alive: the time its
// process needs to record the outcome. Past it, a claim with no outcome belongs to a process that died.
const claimGrace = 15 * time.Second

// Tracker is the [tracker] table of the config: the command that creates a ticket for one action item. It
// reads the item as JSON (a TicketRequest) on stdin and prints the ticket's URL or key, alone on a line.
type Tracker struct {
	Command []string `toml:"command"` // argv; use ["sh", "-c", "..."] for a shell line
	Timeout string   `toml:"timeout"` // Go duration, default 30s
}

// Configured reports whether a tracker command is set.
func (t Tracker) Configured() bool { return len(t.Command) > 0 && t.Command[0] != "" }

// TimeoutOrDefault is the tracker command's timeout.
func (t Tracker) TimeoutOrDefault() time.Duration {
	if d, err := time.ParseDuration(t.Timeout); err == nil && d > 0 {
		return d
	}
	return DefaultTrackerTimeout
}

// ErrNoTracker is the error of a push with no [tracker] configured.
var ErrNoTracker = errors.New(`no tracker is configured: add [tracker] command = ["..."] to the config (README: "Action items in the tracker")`)

// TicketRequest is what the tracker command reads on stdin: one action item and the incident it came from.
type TicketRequest struct {
	Incident      string            `json:"incident"`       // INC-7
	IncidentTitle string            `json:"incident_title"` // the incident's title
	Severity      incident.Severity `json:"severity"`
	Drill         bool              `json:"drill"`
	Item          int               `json:"item"`  // the action item's number in the retrospective
	Title         string            `json:"title"` // a ticket title: the item's text, one line
	Body          string            `json:"body"`  // a ticket body: Markdown naming the incident and the item's fields
	Text          string            `json:"text"`
	Owner         string            `json:"owner,omitempty"`
	Due           string            `json:"due,omitempty"`
	Kind          string            `json:"kind,omitempty"`
}

// PushOptions say what to push and how to run the tracker.
type PushOptions struct {
	Tracker Tracker
	// Item is the action item to push; 0 pushes every item that has no link and is not done.
	Item int
	// Retry pushes items whose earlier push has an unknown outcome (timed out, printed no usable link, or
	// its process died), and items whose link was cleared after a ticket was created: the person has
	// checked that the tracker has no ticket for them.
	Retry bool
	// Env is the tracker's environment (nil: firebreak's own).
	Env []string
	// Secrets are values masked out of the tracker's errors before they are recorded.
	Secrets []string
}

// The states of a PushResult. Created, Failed and Unknown are what this push's command did; the others are
// items it did not push, and why.
const (
	PushCreated    = incident.PushCreated
	PushFailed     = incident.PushFailed
	PushUnknown    = incident.PushUnknown
	PushHasTicket  = "has_ticket"  // the item has a link already
	PushInProgress = "in_progress" // another firebreak is pushing it right now
	PushUnfinished = "unfinished"  // an earlier push's outcome is unknown: check the tracker, then --retry
	PushDone       = "done"        // the item is done (pushed only when named)
)

// PushResult is what a push did for one action item.
type PushResult struct {
	Item   int    `json:"item"`
	Text   string `json:"text"`
	State  string `json:"state"`
	Ticket string `json:"ticket,omitempty"`
	Error  string `json:"error,omitempty"`
	// By and Since name the person and time of the earlier claim that kept this push from running.
	By    string    `json:"by,omitempty"`
	Since time.Time `json:"since,omitzero"`
}

// OK reports whether the item was pushed, or needed no push.
func (r PushResult) OK() bool {
	return r.State == PushCreated || r.State == PushHasTicket || r.State == PushDone
}

// Message says in one line what happened to the item (its texts as recorded: escape them to show them).
func (r PushResult) Message(ref string) string {
	switch r.State {
	case PushCreated:
		return fmt.Sprintf("action item %d: ticket %s", r.Item, r.Ticket)
	case PushHasTicket:
		return fmt.Sprintf("action item %d: has ticket %s already", r.Item, r.Ticket)
	case PushDone:
		return fmt.Sprintf("action item %d: done, not pushed (name it to push it: firebreak retro action push %s %d)", r.Item, ref, r.Item)
	case PushInProgress:
		return fmt.Sprintf("action item %d: %s is pushing it since %s: wait for that push", r.Item, r.By, r.Since.UTC().Format("15:04:05 UTC"))
	case PushUnfinished:
		return fmt.Sprintf("action item %d: the push %s started at %s did not finish (%s): a ticket may exist; check the tracker, then push again with --retry",
			r.Item, r.By, r.Since.UTC().Format("2006-01-02 15:04 UTC"), r.Error)
	case PushUnknown:
		return fmt.Sprintf("action item %d: %s: a ticket may exist; check the tracker, then push again with --retry", r.Item, r.Error)
	}
	return fmt.Sprintf("action item %d: the tracker failed: %s", r.Item, r.Error)
}

// claim is the newest push of an item as the timeline has it: its started event and its outcome, if any.
type claim struct {
	id      string
	by      string
	at      time.Time
	until   time.Time
	outcome string // "" while none is recorded
	err     string
	ticket  string
}

// claims reads the newest claim of each item from the incident's ticket_push events. An outcome counts
// only for the claim it names: a late outcome of an older claim never ends a newer one.
func claims(events []store.Event) map[int]*claim {
	out := map[int]*claim{}
	for _, ev := range events {
		var d incident.TicketPushData
		if ev.Kind != incident.KindTicketPush || json.Unmarshal(ev.Data, &d) != nil {
			continue
		}
		if d.State == incident.PushStarted {
			until, _ := store.ParseTime(d.Until)
			out[d.Item] = &claim{id: d.Claim, by: ev.Actor, at: ev.At, until: until}
			continue
		}
		if c := out[d.Item]; c != nil && c.id == d.Claim {
			c.outcome, c.err, c.ticket = d.State, d.Error, d.Ticket
		}
	}
	return out
}

// decide says whether item a may be pushed now, given its newest claim: "" yes, else the PushResult
// state that says why not, and the ticket it has.
func decide(a store.ActionItem, c *claim, named, retry bool, now time.Time) (string, string, *claim) {
	switch {
	case a.Ticket != "":
		return PushHasTicket, a.Ticket, nil
	case c != nil && c.outcome == incident.PushCreated && !retry:
		return PushHasTicket, c.ticket, nil // its link was cleared from the item: the ticket is still there
	case a.Done && !named:
		return PushDone, "", nil
	case c == nil || c.outcome == incident.PushFailed:
		return "", "", nil
	case c.outcome == "" && now.Before(c.until):
		return PushInProgress, "", c // never, not even with retry: it is running
	case !retry:
		if c.outcome == "" {
			c.err = "its process stopped before it recorded an outcome"
		}
		return PushUnfinished, "", c
	}
	return "", "", nil
}

// Push creates tickets in the tracker for the retrospective's action items (opts.Item, or every item with
// no link that is not done) and records each link on its item. An item is never pushed twice: each push
// first records a claim, in the transaction that checks the item has no link and no live claim, so two
// firebreaks pushing at once run the tracker once. A push whose outcome is unknown (the command timed
// out, exited 0 without a usable link, or its process died) is not repeated unless opts.Retry: at most one
// ticket, at the price of a person checking the tracker. A failure is recorded with its error, and the next
// push tries again.
func (s *Service) Push(ctx context.Context, id int64, opts PushOptions) ([]PushResult, error) {
	if !opts.Tracker.Configured() {
		return nil, store.Errorf(incident.ErrRefused, "%s", ErrNoTracker.Error())
	}
	inc, err := s.Incidents.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	items, err := s.Incidents.DB.ActionItems(ctx, id)
	if err != nil {
		return nil, err
	}
	var todo []int
	for _, a := range items {
		if !a.Removed && (opts.Item == 0 || a.Item == opts.Item) {
			todo = append(todo, a.Item)
		}
	}
	if opts.Item != 0 && len(todo) == 0 {
		return nil, store.Errorf(incident.ErrNotFound, "no action item %d in %s (firebreak retro show %s lists them)", opts.Item, inc.Ref(), inc.Ref())
	}
	var out []PushResult
	for _, n := range todo {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		res, err := s.pushOne(ctx, inc, n, opts)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

// pushOne claims item n, runs the tracker for it and records the outcome.
func (s *Service) pushOne(ctx context.Context, inc *incident.Incident, n int, opts PushOptions) (PushResult, error) {
	actor := s.Incidents.Actor.String()
	timeout := opts.Tracker.TimeoutOrDefault()
	machine, _ := os.Hostname()
	claimID := newClaimID()
	var item store.ActionItem
	var res PushResult
	err := s.Incidents.DB.Write(ctx, func(tx store.Tx) error {
		res, item = PushResult{Item: n}, store.ActionItem{}
		a, err := actionItem(ctx, tx, inc.ID, n)
		if err != nil {
			return err
		}
		if a.Removed {
			return store.Errorf(incident.ErrNotFound, "action item %d of %s was removed meanwhile", n, inc.Ref())
		}
		item, res.Text = a, a.Text
		events, err := tx.Events(ctx, store.EventQuery{Incident: inc.ID, Kinds: []string{incident.KindTicketPush}})
		if err != nil {
			return err
		}
		now := s.now()
		c := claims(events)[n]
		why, ticket, blocking := decide(a, c, opts.Item != 0, opts.Retry, now)
		if why != "" {
			res.State, res.Ticket = why, ticket
			if blocking != nil {
				res.By, res.Since, res.Error = blocking.by, blocking.at, blocking.err
			}
			return nil
		}
		d := incident.TicketPushData{Item: n, Claim: claimID, State: incident.PushStarted,
			Until: store.FormatTime(now.Add(timeout + claimGrace)), Machine: machine, PID: os.Getpid(),
			Retry: c != nil && c.outcome != incident.PushFailed}
		return appendPush(ctx, tx, inc.ID, actor, now, d, fmt.Sprintf("action item %d: pushing it to the tracker", n))
	})
	if err != nil || res.State != "" {
		return res, err
	}

	req := ticketRequest(inc, item)
	payload, _ := json.Marshal(req)
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	// For a tracker CLI that takes the title as an argument (sh -c '... --title "$FIREBREAK_TICKET_TITLE"').
	env = append(slices.Clip(env), "FIREBREAK_INCIDENT="+req.Incident, "FIREBREAK_ACTION_ITEM="+strconv.Itoa(n),
		"FIREBREAK_TICKET_TITLE="+req.Title)
	stdout, runErr := notify.Exec(ctx, notify.Command{Argv: opts.Tracker.Command, Stdin: payload, Timeout: timeout,
		Env: env, MaxStdout: maxTrackerOutput})
	state, link, why := outcome(stdout, runErr)
	if ctx.Err() != nil && state != PushCreated {
		// Cancelled (ctrl-c, the console quitting) while the tracker ran: it was killed, maybe after it made
		// the ticket.
		state, why = PushUnknown, "the push was cancelled while the tracker ran, and the tracker was killed"
	}
	why = mask(why, opts.Secrets)
	res.State, res.Ticket, res.Error = state, link, why

	// The outcome is recorded even when ctx is done (the person pressed ctrl-c after the ticket was made):
	// a claim left open would keep the item from being pushed until a person checked by hand.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err = s.Incidents.DB.Write(rctx, func(tx store.Tx) error {
		now := s.now()
		d := incident.TicketPushData{Item: n, Claim: claimID, State: state, Ticket: link, Error: why}
		text := fmt.Sprintf("action item %d: the tracker failed: %s", n, why)
		switch state {
		case PushCreated:
			text = fmt.Sprintf("action item %d: ticket %s", n, link)
		case PushUnknown:
			text = fmt.Sprintf("action item %d: the tracker's outcome is unknown: %s", n, why)
		}
		if err := appendPush(rctx, tx, inc.ID, actor, now, d, text); err != nil {
			return err
		}
		if state != PushCreated {
			return nil
		}
		a, err := actionItem(rctx, tx, inc.ID, n)
		if err != nil || a.Ticket != "" || a.Removed {
			return err // removed meanwhile, or linked by hand: the ticket stays on the timeline above
		}
		a.Ticket, a.Author, a.At, a.Version = link, actor, now, 0
		if err := tx.SaveActionItem(rctx, &a); err != nil {
			return err
		}
		return recordAction(rctx, tx, a)
	})
	return res, err
}

// maxTrackerOutput bounds what is read of the tracker's stdout: a link is one short line.
const maxTrackerOutput = 64 << 10

// maxLinkLen is the longest link accepted (an action item's ticket field holds up to 1000 characters).
const maxLinkLen = 500

// outcome classifies what the tracker command did: created (with the link), failed (it said so: no
// ticket), or unknown (it may have made a ticket that firebreak can't link).
func outcome(stdout []byte, runErr error) (state, link, why string) {
	switch {
	case errors.Is(runErr, notify.ErrTimedOut):
		return PushUnknown, "", "the tracker " + runErr.Error()
	case errors.Is(runErr, notify.ErrOutputTooLong):
		return PushUnknown, "", fmt.Sprintf("the tracker printed more than %d KiB: it must print only the ticket's URL or key", maxTrackerOutput>>10)
	case errors.Is(runErr, exec.ErrWaitDelay):
		// It exited but left something holding its output open (a pager, a credential helper): what it
		// printed before exiting decides.
		if link, err := parseLink(stdout); err == nil {
			return PushCreated, link, ""
		}
		return PushUnknown, "", "the tracker exited but a process it started kept its output open: " + incident.FoldLine(runErr.Error())
	case runErr != nil:
		return PushFailed, "", incident.FoldLine(runErr.Error())
	}
	link, err := parseLink(stdout)
	if err != nil {
		return PushUnknown, "", err.Error()
	}
	return PushCreated, link, ""
}

// parseLink checks what the tracker printed: one line holding a URL or key, nothing else.
func parseLink(out []byte) (string, error) {
	s := strings.TrimRight(string(out), "\r\n")
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", errors.New("the tracker exited 0 but printed nothing: it must print the ticket's URL or key")
	case !utf8.ValidString(s):
		return "", errors.New("the tracker printed bytes that are not UTF-8: it must print the ticket's URL or key")
	case strings.ContainsAny(s, "\r\n"):
		return "", fmt.Errorf("the tracker printed %d lines (the first: %s): it must print only the ticket's URL or key (pipe its output through tail -n 1)",
			strings.Count(s, "\n")+1, excerpt(s[:strings.IndexAny(s, "\r\n")]))
	case utf8.RuneCountInString(s) > maxLinkLen:
		return "", fmt.Errorf("the tracker printed %d characters (%s): a URL or key is at most %d", utf8.RuneCountInString(s), excerpt(s), maxLinkLen)
	case strings.ContainsFunc(s, unicode.IsSpace):
		return "", fmt.Errorf("the tracker printed %s: a URL or key has no spaces", excerpt(s))
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }):
		return "", fmt.Errorf("the tracker printed control characters (%s): it must print only the ticket's URL or key", excerpt(s))
	}
	return incident.OneLine("ticket link", s, maxLinkLen)
}

// excerpt quotes the start of s with every control character escaped.
func excerpt(s string) string {
	if utf8.RuneCountInString(s) > 60 {
		s = string([]rune(s)[:60]) + "…"
	}
	return strconv.QuoteToGraphic(s)
}

// mask replaces every secret value in s.
func mask(s string, secrets []string) string {
	for _, v := range secrets {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "********")
		}
	}
	return s
}

// ticketRequest is what the tracker reads for item a.
func ticketRequest(inc *incident.Incident, a store.ActionItem) TicketRequest {
	body := []string{fmt.Sprintf("Action item %d from the retrospective of %s: %s (%s).", a.Item, inc.Ref(), inc.Title, inc.Severity)}
	if inc.Drill {
		body[0] = fmt.Sprintf("Action item %d from the retrospective of drill %s: %s.", a.Item, inc.Ref(), inc.Title)
	}
	body = append(body, "", a.Text, "")
	for _, f := range []struct{ k, v string }{{"Owner", a.Owner}, {"Due", a.Due}, {"Kind", a.Kind}} {
		if f.v != "" {
			body = append(body, fmt.Sprintf("- %s: %s", f.k, f.v))
		}
	}
	return TicketRequest{Incident: inc.Ref(), IncidentTitle: inc.Title, Severity: inc.Severity, Drill: inc.Drill, Item: a.Item,
		Title: a.Text, Body: strings.TrimRight(strings.Join(body, "\n"), "\n") + "\n", Text: a.Text, Owner: a.Owner, Due: a.Due, Kind: a.Kind}
}

// actionItem reads the current version of item n.
func actionItem(ctx context.Context, tx store.Tx, id int64, n int) (store.ActionItem, error) {
	items, err := tx.ActionItems(ctx, id)
	if err != nil {
		return store.ActionItem{}, err
	}
	for _, a := range items {
		if a.Item == n {
			return a, nil
		}
	}
	return store.ActionItem{}, store.Errorf(incident.ErrNotFound, "no action item %d in %s", n, incident.Ref(id))
}

func appendPush(ctx context.Context, tx store.Tx, id int64, actor string, at time.Time, d incident.TicketPushData, text string) error {
	data, _ := json.Marshal(d)
	ev := store.Event{Incident: id, At: at, Actor: actor, Kind: incident.KindTicketPush, Text: text, Data: data}
	return tx.AppendEvent(ctx, &ev)
}

func newClaimID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
