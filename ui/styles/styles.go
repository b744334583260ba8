// Package styles is the console's one place for colours and text styles: a struct of lipgloss styles built
// once from the terminal's capabilities (NO_COLOR, light or dark background). Views never use colour
// literals of their own.
package styles

import (
	"os"

	"github.com/charmbracelet/lipgloss"
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
	// empty, and the view picks "dark" or "light" by the terminal's background.
	Markdown string
}

// New builds the styles. Colours adapt to light and dark backgrounds; with NO_COLOR set (or a terminal
// without colour) only bold, reverse and underline remain.
func New() *Styles {
	noColor := os.Getenv("NO_COLOR") != ""
	c := func(light, dark string) lipgloss.TerminalColor {
		if noColor {
			return lipgloss.NoColor{}
		}
		return lipgloss.AdaptiveColor{Light: light, Dark: dark}
	}
	red, amber, green, blue, grey := c("#B00020", "#FF5F5F"), c("#9A6700", "#FFAF00"), c("#1A7F37", "#5FD75F"), c("#0550AE", "#5FAFFF"), c("#6E7781", "#8A8A8A")
	s := &Styles{
		Title:       lipgloss.NewStyle().Bold(true).Foreground(blue),
		Subtle:      lipgloss.NewStyle().Foreground(grey),
		Bold:        lipgloss.NewStyle().Bold(true),
		Help:        lipgloss.NewStyle().Foreground(grey),
		HelpKey:     lipgloss.NewStyle().Bold(true),
		Border:      lipgloss.NewStyle().Foreground(grey),
		Selected:    lipgloss.NewStyle().Reverse(true),
		Error:       lipgloss.NewStyle().Bold(true).Foreground(red),
		Warn:        lipgloss.NewStyle().Foreground(amber),
		OK:          lipgloss.NewStyle().Foreground(green),
		Banner:      lipgloss.NewStyle().Bold(true).Reverse(true).Foreground(red),
		BannerWarn:  lipgloss.NewStyle().Bold(true).Reverse(true).Foreground(amber),
		Pane:        lipgloss.NewStyle().Border(lipgloss.NormalBorder()).BorderForeground(grey),
		PaneFocused: lipgloss.NewStyle().Border(lipgloss.ThickBorder()).BorderForeground(blue),
		Tab:         lipgloss.NewStyle().Foreground(grey),
		TabActive:   lipgloss.NewStyle().Bold(true).Underline(true).Foreground(blue),
		Header:      lipgloss.NewStyle().Bold(true),
		Prompt:      lipgloss.NewStyle().Bold(true).Foreground(blue),
		Cursor:      lipgloss.NewStyle().Reverse(true),
	}
	if noColor {
		s.Markdown = "notty"
	}
	s.Severity = [5]lipgloss.Style{lipgloss.NewStyle(),
		lipgloss.NewStyle().Bold(true).Reverse(true).Foreground(red), lipgloss.NewStyle().Bold(true).Foreground(red),
		lipgloss.NewStyle().Foreground(amber), lipgloss.NewStyle().Foreground(grey)}
	s.HostState = map[string]lipgloss.Style{
		"pending": s.Subtle, "running": lipgloss.NewStyle().Foreground(blue), "ok": s.OK, "changed": s.OK.Bold(true),
		"skipped": s.Subtle, "rolled_back": s.Warn, "failed": s.Error, "timed_out": s.Error, "unreachable": s.Error,
		"cancelled": s.Warn, "unknown": s.Warn,
	}
	return s
}
