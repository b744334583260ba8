package styles

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// TestNewFor: the styles follow the renderer they are built for (a served session's terminal), not the
// process's own: its colour profile, its background, and NO_COLOR.
func TestNewFor(t *testing.T) {
	for _, c := range []struct {
		name     string
		profile  termenv.Profile
		dark     bool
		noColor  bool
		markdown string
		colour   bool // whether an error renders with a colour sequence
	}{
		{"a dark 256-colour terminal", termenv.ANSI256, true, false, "dark", true},
		{"a light truecolour terminal", termenv.TrueColor, false, false, "light", true},
		{"a terminal without colour", termenv.Ascii, true, false, "notty", false},
		{"NO_COLOR", termenv.TrueColor, true, true, "notty", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := lipgloss.NewRenderer(&bytes.Buffer{})
			r.SetColorProfile(c.profile)
			r.SetHasDarkBackground(c.dark)
			st := NewFor(r, c.noColor)
			if st.Markdown != c.markdown {
				t.Errorf("Markdown %q, want %q", st.Markdown, c.markdown)
			}
			out := st.Error.Render("x")
			if got := strings.Contains(out, "38;"); got != c.colour {
				t.Errorf("an error renders %q: colour %v, want %v", out, got, c.colour)
			}
			if c.profile == termenv.TrueColor && c.colour && !strings.Contains(out, "38;2;176;0;32") {
				t.Errorf("an error on a light background renders %q, want the light red #B00020", out)
			}
		})
	}
}
