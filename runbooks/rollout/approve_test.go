package rollout

import (
	"strings"
	"testing"

	"github.com/firebreak/firebreak/store"
)

// TestCheckApproval is the two-person rule's judgement of one approval: another person, for the plan the
// run has, and with distinct_os_users another OS account.
func TestCheckApproval(t *testing.T) {
	run := store.RunRow{ID: 3, StartedBy: "root as alice", PlanHash: "aaaa", Status: StatusWaiting, WaitingFor: "approval"}
	for _, c := range []struct {
		name     string
		distinct bool
		actor    string
		plan     string
		refused  string // "" when it counts
	}{
		{"another person on the shared account", false, "root as bob", "aaaa", ""},
		{"the starter", false, "root as alice", "aaaa", "cannot approve it too"},
		{"the starter under another account", false, "alice", "aaaa", "cannot approve it too"},
		{"a changed plan", false, "root as bob", "bbbb", "look at it again"},
		{"the same account with distinct_os_users", true, "root as bob", "aaaa", "another account"},
		{"another account with distinct_os_users", true, "bob", "aaaa", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := checkApproval(Policy{DistinctOSUsers: c.distinct}, run,
				store.Approval{Run: 3, Person: PersonOf(c.actor), Actor: c.actor, PlanHash: c.plan})
			switch {
			case c.refused == "" && err != nil:
				t.Errorf("refused: %v", err)
			case c.refused != "" && (err == nil || !strings.Contains(err.Error(), c.refused)):
				t.Errorf("got %v, want a refusal saying %q", err, c.refused)
			}
		})
	}
	// Served over SSH, people are proven by their keys: the same key never approves its own run, whatever
	// name the keys file gives it now, and another key with the starter's name is the starter too.
	keyRun := store.RunRow{ID: 5, StartedBy: "key SHA256:AAAA as alice", PlanHash: "aaaa", Status: StatusWaiting, WaitingFor: "approval"}
	for _, c := range []struct {
		name    string
		actor   string
		refused string
	}{
		{"another key, another person", "key SHA256:BBBB as bob", ""},
		{"the starter's key renamed in the keys file", "key SHA256:AAAA as bob", "cannot approve it too"},
		{"another key with the starter's name", "key SHA256:BBBB as alice", "cannot approve it too"},
		{"the starter's name on a shell account", "root as alice", "cannot approve it too"},
		{"another person on a shell account", "root as bob", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := checkApproval(Policy{}, keyRun, store.Approval{Run: 5, Person: PersonOf(c.actor), Actor: c.actor, PlanHash: "aaaa"})
			switch {
			case c.refused == "" && err != nil:
				t.Errorf("refused: %v", err)
			case c.refused != "" && (err == nil || !strings.Contains(err.Error(), c.refused)):
				t.Errorf("got %v, want a refusal saying %q", err, c.refused)
			}
		})
	}
	if err := MayApprove(Policy{}, store.RunRow{ID: 4, Status: StatusRunning, StartedBy: "root as alice"}, "root as bob"); err == nil {
		t.Error("a running run offered for approval")
	}
}
