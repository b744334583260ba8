package runview

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/ui/styles"
)

type promptKind int

const (
	promptConfirm promptKind = iota // y/n
	promptTyped                     // type a word (the incident id) to confirm
	promptReason                    // type a reason
)

// prompt is a question at the foot of the screen. ok runs when it is answered yes (with the text typed).
type prompt struct {
	kind     promptKind
	question string
	want     string // promptTyped: what must be typed
	input    field
	ok       func(text string) tea.Cmd
	wrong    string
}

func (m *Model) ask(p *prompt) {
	p.input = newField("", "")
	m.prompt = p
}

func (m *Model) promptKey(k tea.KeyMsg) tea.Cmd {
	p := m.prompt
	switch p.kind {
	case promptConfirm:
		switch k.String() {
		case "y", "Y", "enter":
			m.prompt = nil
			return p.ok("")
		case "n", "N", "esc":
			m.prompt = nil
			m.setMsg("cancelled", false)
		}
		return nil
	}
	switch k.Type {
	case tea.KeyEsc:
		m.prompt = nil
		m.setMsg("cancelled", false)
		return nil
	case tea.KeyEnter:
		text := strings.TrimSpace(p.input.Value())
		switch {
		case p.kind == promptTyped && !strings.EqualFold(text, p.want):
			p.wrong = "that is not " + p.want + ": type it exactly, or esc"
			return nil
		case p.kind == promptReason && text == "":
			p.wrong = "a reason is needed: it is recorded"
			return nil
		}
		m.prompt = nil
		return p.ok(text)
	}
	if p.input.update(k) {
		p.wrong = ""
	}
	return nil
}

func (p *prompt) view(st *styles.Styles, w int) []string {
	q := st.BannerWarn.Render(p.question)
	switch p.kind {
	case promptConfirm:
		return []string{q + " " + st.Bold.Render("y/n")}
	}
	lines := []string{q, p.input.view(st, w, true)}
	if p.wrong != "" {
		lines = append(lines, st.Error.Render(p.wrong))
	}
	return lines
}

func (p *prompt) help(k KeyMap) []key.Binding {
	if p.kind == promptConfirm {
		return []key.Binding{k.Confirm, k.Cancel}
	}
	return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "confirm")),
		key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))}
}
