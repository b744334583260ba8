package ui

import (
	"context"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/incident/stats"
)

// statsWindows are the windows w cycles through, the default first: what `firebreak stats --since` takes.
var statsWindows = []string{"90d", "30d", "180d", "365d"}

// statsScreen is the trends across incidents, drawn as `firebreak stats` draws them with the pieces of
// the charts coloured. It reads them when it opens, on r, and on w (another window): building them reads
// every incident, so it does not follow every change.
type statsScreen struct {
	*reportScreen
	window int
	cycle  key.Binding
}

func newStatsScreen(c *common) *statsScreen {
	s := &statsScreen{cycle: key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "window: 90d, 30d, 180d, 365d"))}
	s.reportScreen = newReportScreen(c, "trends, last "+statsWindows[0], false, func(ctx context.Context) (func(w int) []string, error) {
		now := c.now()
		since, err := stats.ParseSince(statsWindows[s.window], now)
		if err != nil {
			return nil, err
		}
		rep, err := stats.Build(ctx, c.d.DB, since, now)
		if err != nil {
			return nil, err
		}
		paint := statsPainter(c)
		return func(w int) []string { return stats.Lines(rep, w, paint) }, nil
	})
	return s
}

func (s *statsScreen) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyMsg); ok && key.Matches(k, s.cycle) {
		s.window = (s.window + 1) % len(statsWindows)
		s.title = "trends, last " + statsWindows[s.window]
		return s.read()
	}
	return s.reportScreen.Update(msg)
}

func (s *statsScreen) ShortHelp() []key.Binding { return append(s.reportScreen.ShortHelp(), s.cycle) }

func (s *statsScreen) FullHelp() [][]key.Binding {
	return append(s.reportScreen.FullHelp(), []key.Binding{s.cycle})
}

// statsPainter colours the charts with the console's styles: severities as the incident list shows them
// (without colour, the bars' runes still tell them apart).
func statsPainter(c *common) stats.Painter {
	st := c.st
	return func(p stats.Part, s string) string {
		switch p {
		case stats.Heading:
			return st.Bold.Render(s)
		case stats.Subtle:
			return st.Subtle.Render(s)
		case stats.Sev1:
			return st.Error.Render(s)
		case stats.Sev2:
			return st.Severity[2].Render(s)
		case stats.Sev3:
			return st.Warn.Render(s)
		case stats.Sev4:
			return st.Subtle.Render(s)
		case stats.Bars:
			return st.Title.UnsetBold().Render(s)
		case stats.Spark:
			return st.OK.Render(s)
		case stats.Warn:
			return st.Warn.Render(s)
		}
		return s
	}
}
