package rollout

import (
	"fmt"
	"strings"
	"testing"

	"github.com/firebreak/firebreak/store"
)

// TestBriefSummarisesThousands: a brief after wide stages names the next hosts as ranges and shows the
// hosts that went wrong, then counts the rest, instead of 10,000 lines.
func TestBriefSummarisesThousands(t *testing.T) {
	b := &Brief{Run: store.RunRow{ID: 3, Title: "restart nginx", Stages: 3}, PlanHash: "0123456789abcdef", NextStage: 3,
		Script: Script{Main: "systemctl restart nginx"}, DryRun: "identical to the dry run RUN-2"}
	for i := 1; i <= 5000; i++ {
		h := store.RunHost{Host: fmt.Sprintf("host%05d", i), Stage: min(i, 2), State: string(Changed), OutputTail: "restarted\n"}
		if i%1000 == 7 {
			h.State, h.ExitCode, h.OutputTail = string(Failed), 1, "nginx: [emerg] bind() failed\n"
		}
		b.Done = append(b.Done, h)
	}
	for i := 5001; i <= 10000; i++ {
		b.NextHosts = append(b.NextHosts, fmt.Sprintf("host%05d", i))
	}
	lines := b.Lines()
	text := strings.Join(lines, "\n")
	if len(lines) > 80 {
		t.Fatalf("%d lines:\n%s", len(lines), text)
	}
	for _, want := range []string{
		"Next: stage 3/3 on 5000 hosts: host05001–host10000",
		"host00007", "host04007", "bind() failed",
		"and 4,980 more: 4,980 changed",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in the brief:\n%s", want, text)
		}
	}
}

// TestBriefShowsAFewWhole: a canary and a few hosts show whole, as before.
func TestBriefShowsAFewWhole(t *testing.T) {
	b := &Brief{Run: store.RunRow{ID: 3, Stages: 2}, NextStage: 2, NextHosts: []string{"web2", "web3"},
		Done: []store.RunHost{{Host: "web1", Stage: 1, State: string(OK), OutputTail: "done\n"}}}
	text := strings.Join(b.Lines(), "\n")
	if !strings.Contains(text, "on 2 hosts: web2, web3") || !strings.Contains(text, "web1") || strings.Contains(text, "more") {
		t.Fatalf("brief:\n%s", text)
	}
}
