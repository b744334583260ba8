package retro

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
)

// standIn writes a tracker stand-in: a shell script that counts its invocations in a file, keeps the
// request it read, and then does what body says (print a link, fail, hang, print garbage).
func standIn(t testing.TB, body string) (tracker Tracker, count func() int, request func() TicketRequest) {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(dir, "tracker.sh")
	calls := filepath.Join(dir, "calls")
	req := filepath.Join(dir, "request.json")
	text := "#!/bin/sh\necho x >> '" + calls + "'\ncat > '" + req + "'\n" + body + "\n"
	if err := os.WriteFile(script, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	count = func() int {
		b, _ := os.ReadFile(calls)
		return strings.Count(string(b), "x")
	}
	request = func() TicketRequest {
		var r TicketRequest
		b, err := os.ReadFile(req)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("the tracker read %q: %v", b, err)
		}
		return r
	}
	return Tracker{Command: []string{script}, Timeout: "5s"}, count, request
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// trackerIncident is an incident with two action items in a real SQLite file, at path.
func trackerIncident(t testing.TB) (*Service, int64, string, *clock) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "fb.db")
	c := &clock{t: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}
	rs := openRetro(t, path, "alice", c)
	inc, err := rs.Incidents.Declare(ctx, "Checkout down", incident.SEV2, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []Action{{Text: "alert on disk > 90%", Owner: "bob", Kind: "detect", Due: "2026-12-15"}, {Text: "rotate logs hourly"}} {
		if _, err := rs.SaveAction(ctx, inc.ID, a, false); err != nil {
			t.Fatal(err)
		}
	}
	return rs, inc.ID, path, c
}

func openRetro(t testing.TB, path, actor string, c *clock) *Service {
	db, err := engine.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	inc := &incident.Service{DB: db, Actor: incident.ParseActor(actor), Now: c.now}
	return &Service{Incidents: inc, Now: c.now}
}

func pushes(t testing.TB, rs *Service, id int64) []incident.TicketPushData {
	t.Helper()
	evs, err := rs.Incidents.DB.Events(context.Background(), store.EventQuery{Incident: id, Kinds: []string{incident.KindTicketPush}})
	if err != nil {
		t.Fatal(err)
	}
	var out []incident.TicketPushData
	for _, ev := range evs {
		var d incident.TicketPushData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func states(rs []PushResult) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.State)
	}
	return strings.Join(s, ",")
}

func TestPushCreatesTicketsOnceAndLinksThem(t *testing.T) {
	ctx := context.Background()
	rs, id, _, _ := trackerIncident(t)
	tr, count, request := standIn(t, `n=$(wc -l < "$(dirname "$0")/calls"); echo "https://tracker.example/OPS-$n"`)
	res, err := rs.Push(ctx, id, PushOptions{Tracker: tr})
	if err != nil {
		t.Fatal(err)
	}
	if states(res) != "created,created" || res[0].Ticket != "https://tracker.example/OPS-1" || res[1].Ticket != "https://tracker.example/OPS-2" {
		t.Fatalf("first push: %+v", res)
	}
	req := request()
	if req.Incident != "INC-1" || req.Item != 2 || req.Title != "rotate logs hourly" || !strings.Contains(req.Body, "Checkout down") {
		t.Errorf("the tracker read %+v", req)
	}
	r, err := rs.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Actions[0].Ticket != "https://tracker.example/OPS-1" || r.Actions[1].Ticket != "https://tracker.example/OPS-2" {
		t.Errorf("links on the items: %+v", r.Actions)
	}
	// A second push, of all or of one, creates nothing.
	again, err := rs.Push(ctx, id, PushOptions{Tracker: tr})
	if err != nil || states(again) != "has_ticket,has_ticket" {
		t.Errorf("second push: %+v, %v", again, err)
	}
	one, err := rs.Push(ctx, id, PushOptions{Tracker: tr, Item: 1, Retry: true})
	if err != nil || states(one) != "has_ticket" || one[0].Ticket != "https://tracker.example/OPS-1" {
		t.Errorf("push of item 1 with --retry: %+v, %v", one, err)
	}
	if n := count(); n != 2 {
		t.Errorf("the tracker ran %d times, want 2", n)
	}
	// Clearing the link by hand does not make the next push create a second ticket.
	a := r.Actions[0]
	a.Ticket = ""
	if _, err := rs.SaveAction(ctx, id, a, false); err != nil {
		t.Fatal(err)
	}
	cleared, err := rs.Push(ctx, id, PushOptions{Tracker: tr, Item: 1})
	if err != nil || states(cleared) != "has_ticket" || cleared[0].Ticket != "https://tracker.example/OPS-1" || count() != 2 {
		t.Errorf("push after the link was cleared: %+v, %v, %d calls", cleared, err, count())
	}
	// The timeline holds claim and outcome, and the action items still verify against it.
	ps := pushes(t, rs, id)
	if len(ps) != 4 || ps[0].State != incident.PushStarted || ps[1].State != incident.PushCreated || ps[0].Claim != ps[1].Claim || ps[0].Until == "" {
		t.Errorf("ticket_push events: %+v", ps)
	}
	if _, err := Verify(ctx, rs.Incidents.DB, id); err != nil {
		t.Errorf("verify: %v", err)
	}
}

