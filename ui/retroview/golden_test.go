package retroview

import (
	"bytes"
	"context"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/firebreak/firebreak/incident/retro"
	"github.com/firebreak/firebreak/ui/styles"
)

// program is a minimal root: sizes flow down through SetSize, ctrl+c quits, everything else goes to the
// retrospective screen.
type program struct{ m *Model }

func (p program) Init() tea.Cmd { return p.m.Init() }
func (p program) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if s, ok := msg.(tea.WindowSizeMsg); ok {
		p.m.SetSize(s.Width, s.Height)
		return p, nil
	}
	if k, ok := msg.(tea.KeyMsg); ok && k.String() == "ctrl+c" {
		return p, tea.Quit
	}
	_, cmd := p.m.Update(msg)
	return p, cmd
}
func (p program) View() string { return p.m.View() }

// goldenModel is the screen of the fixed test incident on the fixed clock, autosave held back so the
// editor's state does not depend on timing.
func goldenModel(t *testing.T) (*env, *teatest.TestModel) {
	lipgloss.SetColorProfile(termenv.Ascii)
	e := newEnv(t)
	ctx := context.Background()
	alice := &retro.Service{Incidents: e.service("alice"), Now: e.clock.Now}
	bob := &retro.Service{Incidents: e.service("bob"), Now: e.clock.Now}
	for _, s := range []struct {
		svc        *retro.Service
		slug, text string
	}{
		{alice, "summary", "Checkout latency rose for 40 minutes after a cache flush."},
		{bob, "went-wrong", "The deploy was careless and nobody noticed for 20 minutes."},
		{alice, "trigger", "A cache flush."},
		{bob, "trigger", "The nightly cache flush job."}, // from the draft too: a conflict
	} {
		if _, err := s.svc.Save(ctx, e.inc.ID, s.slug, 0, s.text); err != nil {
			t.Fatal(err)
		}
	}
	m := New(e.deps("alice"), styles.New(), e.inc)
	m.debounce, m.maxWait = time.Hour, time.Hour
	tm := teatest.NewTestModel(t, program{m}, teatest.WithInitialTermSize(80, 24))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("Supporting information")) },
		teatest.WithDuration(5*time.Second))
	return e, tm
}

func finalView(t *testing.T, tm *teatest.TestModel) string {
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	return tm.FinalModel(t).View()
}

// TestGoldenSectionList: the header, the metrics, the sections with their state, an action item and the
// selected section's findings. Update with: go test ./ui/retroview/ -run Golden -update
func TestGoldenSectionList(t *testing.T) {
	_, tm := goldenModel(t)
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("a")})
	for _, r := range "Add jitter to cache TTLs" {
		tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("bob")})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("action item 1 added")) },
		teatest.WithDuration(5*time.Second))
	for range 8 {
		tm.Send(tea.KeyMsg{Type: tea.KeyDown})
	}
	golden.RequireEqual(t, []byte(finalView(t, tm)))
}

// TestGoldenEditor: a section's editor with a blaming sentence marked in the gutter and listed below.
func TestGoldenEditor(t *testing.T) {
	_, tm := goldenModel(t)
	for range 8 {
		tm.Send(tea.KeyMsg{Type: tea.KeyDown})
	}
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlU})
	for _, r := range "The cache flush went fine.\nBob should have checked the dashboard first." {
		if r == '\n' {
			tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
			continue
		}
		tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("blameless finding")) },
		teatest.WithDuration(5*time.Second))
	golden.RequireEqual(t, []byte(finalView(t, tm)))
}
