package main

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func eventAt(t *testing.T, ev tlEvent) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, ev.At)
	if err != nil {
		t.Fatalf("event %d: at %q is not RFC 3339: %v", ev.Seq, ev.At, err)
	}
	return at
}

// The status lifecycle through the command line: the commander rule, forward jumps, one step back (recorded),
// two steps back refused with the allowed next states, closing refused without a published retrospective,
// and the milestones each step sets.
func TestE2ELifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.declare("api 500s", "--sev", "2")

	before := e.snapshot()
	stdout, stderr, code := e.fb("status", id, "identified")
	wantError(t, "leaving investigating without a commander", stdout, stderr, code, 2, "commander", "firebreak role "+id+" commander")
	if e.snapshot() != before {
		t.Fatalf("the refused status change wrote to the database")
	}

	e.ok("role", id, "commander", "alice")
	e.ok("role", id, "scribe", "alice") // a person can hold several roles
	e.ok("status", id, "identified")
	e.ok("status", id, "monitoring") // forward jump over mitigating
	out := e.ok("status", id, "mitigating")
	if !strings.Contains(out, "back") {
		t.Errorf("stepping back says %q, want it to say it went back", out)
	}
	// Two steps back from mitigating (to investigating) is refused, listing what is allowed.
	before = e.snapshot()
	stdout, stderr, code = e.fb("status", id, "investigating")
	wantError(t, "two steps back", stdout, stderr, code, 2, "monitoring", "resolved", "closed", "identified")
	e.ok("status", id, "monitoring")
	stdout, stderr, code = e.fb("status", id, "identified") // monitoring -> identified is two steps back
	wantError(t, "two steps back from monitoring", stdout, stderr, code, 2, "resolved, closed, mitigating")
	if e.snapshot() == before {
		t.Fatalf("the allowed move to monitoring was not recorded")
	}
	e.ok("status", id, "resolved")
	before = e.snapshot()
	stdout, stderr, code = e.fb("status", id, "closed")
	wantError(t, "closing without a published retrospective", stdout, stderr, code, 2, "retro")
	if e.snapshot() != before {
		t.Fatalf("the refused close wrote to the database")
	}
	// The commander can't be removed once past investigating.
	stdout, stderr, code = e.fb("role", id, "commander", "-")
	wantError(t, "unassigning the commander of a resolved incident", stdout, stderr, code, 2, "commander")

	evs := e.timeline(id)
	var kinds, texts []string
	for _, ev := range evs {
		kinds = append(kinds, ev.Kind)
		texts = append(texts, ev.Text)
	}
	wantKinds := []string{"declared", "role", "role", "status", "status", "status", "status", "status"}
	if !slices.Equal(kinds, wantKinds) {
		t.Fatalf("timeline kinds %q, want %q", kinds, wantKinds)
	}
	var back struct {
		From, To string
		Back     bool
	}
	if err := json.Unmarshal(evs[5].Data, &back); err != nil || back.From != "monitoring" || back.To != "mitigating" || !back.Back {
		t.Errorf("the step back is recorded as %s (%q), want from monitoring to mitigating, back", evs[5].Data, evs[5].Text)
	}

	s := e.show(id)
	if s.Status != "resolved" || s.Roles["commander"] != "alice" || s.Roles["scribe"] != "alice" || s.Severity != "SEV2" {
		t.Errorf("show: %+v", s)
	}
	// Milestones: detected at declare, acknowledged at the first commander, mitigated at the first move to
	// monitoring (not moved by the second), resolved at resolved.
	want := map[string]time.Time{
		"detected":     eventAt(t, evs[0]),
		"acknowledged": eventAt(t, evs[1]),
		"mitigated":    eventAt(t, evs[4]),
		"resolved":     eventAt(t, evs[7]),
	}
	for m, at := range want {
		if got, ok := s.Milestones[m]; !ok || !got.Equal(at) {
			t.Errorf("milestone %s = %v (set %v), want %v", m, got, ok, at)
		}
	}
	if _, ok := s.Milestones["impact_started"]; ok {
		t.Errorf("impact_started was set, but nothing set it")
	}
	if len(s.Milestones) != 4 {
		t.Errorf("milestones %v", s.Milestones)
	}
	if stdout, stderr, code := e.fb("audit", "verify", id); code != 0 {
		t.Errorf("audit verify after the lifecycle: exit %d %s %s", code, stdout, stderr)
	}
}

// Acknowledged is set by the first commander only; a handover does not move it.
func TestE2EAcknowledgedAtFirstCommander(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.declare("disk full")
	e.ok("role", id, "ops", "bob") // not the commander: no acknowledgement
	if _, ok := e.show(id).Milestones["acknowledged"]; ok {
		t.Fatalf("acknowledged set by an operations role")
	}
	e.ok("role", id, "ic", "carol")
	e.ok("role", id, "commander", "dave")
	evs := e.timeline(id)
	s := e.show(id)
	if got := s.Milestones["acknowledged"]; !got.Equal(eventAt(t, evs[2])) {
		t.Errorf("acknowledged %v, want the first commander's time %v", got, evs[2].At)
	}
	if s.Roles["commander"] != "dave" || s.Roles["operations"] != "bob" {
		t.Errorf("roles %v", s.Roles)
	}
	if !strings.Contains(evs[3].Text, "dave") || !strings.Contains(evs[3].Text, "carol") {
		t.Errorf("handover recorded as %q, want both names", evs[3].Text)
	}
}

