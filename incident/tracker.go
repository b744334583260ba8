package incident

// KindTicketPush records a step of pushing a retrospective action item to the team's tracker: the claim
// taken before the tracker command runs, and how it ended. The claim is what keeps two firebreaks from
// creating two tickets for one item (incident/retro decides on it in the transaction that appends it).
const KindTicketPush = "ticket_push"

// The states of a ticket push.
const (
	// PushStarted is the claim: the tracker command is about to run for the item.
	PushStarted = "started"
	// PushCreated: the command printed the ticket's link, recorded on the item.
	PushCreated = "created"
	// PushFailed: the command said it failed (it could not start, or exited non-zero); no ticket is
	// assumed, and the next push tries again.
	PushFailed = "failed"
	// PushUnknown: the command may have created a ticket but firebreak can't tell which (it timed out, or
	// exited 0 without printing a usable link). A push tries again only when told to (--retry).
	PushUnknown = "unknown"
)

// TicketPushData is the data of a ticket_push event.
type TicketPushData struct {
	Item  int    `json:"item"`
	Claim string `json:"claim"` // the claim's id: the started event and its outcome share it
	State string `json:"state"` // PushStarted, PushCreated, PushFailed, PushUnknown
	// Until is when a started claim lapses if no outcome follows (store.FormatTime): its process died.
	Until   string `json:"until,omitempty"`
	Machine string `json:"machine,omitempty"` // the machine and pid of the process that claimed it
	PID     int    `json:"pid,omitempty"`
	Retry   bool   `json:"retry,omitempty"` // the claim was taken over an unknown outcome, on a person's word
	Ticket  string `json:"ticket,omitempty"`
	Error   string `json:"error,omitempty"`
}