func TestPushSkipsDoneItemsUnlessNamed(t *testing.T) {
	ctx := context.Background()
	rs, id, _, _ := trackerIncident(t)
	r, _ := rs.Load(ctx, id)
	a := r.Actions[1]
	a.Done = true
	if _, err := rs.SaveAction(ctx, id, a, false); err != nil {
		t.Fatal(err)
	}
	tr, count, _ := standIn(t, `echo OPS-7`)
	res, err := rs.Push(ctx, id, PushOptions{Tracker: tr})
	if err != nil || states(res) != "created,done" || count() != 1 {
		t.Fatalf("push all: %+v, %v, %d calls", res, err, count())
	}
	res, err = rs.Push(ctx, id, PushOptions{Tracker: tr, Item: 2})
	if err != nil || states(res) != "created" || res[0].Ticket != "OPS-7" {
		t.Fatalf("push of done item 2: %+v, %v", res, err)
	}
	if _, err := rs.Push(ctx, id, PushOptions{Tracker: tr, Item: 9}); err == nil || !strings.Contains(err.Error(), "no action item 9") {
		t.Errorf("push of a missing item: %v", err)
	}
	if _, err := rs.Push(ctx, id, PushOptions{}); err == nil || !strings.Contains(err.Error(), "[tracker]") {
		t.Errorf("push with no tracker: %v", err)
	}
}

func TestPushFailureIsRecordedAndRetried(t *testing.T) {
	ctx := context.Background()
	rs, id, _, _ := trackerIncident(t)
	tr, count, _ := standIn(t, `echo "gh: HTTP 401: Bad credentials (token s3cr3t-t0ken)" >&2; exit 1`)
	res, err := rs.Push(ctx, id, PushOptions{Tracker: tr, Item: 1, Secrets: []string{"s3cr3t-t0ken"}})
	if err != nil {
		t.Fatal(err)
	}
	if states(res) != "failed" || !strings.Contains(res[0].Error, "exit status 1: gh: HTTP 401") || res[0].OK() {
		t.Fatalf("failed push: %+v", res)
	}
	ps := pushes(t, rs, id)
	if len(ps) != 2 || ps[1].State != incident.PushFailed || !strings.Contains(ps[1].Error, "Bad credentials") {
		t.Fatalf("recorded: %+v", ps)
	}
	if strings.Contains(ps[1].Error, "s3cr3t") || !strings.Contains(ps[1].Error, "********") {
		t.Errorf("the secret reached the timeline: %q", ps[1].Error)
	}
	// A failed push is retried by the next push, without --retry.
	tr2, count2, _ := standIn(t, `echo OPS-3`)
	res, err = rs.Push(ctx, id, PushOptions{Tracker: tr2, Item: 1})
	if err != nil || states(res) != "created" || count() != 1 || count2() != 1 {
		t.Fatalf("retry after a failure: %+v, %v (%d, %d calls)", res, err, count(), count2())
	}
	// A command that is not there fails the same way.
	res, err = rs.Push(ctx, id, PushOptions{Tracker: Tracker{Command: []string{filepath.Join(t.TempDir(), "no-such-tracker")}}, Item: 2})
	if err != nil || states(res) != "failed" || !strings.Contains(res[0].Error, "no such file") {
		t.Errorf("missing command: %+v, %v", res, err)
	}
}

