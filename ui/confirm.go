package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/ui/styles"
)

// confirmKeys are the keys of a confirmation.
type confirmKeys struct{ Yes, No key.Binding }

func newConfirmKeys() confirmKeys {
	return confirmKeys{
		Yes: key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:  key.NewBinding(key.WithKeys("n", "N", "esc", "q"), key.WithHelp("n/esc", "no")),
	}
}

// confirm asks a yes/no question before a dangerous action. Only y says yes: enter does not, so a key
// pressed out of habit never confirms.
type confirm struct {
	st       *styles.Styles
	keys     confirmKeys
	question string
	body     []string // shown above the question (what is being confirmed), its end kept when short of room
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
		if len(body) > room { // keep the head (what runs) and the end (the results so far)
			head := room / 2
			body = append(append(append([]string{}, body[:head]...), c.st.Subtle.Render(fmt.Sprintf("  … %d lines", len(c.body)-room+1))),
				body[len(body)-(room-head-1):]...)
		}
		ask = strings.Join(body, "\n") + "\n" + ask
	}
	return fit(ask, w, h)
}

func (c *confirm) ShortHelp() []key.Binding  { return []key.Binding{c.keys.Yes, c.keys.No} }
func (c *confirm) FullHelp() [][]key.Binding { return [][]key.Binding{c.ShortHelp()} }
