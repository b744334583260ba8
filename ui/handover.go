package ui

import (
	"context"
	"strings"

	"github.com/firebreak/firebreak/incident/handover"
)

// newHandoverScreen is the shift handover: the report `firebreak handover` prints, read again whenever
// anyone changes anything, with its headings in bold.
func newHandoverScreen(c *common) *reportScreen {
	return newReportScreen(c, "handover", true, func(ctx context.Context) (func(w int) []string, error) {
		rep, err := handover.Build(ctx, c.d.DB, c.now())
		if err != nil {
			return nil, err
		}
		var b strings.Builder
		if err := handover.Text(&b, rep); err != nil {
			return nil, err
		}
		lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
		return func(int) []string {
			out := make([]string, len(lines))
			for i, l := range lines {
				switch {
				case strings.HasPrefix(l, "**OFF-SWITCH"):
					out[i] = c.st.Error.Render(l)
				case strings.HasPrefix(l, "#"):
					out[i] = c.st.Bold.Render(l)
				default:
					out[i] = l
				}
			}
			return out
		}, nil
	})
}