func TestPushHangIsKilledAndNotRepeated(t *testing.T) {
	ctx := context.Background()
	rs, id, _, _ := trackerIncident(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	tr, count, _ := standIn(t, `sleep 30 & echo $! > '`+pidFile+`'; wait`)
	tr.Timeout = "300ms"
	start := time.Now()
	res, err := rs.Push(ctx, id, PushOptions{Tracker: tr, Item: 1})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the push took %v with a 300ms timeout", took)
	}
	if states(res) != "unknown" || !strings.Contains(res[0].Error, "timed out after 300ms and was killed") {
		t.Fatalf("hung push: %+v", res)
	}
	// The sleep the tracker started is gone with its process group.
	b, _ := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 {
		t.Fatalf("no pid in %q", b)
	}
	deadline := time.Now().Add(3 * time.Second)
	for processAlive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if processAlive(pid) {
		t.Errorf("the tracker's child %d outlived the timeout", pid)
	}
	// Its outcome is unknown: the next push does not run it again, --retry does.
	res, err = rs.Push(ctx, id, PushOptions{Tracker: tr, Item: 1})
	if err != nil || states(res) != "unfinished" || !strings.Contains(res[0].Error, "timed out") || count() != 1 {
		t.Fatalf("push after a hang: %+v, %v, %d calls", res, err, count())
	}
	if msg := res[0].Message("INC-1"); !strings.Contains(msg, "--retry") {
		t.Errorf("message says nothing of --retry: %s", msg)
	}
	ok, count2, _ := standIn(t, `echo OPS-9`)
	res, err = rs.Push(ctx, id, PushOptions{Tracker: ok, Item: 1, Retry: true})
	if err != nil || states(res) != "created" || count2() != 1 {
		t.Fatalf("--retry: %+v, %v", res, err)
	}
	if ps := pushes(t, rs, id); !ps[len(ps)-2].Retry {
		t.Errorf("the retried claim is not marked: %+v", ps)
	}
}

func processAlive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// A zombie (state Z) is dead: it waits only for its parent to reap it.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

func TestPushRefusesGarbage(t *testing.T) {
	for name, body := range map[string]string{
		"empty":      `exit 0`,
		"blank":      `printf '  \n\n'`,
		"multi-line": `echo "Creating issue in acme/ops"; echo https://github.com/acme/ops/issues/4`,
		"huge":       `head -c 200000 /dev/zero | tr '\0' a`,
		"long line":  `head -c 600 /dev/zero | tr '\0' a; echo`,
		"control":    `printf 'OPS-1\033]0;pwned\007\n'`,
		"spaces":     `echo "issue created: OPS-1"`,
		"not utf-8":  `printf 'OPS-\377\n'`,
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			rs, id, _, _ := trackerIncident(t)
			tr, count, _ := standIn(t, body)
			res, err := rs.Push(ctx, id, PushOptions{Tracker: tr, Item: 1})
			if err != nil {
				t.Fatal(err)
			}
			if states(res) != "unknown" || res[0].Ticket != "" || !strings.Contains(res[0].Error, "URL or key") {
				t.Fatalf("%+v", res)
			}
			if strings.ContainsAny(res[0].Error, "\x1b\x07\n\r") {
				t.Errorf("the error carries control characters: %q", res[0].Error)
			}
			ps := pushes(t, rs, id)
			if len(ps) != 2 || ps[1].State != incident.PushUnknown || ps[1].Error != res[0].Error {
				t.Errorf("recorded: %+v", ps)
			}
			r, _ := rs.Load(ctx, id)
			if r.Actions[0].Ticket != "" {
				t.Errorf("garbage became a link: %q", r.Actions[0].Ticket)
			}
			// Exited 0: a ticket may exist, so the next push leaves it to a person.
			if res, _ := rs.Push(ctx, id, PushOptions{Tracker: tr, Item: 1}); states(res) != "unfinished" || count() != 1 {
				t.Errorf("second push: %+v, %d calls", res, count())
			}
		})
	}
}

// A claim whose process died blocks pushes until it lapses, then only --retry pushes the item.
func TestPushClaimOfADeadProcess(t *testing.T) {
	ctx := context.Background()
	rs, id, _, c := trackerIncident(t)
	err := rs.Incidents.DB.Write(ctx, func(tx store.Tx) error {
		d := incident.TicketPushData{Item: 1, Claim: "dead", State: incident.PushStarted, Until: store.FormatTime(c.now().Add(45 * time.Second)), PID: 1}
		return appendPush(ctx, tx, id, "bob", c.now(), d, "action item 1: pushing it to the tracker")
	})
	if err != nil {
		t.Fatal(err)
	}
	tr, count, _ := standIn(t, `echo OPS-1`)
	for _, retry := range []bool{false, true} {
		res, err := rs.Push(ctx, id, PushOptions{Tracker: tr, Item: 1, Retry: retry})
		if err != nil || states(res) != "in_progress" || res[0].By != "bob" || res[0].OK() {
			t.Fatalf("retry %v, while the claim is live: %+v, %v", retry, res, err)
		}
	}
	c.add(time.Minute)
	res, err := rs.Push(ctx, id, PushOptions{Tracker: tr, Item: 1})
	if err != nil || states(res) != "unfinished" || !strings.Contains(res[0].Error, "process stopped") {
		t.Fatalf("after the claim lapsed: %+v, %v", res, err)
	}
	if count() != 0 {
		t.Fatalf("the tracker ran %d times", count())
	}
	res, err = rs.Push(ctx, id, PushOptions{Tracker: tr, Item: 1, Retry: true})
	if err != nil || states(res) != "created" || count() != 1 {
		t.Fatalf("--retry after the claim lapsed: %+v, %v", res, err)
	}
}

