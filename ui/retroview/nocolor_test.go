package retroview

import (
	"regexp"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// colour matches an SGR sequence that sets a foreground or background colour.
var colour = regexp.MustCompile(`\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7]|10[0-7])(;[0-9;]*)?m`)

// TestNoColor: with NO_COLOR, even on a true-colour terminal, no view sets a colour (bold, reverse and
// underline stay).
func TestNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	lipgloss.SetColorProfile(termenv.TrueColor)
	t.Cleanup(func() { lipgloss.SetColorProfile(termenv.Ascii) })
	e := newEnv(t)
	dr := newDriver(t, e, "alice", 80, 24)
	views := map[string]string{"list": dr.m.View()}
	dr.open("went-wrong")
	dr.typeText("The deploy was careless.", time.Millisecond)
	views["editor"] = dr.m.View()
	dr.keys("tab")
	views["preview"] = dr.m.View()
	dr.keys("p")
	views["document"] = dr.m.View()
	dr.keys("esc", "esc", "a")
	views["form"] = dr.m.View()
	for name, v := range views {
		if c := colour.FindString(v); c != "" {
			t.Errorf("%s view sets a colour with NO_COLOR: %q", name, c)
		}
	}
}