// A milestone correction is a new event; the event that set the old time is still there, unchanged.
func TestE2EMilestoneCorrection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.declare("latency")
	orig := e.timeline(id)
	detected := e.show(id).Milestones["detected"]

	earlier := time.Now().Add(-90 * time.Minute).UTC().Truncate(time.Second)
	out := e.ok("milestone", id, "detected", earlier.Format(time.RFC3339), "--reason", "the alert fired earlier")
	if !strings.Contains(out, "event 2") {
		t.Errorf("milestone said %q", out)
	}
	impact := earlier.Add(-10 * time.Minute)
	e.ok("milestone", "--reason", "first customer report", id, "impact-started", impact.Format(time.RFC3339))

	evs := e.timeline(id)
	if len(evs) != 3 {
		t.Fatalf("%d events, want 3", len(evs))
	}
	if evs[0].Hash != orig[0].Hash || evs[0].At != orig[0].At || evs[0].Text != orig[0].Text || string(evs[0].Data) != string(orig[0].Data) {
		t.Errorf("the declared event changed: %+v -> %+v", orig[0], evs[0])
	}
	var d struct {
		Milestone, At, Previous, Reason string
		Correction                      bool
	}
	if err := json.Unmarshal(evs[1].Data, &d); err != nil {
		t.Fatal(err)
	}
	prev, _ := time.Parse(time.RFC3339Nano, d.Previous)
	at, _ := time.Parse(time.RFC3339Nano, d.At)
	if evs[1].Kind != "milestone" || d.Milestone != "detected" || !d.Correction || !prev.Equal(detected) || !at.Equal(earlier) ||
		d.Reason != "the alert fired earlier" {
		t.Errorf("the correction is recorded as %s %s, want detected corrected from %v to %v with the reason", evs[1].Kind, evs[1].Data, detected, earlier)
	}
	if !strings.Contains(evs[1].Text, "the alert fired earlier") {
		t.Errorf("correction text %q lacks the reason", evs[1].Text)
	}
	s := e.show(id)
	if !s.Milestones["detected"].Equal(earlier) || !s.Milestones["impact_started"].Equal(impact) {
		t.Errorf("milestones %v, want detected %v and impact_started %v", s.Milestones, earlier, impact)
	}
	// Setting the same time again changes nothing.
	if stdout, stderr, code := e.fb("milestone", id, "detected", earlier.Format(time.RFC3339)); code != 0 || stdout != "" || !strings.Contains(stderr, "nothing to change") {
		t.Errorf("repeating the correction: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	if n := len(e.timeline(id)); n != 3 {
		t.Errorf("repeating the correction added an event (%d events)", n)
	}
	e.ok("audit", "verify", id)
}

