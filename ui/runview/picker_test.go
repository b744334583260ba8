package runview

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/runbooks/inventory"
)

func TestPickerShowsStepDefaultsAndTargets(t *testing.T) {
	e := newEnv(t, 3, "")
	m := e.model(Target{Runbook: "restart-web", Step: "restart"})
	runSync(m, m.Init())
	if got := m.pick.pattern.Value(); got != "web" {
		t.Fatalf("pattern = %q, want the step's targets web", got)
	}
	v := ansi.Strip(m.View())
	for _, want := range []string{"restart-web/restart", "DRY RUN", "3 of 3 matched hosts selected", "[x] web1", "[x] web3",
		"step: 1,2,100%", "step: 5", "step: 10%", "step: 2m0s"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
}

func TestPickerPatternTypingUpdatesMatches(t *testing.T) {
	e := newEnv(t, 3, "")
	m := e.model(Target{Command: "echo hi", AdHoc: true})
	runSync(m, m.Init())
	m.Update(press("enter")) // from the script to the hosts
	if m.phase != phasePick {
		t.Fatalf("phase %d, want the picker", m.phase)
	}
	typeText(m, "web")
	if got := strings.Join(m.pick.sel.Names(), ","); got != "web1,web2,web3" {
		t.Fatalf("web matches %q", got)
	}
	typeText(m, ":&eu")
	if got := strings.Join(m.pick.sel.Names(), ","); got != "web3" {
		t.Fatalf("web:&eu matches %q", got)
	}
	for range len(":&eu") {
		m.Update(press("backspace"))
	}
	typeText(m, ",db1,nosuch")
	v := ansi.Strip(m.View())
	if got := strings.Join(m.pick.sel.Names(), ","); got != "web1,web2,web3,db1" {
		t.Fatalf("web,db1,nosuch matches %q", got)
	}
	if !strings.Contains(v, `warning: "nosuch" matches no host or group`) {
		t.Errorf("no unmatched warning:\n%s", v)
	}
	if !strings.Contains(v, "4 of 4 matched hosts selected") || !strings.Contains(v, "inventory has 5") {
		t.Errorf("no count:\n%s", v)
	}
	// Groups of the matched hosts are listed before the hosts.
	for _, want := range []string{"[x] group db (1/1)", "[x] group eu (1/1)", "[x] group web (3/3)", "[x] db1"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
}

func TestPickerTogglesHostsAndGroups(t *testing.T) {
	e := newEnv(t, 3, "")
	m := e.model(Target{Command: "echo hi", AdHoc: true})
	runSync(m, m.Init())
	m.Update(press("enter"))
	typeText(m, "all")
	rows := m.pick.rows() // groups db, eu, web; then web1 web2 web3 db1 db2
	if len(rows) != 8 || rows[0].group != "db" || rows[2].group != "web" || rows[3].host.Name != "web1" {
		t.Fatalf("rows: %+v", rows)
	}
	m.Update(press("down")) // to the list
	if m.pick.focus != focusHosts || m.InputFocused() {
		t.Fatalf("focus %d, input focused %v", m.pick.focus, m.InputFocused())
	}
	m.Update(press("space")) // group db out
	if got := names(m.pick.selected()); got != "web1,web2,web3" {
		t.Fatalf("after db out: %s", got)
	}
	if got := m.pick.hostPattern(); got != "web1,web2,web3" {
		t.Fatalf("pattern %q", got)
	}
	m.Update(press("down"))
	m.Update(press("space")) // group eu: partly in (web3) -> all in (db2 too)
	if got := names(m.pick.selected()); got != "web1,web2,web3,db2" {
		t.Fatalf("after eu in: %s", got)
	}
	m.Update(press("down"))
	m.Update(press("down")) // web1
	m.Update(press("space"))
	if got := names(m.pick.selected()); got != "web2,web3,db2" {
		t.Fatalf("after web1 out: %s", got)
	}
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "3 of 5 matched hosts selected") || !strings.Contains(v, "[-] group web (2/3)") || !strings.Contains(v, "[ ] web1") {
		t.Errorf("view:\n%s", v)
	}
	m.Update(press("ctrl+d"))
	if m.pick.dry || !strings.Contains(ansi.Strip(m.View()), "REAL RUN") {
		t.Errorf("ctrl+d did not switch to a real run")
	}
	// Typing in the list goes back to the pattern, and a new pattern selects all its matches again.
	typeText(m, "x")
	if m.pick.focus != focusPattern || m.pick.pattern.Value() != "allx" {
		t.Errorf("focus %d pattern %q", m.pick.focus, m.pick.pattern.Value())
	}
}

func names(hs []*inventory.Host) string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Name
	}
	return strings.Join(out, ",")
}

func TestPickerResizeKeepsLinesInside(t *testing.T) {
	e := newEnv(t, 3, "")
	m := e.model(Target{Runbook: "restart-web", Step: "restart"})
	runSync(m, m.Init())
	for _, sz := range [][2]int{{80, 24}, {40, 10}, {20, 5}, {1, 1}, {80, 24}} {
		m.SetSize(sz[0], sz[1])
		checkFits(t, m.View(), sz[0], sz[1])
	}
}
