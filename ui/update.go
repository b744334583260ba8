package ui

import (
	"context"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/rollout"
)

// updateEditorKeys are the keys of the stakeholder update's editor.
type updateEditorKeys struct{ Send, Cancel key.Binding }

// updateEditor drafts a stakeholder update with incident.Service.DraftUpdate, lets the commander edit it,
// and records it with PostUpdate: the functions `firebreak update` calls, so the notify hooks send it on.
type updateEditor struct {
	c     *common
	keys  updateEditorKeys
	id    int64
	ref   string
	ta    textarea.Model
	draft *incident.UpdateDraft // nil until the draft is read
	busy  bool
	err   string
}

// updateDraftMsg is a draft read for an update editor.
type updateDraftMsg struct {
	from  *updateEditor
	draft incident.UpdateDraft
	err   error
}

// openUpdateEditor opens the editor over the cockpit and reads the draft into it.
func (cp *cockpit) openUpdateEditor() tea.Cmd {
	e := &updateEditor{c: cp.c, id: cp.id, ref: incident.Ref(cp.id), keys: updateEditorKeys{
		Send:   key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "send the update")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel: nothing is sent")),
	}}
	ta := textarea.New()
	ta.ShowLineNumbers = false
	ta.CharLimit = 16 << 10
	plain := lipgloss.NewStyle()
	ta.FocusedStyle = textarea.Style{Base: plain, CursorLine: plain, EndOfBuffer: cp.c.st.Subtle, Placeholder: cp.c.st.Subtle,
		Prompt: cp.c.st.Subtle, Text: plain}
	ta.BlurredStyle = ta.FocusedStyle
	ta.Cursor.Style = cp.c.st.Cursor
	ta.Cursor.TextStyle = plain
	ta.Cursor.SetMode(cursor.CursorStatic)
	ta.EndOfBufferCharacter = ' '
	ta.Placeholder = "drafting the update…"
	ta.Focus()
	e.ta = ta
	cp.c.open(e)
	id := cp.id
	return cp.c.read(func(ctx context.Context) tea.Msg {
		d, err := cp.c.d.Incidents.DraftUpdate(ctx, id, incident.UpdateDraftOptions{RunRef: rollout.RunRef})
		return updateDraftMsg{from: e, draft: d, err: err}
	})
}

func (e *updateEditor) Typing() bool { return true }

func (e *updateEditor) Update(msg tea.Msg) (bool, tea.Cmd) {
	switch msg := msg.(type) {
	case updateDraftMsg:
		if msg.from != e {
			return false, nil
		}
		if msg.err != nil {
			e.err = "drafting the update: " + errText(msg.err)
			return false, nil
		}
		e.draft = &msg.draft
		e.ta.SetValue(msg.draft.Text())
		for e.ta.Line() > 0 { // from the top: the commander reads it before editing
			e.ta.CursorUp()
		}
		e.ta.CursorStart()
		return false, nil
	case actionMsg:
		if msg.from != e {
			return false, nil
		}
		e.busy = false
		if msg.err != nil {
			e.err = errText(msg.err)
			return false, nil
		}
		return true, nil
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, e.keys.Cancel):
			return true, nil
		case e.busy:
			return false, nil
		case key.Matches(msg, e.keys.Send):
			if e.draft == nil {
				return false, nil
			}
			text, drafted, next := e.ta.Value(), e.draft.Text(), e.draft.NextUpdate
			edited := strings.TrimSpace(text) != strings.TrimSpace(drafted)
			e.busy, e.err = true, ""
			return false, e.c.act(e, e.ref+": update recorded and sent to the notify hooks", func(ctx context.Context) error {
				_, err := e.c.d.Incidents.PostUpdate(ctx, e.id, text, next, edited)
				return err
			})
		}
		var cmd tea.Cmd
		e.ta, cmd = e.ta.Update(msg)
		e.err = ""
		return false, cmd
	}
	return false, nil
}

// Height is most of the room: the update is a page of text.
func (e *updateEditor) Height(avail int) int { return min(avail, max(8, avail*3/4)) }

func (e *updateEditor) View(w, h int) string {
	title := e.c.st.Bold.Render("Stakeholder update for " + e.ref)
	if e.busy {
		title += e.c.st.Subtle.Render("  sending…")
	}
	status := e.c.st.Subtle.Render("ctrl+s sends it to the timeline and the notify hooks · esc cancels")
	if e.err != "" {
		status = e.c.st.Error.Render(e.err)
	}
	e.ta.SetWidth(max(w, 1))
	e.ta.SetHeight(max(h-2, 1))
	return fit(title+"\n"+e.ta.View()+"\n"+status, w, h)
}

func (e *updateEditor) ShortHelp() []key.Binding { return []key.Binding{e.keys.Send, e.keys.Cancel} }

func (e *updateEditor) FullHelp() [][]key.Binding {
	return [][]key.Binding{{e.keys.Send, e.keys.Cancel}}
}