var (
	rfc3339UTC = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`)
	hexHash    = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// timeline --json is JSON Lines with exactly the contract's keys, seq 1..n, UTC RFC 3339 times.
func TestE2ETimelineJSONLines(t *testing.T) {
	t.Parallel()
	e := newEnv(t).with("TZ", "America/New_York") // local time must not leak into the timeline
	id := e.declare("search is empty", "--sev", "1", "--drill")
	e.ok("note", id, "line one\nline two ✓ \"quoted\"")
	e.ok("note", id, "several", "words", "joined")
	e.ok("role", id, "commander", "alice")
	e.ok("star", id, "2")
	e.ok("star", id, "#3")
	e.ok("star", id, "3", "--off")
	e.ok("sev", id, "sev2")
	e.ok("hide", id, "3", "--reason", "duplicate")

	for _, args := range [][]string{{"timeline", id, "--json"}, {"timeline", "--json", strings.ToLower(id)}, {"timeline", strings.TrimPrefix(id, "INC-"), "--json"}} {
		out := e.ok(args...)
		if !strings.HasSuffix(out, "}\n") || strings.Contains(out, "\n\n") {
			t.Fatalf("%q: not one JSON object per line: %q", args, out)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 9 {
			t.Fatalf("%q: %d lines, want 9", args, len(lines))
		}
		var prevAt time.Time
		for i, line := range lines {
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("line %d: %v: %s", i+1, err, line)
			}
			var keys []string
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if want := []string{"actor", "at", "data", "hash", "kind", "seq", "text"}; !slices.Equal(keys, want) {
				t.Errorf("line %d keys %q, want %q", i+1, keys, want)
			}
			var ev tlEvent
			json.Unmarshal([]byte(line), &ev)
			if ev.Seq != int64(i+1) {
				t.Errorf("line %d has seq %d", i+1, ev.Seq)
			}
			if !rfc3339UTC.MatchString(ev.At) {
				t.Errorf("seq %d: at %q is not UTC RFC 3339", ev.Seq, ev.At)
			}
			at := eventAt(t, ev)
			if at.Before(prevAt) || time.Since(at) > time.Minute || time.Until(at) > time.Second {
				t.Errorf("seq %d: at %v is out of order or not now", ev.Seq, at)
			}
			prevAt = at
			if !hexHash.MatchString(ev.Hash) {
				t.Errorf("seq %d: hash %q", ev.Seq, ev.Hash)
			}
			if len(ev.Data) == 0 || ev.Data[0] != '{' {
				t.Errorf("seq %d: data %s is not an object", ev.Seq, ev.Data)
			}
			if ev.Actor != osUser(t) || ev.Kind == "" || ev.Text == "" {
				t.Errorf("seq %d: %+v", ev.Seq, ev)
			}
		}
	}
	evs := e.timeline(id)
	if evs[1].Text != "line one\nline two ✓ \"quoted\"" || evs[2].Text != "several words joined" {
		t.Errorf("note texts %q, %q", evs[1].Text, evs[2].Text)
	}
	wantKinds := []string{"declared", "note", "note", "role", "star", "star", "star", "severity", "hide"}
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, ev.Kind)
	}
	if !slices.Equal(kinds, wantKinds) {
		t.Errorf("kinds %q, want %q", kinds, wantKinds)
	}
	hashes := map[string]bool{}
	for _, ev := range evs {
		hashes[ev.Hash] = true
	}
	if len(hashes) != len(evs) {
		t.Errorf("hashes are not distinct")
	}
	s := e.show(id)
	if !slices.Equal(s.Starred, []int64{2}) || s.Severity != "SEV2" || !s.Drill || s.Events != 9 {
		t.Errorf("show --json: %+v", s)
	}
	// The human timeline shows the same events, one per line, the star and the hidden mark.
	human := strings.Split(strings.TrimSuffix(e.ok("timeline", id), "\n"), "\n")
	if len(human) != 9 || !strings.Contains(human[1], "*") || !strings.Contains(human[2], "hidden: duplicate") {
		t.Errorf("human timeline:\n%s", strings.Join(human, "\n"))
	}
}

// list hides resolved incidents; --all shows them. list --json and show --json parse.
func TestE2EListOpenAndAll(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if out := e.ok("list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("list --json of an empty database: %q, want []", out)
	}
	a := e.declare("open one", "--sev", "1")
	b := e.declare("resolved one", "--drill")
	c := e.declare("monitoring one")
	for _, id := range []string{b, c} {
		e.ok("role", id, "commander", "zoe")
	}
	e.ok("status", b, "resolved")
	e.ok("status", c, "monitoring")

	ids := func(l []listItem) []string {
		var out []string
		for _, it := range l {
			out = append(out, it.ID)
		}
		slices.Sort(out)
		return out
	}
	if got := ids(e.list()); !slices.Equal(got, []string{a, c}) {
		t.Errorf("list shows %q, want the open ones %q", got, []string{a, c})
	}
	all := e.list("--all")
	if got := ids(all); !slices.Equal(got, []string{a, b, c}) {
		t.Errorf("list --all shows %q, want %q", got, []string{a, b, c})
	}
	for _, it := range all {
		if it.ID == b && (it.Status != "resolved" || !it.Drill || it.Commander != "zoe" || it.Title != "resolved one") {
			t.Errorf("list --all entry %+v", it)
		}
	}
	human := e.ok("list")
	if strings.Contains(human, b+" ") || !strings.Contains(human, a) || !strings.Contains(human, c) {
		t.Errorf("list:\n%s", human)
	}
	if human := e.ok("list", "--all"); !strings.Contains(human, b) || !strings.Contains(human, "[DRILL]") {
		t.Errorf("list --all:\n%s", human)
	}
	if s := e.show(b); s.Status != "resolved" || s.ID != b {
		t.Errorf("show %s: %+v", b, s)
	}
}

// timeline --follow in one process shows what another process writes, promptly (the SPEC's consoles see
// each other's changes within half a second; the follower polls every 200ms).
func TestE2ETimelineFollowSeesOtherProcesses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.declare("live")
	f := e.startFollow(id, "077")
	for i, text := range []string{"from another terminal", "and another"} {
		start := time.Now()
		e.ok("note", id, text, "--as", "bob")
		select {
		case line := <-f.lines:
			evs := parseTimeline(t, line)
			if len(evs) != 1 || evs[0].Seq != int64(i+2) || evs[0].Text != text || !strings.HasSuffix(evs[0].Actor, " as bob") {
				t.Errorf("follower printed %q, want the note %q as event %d", line, text, i+2)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("the follower took %v to show a note", d)
			} else {
				t.Logf("follower saw the note after %v", d)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the follower did not show %q", text)
		}
	}
	f.stop(t)
	select {
	case line := <-f.lines:
		t.Errorf("the follower printed more than the two notes: %q", line)
	default:
	}
}
