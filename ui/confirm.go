package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/ui/styles"
)

// confirmKeys are the keys of a confirmation.
type confirmKeys struct{ Yes, No, Up, Down key.Binding }

func newConfirmKeys() confirmKeys {
	return confirmKeys{
		Yes:  key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:   key.NewBinding(key.WithKeys("n", "N", "esc", "q"), key.WithHelp("n/esc", "no")),
		Up:   key.NewBinding(key.WithKeys("up", "k", "pgup"), key.WithHelp("↑/pgup", "scroll")),
		Down: key.NewBinding(key.WithKeys("down", "j", "pgdown", " "), key.WithHelp("↓/pgdn", "scroll")),
	}
}

// confirm asks a yes/no question before a dangerous action. Only y says yes: enter does not, so a key
// pressed out of habit never confirms.
type confirm struct {
	st       *styles.Styles
	keys     confirmKeys
	question string
	body     []string // shown above the question (what is being confirmed), scrolled when short of room
	offset   int      // the first body line shown
	room     int      // body lines shown at the last View
	yes      tea.Cmd
}

// newBriefConfirm asks a question below the lines that say what is being confirmed.
func newBriefConfirm(st *styles.Styles, body []string, question string, yes tea.Cmd) *confirm {
	c := newConfirm(st, question, yes)
	c.body = body
	return c
}

func newConfirm(st *styles.Styles, question string, yes tea.Cmd) *confirm {
	return &confirm{st: st, keys: newConfirmKeys(), question: question, yes: yes}
}

func (c *confirm) Typing() bool { return true }

func (c *confirm) Update(msg tea.Msg) (bool, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok {
		switch {
		case key.Matches(k, c.keys.Yes):
			return true, c.yes
		case key.Matches(k, c.keys.No):
			return true, nil
		case len(c.body) > 0 && key.Matches(k, c.keys.Up):
			c.offset = max(0, c.offset-c.step(k))
		case len(c.body) > 0 && key.Matches(k, c.keys.Down):
			c.offset = max(0, min(len(c.body)-c.room, c.offset+c.step(k)))
		}
	}
	return false, nil
}

func (c *confirm) Height(avail int) int { return min(avail, 2+len(c.body)) }

func (c *confirm) View(w, h int) string {
	ask := c.st.Warn.Render(c.question) + "\n" + c.st.Bold.Render("y") + c.st.Subtle.Render(" yes   ") +
		c.st.Bold.Render("n") + c.st.Subtle.Render(" no")
	if room := h - 2; room > 0 && len(c.body) > 0 {
		body := c.body
		if len(body) > room { // scrolled: ↑/↓ move through it, the last line says where
			c.room = room - 1
			c.offset = max(0, min(c.offset, len(body)-c.room))
			end := min(len(body), c.offset+c.room)
			body = append(append([]string{}, body[c.offset:end]...),
				c.st.Subtle.Render(fmt.Sprintf("  lines %d–%d of %d · ↑/↓ scroll", c.offset+1, end, len(c.body))))
		} else {
			c.room = len(body)
		}
		ask = strings.Join(body, "\n") + "\n" + ask
	}
	return fit(ask, w, h)
}

// step is how far a scroll key moves: a page for pgup/pgdn/space, else a line.
func (c *confirm) step(k tea.KeyMsg) int {
	switch k.String() {
	case "pgup", "pgdown", " ":
		return max(1, c.room-1)
	}
	return 1
}

func (c *confirm) ShortHelp() []key.Binding {
	if len(c.body) > c.room {
		return []key.Binding{c.keys.Yes, c.keys.No, c.keys.Down}
	}
	return []key.Binding{c.keys.Yes, c.keys.No}
}
func (c *confirm) FullHelp() [][]key.Binding { return [][]key.Binding{c.ShortHelp()} }
