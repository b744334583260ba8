package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// TimeFormat is how times are stored and shown: UTC, fixed width, so text order is time order.
const TimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// Event is one entry of an incident's timeline.
type Event struct {
	Incident int64           `json:"-"`
	Seq      int64           `json:"seq"`
	At       time.Time       `json:"-"`
	Actor    string          `json:"actor"`
	Kind     string          `json:"kind"`
	Text     string          `json:"text"`
	Data     json.RawMessage `json:"data"`
	PrevHash string          `json:"-"`
	Hash     string          `json:"hash"`
}

// MarshalJSON writes the timeline contract's shape: {"seq","at","actor","kind","text","data","hash"}.
func (e Event) MarshalJSON() ([]byte, error) {
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	return json.Marshal(struct {
		Seq   int64           `json:"seq"`
		At    string          `json:"at"`
		Actor string          `json:"actor"`
		Kind  string          `json:"kind"`
		Text  string          `json:"text"`
		Data  json.RawMessage `json:"data"`
		Hash  string          `json:"hash"`
	}{e.Seq, FormatTime(e.At), e.Actor, e.Kind, e.Text, data, e.Hash})
}

// FormatTime formats t as stored: UTC with microseconds.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ParseTime parses a time written by FormatTime.
func ParseTime(s string) (time.Time, error) { return time.Parse(TimeFormat, s) }

// ChainHash is the hash of an event: SHA-256 over the previous event's hash and every field of this one,
// encoded as a JSON array so no two different events can encode alike.
func ChainHash(prev string, incident, seq int64, at, actor, kind, text, data string) string {
	b, _ := json.Marshal([]any{prev, incident, seq, at, actor, kind, text, data})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Seal fills in ev as the next event after (lastSeq, lastHash): its seq, its time (now when unset,
// microsecond precision), empty data as {}, and its hash. Every engine's AppendEvent calls it, so the chain
// is the same whichever engine wrote it.
func Seal(ev *Event, lastSeq int64, lastHash string) {
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	ev.At = ev.At.UTC().Truncate(time.Microsecond)
	if len(ev.Data) == 0 {
		ev.Data = json.RawMessage("{}")
	}
	ev.Seq, ev.PrevHash = lastSeq+1, lastHash
	ev.Hash = ChainHash(ev.PrevHash, ev.Incident, ev.Seq, FormatTime(ev.At), ev.Actor, ev.Kind, ev.Text, string(ev.Data))
}

// EventQuery selects events of one incident.
type EventQuery struct {
	Incident int64
	AfterSeq int64    // only events with seq > AfterSeq
	Limit    int      // at most this many (0: all)
	Newest   bool     // the newest Limit events (still returned oldest first)
	Kinds    []string // only these kinds (none: all)
	Seqs     []int64  // only these events (none: all)
}

// ActorCount is how many events one actor recorded in an incident.
type ActorCount struct {
	Actor string
	N     int
}