// Two firebreaks pushing the same items at once (two connections to one SQLite file) run the tracker
// once per item.
func TestPushConcurrentNeverTwice(t *testing.T) {
	ctx := context.Background()
	_, id, path, c := trackerIncident(t)
	tr, count, _ := standIn(t, `sleep 0.3; echo "OPS-$$"`)
	const pushers = 4
	var wg sync.WaitGroup
	results := make([][]PushResult, pushers)
	errs := make([]error, pushers)
	for i := range pushers {
		rs := openRetro(t, path, []string{"alice", "bob", "carol", "dave"}[i], c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = rs.Push(ctx, id, PushOptions{Tracker: tr})
		}()
	}
	wg.Wait()
	created := 0
	for i := range pushers {
		if errs[i] != nil {
			t.Fatalf("pusher %d: %v", i, errs[i])
		}
		for _, r := range results[i] {
			switch r.State {
			case PushCreated:
				created++
			case PushInProgress, PushHasTicket:
			default:
				t.Errorf("pusher %d: %+v", i, r)
			}
		}
	}
	if created != 2 || count() != 2 {
		t.Errorf("%d tickets created, the tracker ran %d times; want 2 and 2", created, count())
	}
}

// FuzzParseLink: whatever a tracker prints, parseLink never panics, and what it accepts is one short line
// of printable text with no spaces, as it was printed (bar the trailing newline).
func FuzzParseLink(f *testing.F) {
	for _, s := range []string{"OPS-1\n", "https://github.com/acme/ops/issues/4\r\n", "", "a\nb", "OPS-1\x1b]0;x\x07", "\xff", "  OPS-2  \n",
		"OPS-\u202e1", strings.Repeat("a", 501)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		link, err := parseLink(out)
		if err != nil {
			if link != "" || strings.ContainsAny(err.Error(), "\x1b\x07\r\n") {
				t.Fatalf("refused %q with link %q and error %q", out, link, err)
			}
			return
		}
		if link == "" || !utf8.ValidString(link) || utf8.RuneCountInString(link) > maxLinkLen ||
			strings.ContainsFunc(link, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) ||
			!strings.Contains(string(out), link) {
			t.Fatalf("accepted %q from %q", link, out)
		}
	})
}

// A push cancelled while the tracker runs (ctrl-c) kills it and records an unknown outcome: it may have made
// the ticket already.
func TestPushCancelledIsUnknown(t *testing.T) {
	rs, id, _, _ := trackerIncident(t)
	tr, count, _ := standIn(t, `sleep 30`)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for count() == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	res, err := rs.Push(ctx, id, PushOptions{Tracker: tr, Item: 1})
	if err != nil || states(res) != "unknown" || !strings.Contains(res[0].Error, "cancelled") {
		t.Fatalf("%+v, %v", res, err)
	}
	if ps := pushes(t, rs, id); len(ps) != 2 || ps[1].State != incident.PushUnknown {
		t.Errorf("recorded %+v", ps)
	}
}

// A tracker that prints the link and exits, leaving a child that holds its stdout open, still created the
// ticket: the link is kept, the push does not wait for the child.
func TestPushTrackerLeavesAChildBehind(t *testing.T) {
	rs, id, _, _ := trackerIncident(t)
	pidFile := filepath.Join(t.TempDir(), "child")
	tr, _, _ := standIn(t, `echo OPS-5; sleep 5 & echo $! > '`+pidFile+`'`)
	t.Cleanup(func() {
		b, _ := os.ReadFile(pidFile)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	start := time.Now()
	res, err := rs.Push(context.Background(), id, PushOptions{Tracker: tr, Item: 1})
	if err != nil || states(res) != "created" || res[0].Ticket != "OPS-5" {
		t.Fatalf("%+v, %v", res, err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("the push waited %v for the child", took)
	}
}
