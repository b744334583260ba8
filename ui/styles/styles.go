// Package styles is the console's one place for colours and text styles: a struct of lipgloss styles built
// once from the terminal's capabilities (NO_COLOR, light or dark background). Views never use colour
// literals of their own.
package styles

import (
	"os"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Styles are every style the console uses.
type Styles struct {
	Title, Subtle, Bold, Help, HelpKey, Border, Selected, Error, Warn, OK, Banner, BannerWarn lipgloss.Style
	Severity                                                                                  [5]lipgloss.Style // by severity 1..4
	HostState                                                                                 map[string]lipgloss.Style
	Pane, PaneFocused                                                                         lipgloss.Style
	// Tab and TabActive are the cockpit's pane tabs; Header is the cockpit's header line; Prompt is the label
	// of a text field; Cursor is the text cursor in a field.
	Tab, TabActive, Header, Prompt, Cursor lipgloss.Style
	// Markdown is glamour's standard style for rendered Markdown: "notty" (no colour) with NO_COLOR, else
	// empty, and the view picks "dark" or "light" by the terminal's background; NewFor sets it from the
	// renderer's terminal.
	Markdown string
}

// New builds the styles. Colours adapt to light and dark backgrounds; with NO_COLOR set (or a terminal
// without colour) only bold, reverse and underline remain.
func New() *Styles { return build(lipgloss.NewStyle, os.Getenv("NO_COLOR") != "") }

// NewFor builds the styles for a terminal other than the process's own (a session served over SSH): r is
// that terminal's renderer (its colour profile and background), and noColor says whether its user set
// NO_COLOR.
func NewFor(r *lipgloss.Renderer, noColor bool) *Styles {
	s := build(r.NewStyle, noColor)
	switch {
	case noColor || r.ColorProfile() == termenv.Ascii:
		s.Markdown = "notty"
	case r.HasDarkBackground():
		s.Markdown = "dark"
	default:
		s.Markdown = "light"
	}
	return s
}

func build(newStyle func() lipgloss.Style, noColor bool) *Styles {
	c := func(light, dark string) lipgloss.TerminalColor {
		if noColor {
			return lipgloss.NoColor{}
		}
		return lipgloss.AdaptiveColor{Light: light, Dark: dark}
	}
	red, amber, green, blue, grey := c("#B00020", "#FF5F5F"), c("#9A6700", "#FFAF00"), c("#1A7F37", "#5FD75F"), c("#0550AE", "#5FAFFF"), c("#6E7781", "#8A8A8A")
	s := &Styles{
		Title:       newStyle().Bold(true).Foreground(blue),
		Subtle:      newStyle().Foreground(grey),
		Bold:        newStyle().Bold(true),
		Help:        newStyle().Foreground(grey),
		HelpKey:     newStyle().Bold(true),
		Border:      newStyle().Foreground(grey),
		Selected:    newStyle().Reverse(true),
		Error:       newStyle().Bold(true).Foreground(red),
		Warn:        newStyle().Foreground(amber),
		OK:          newStyle().Foreground(green),
		Banner:      newStyle().Bold(true).Reverse(true).Foreground(red),
		BannerWarn:  newStyle().Bold(true).Reverse(true).Foreground(amber),
		Pane:        newStyle().Border(lipgloss.NormalBorder()).BorderForeground(grey),
		PaneFocused: newStyle().Border(lipgloss.ThickBorder()).BorderForeground(blue),
		Tab:         newStyle().Foreground(grey),
		TabActive:   newStyle().Bold(true).Underline(true).Foreground(blue),
		Header:      newStyle().Bold(true),
		Prompt:      newStyle().Bold(true).Foreground(blue),
		Cursor:      newStyle().Reverse(true),
	}
	if noColor {
		s.Markdown = "notty"
	}
	s.Severity = [5]lipgloss.Style{newStyle(),
		newStyle().Bold(true).Reverse(true).Foreground(red), newStyle().Bold(true).Foreground(red),
		newStyle().Foreground(amber), newStyle().Foreground(grey)}
	s.HostState = map[string]lipgloss.Style{
		"pending": s.Subtle, "running": newStyle().Foreground(blue), "ok": s.OK, "changed": s.OK.Bold(true),
		"skipped": s.Subtle, "rolled_back": s.Warn, "failed": s.Error, "timed_out": s.Error, "unreachable": s.Error,
		"cancelled": s.Warn, "unknown": s.Warn,
	}
	return s
}
