package retroview

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textarea"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/firebreak/firebreak/incident/retro"
	"github.com/firebreak/firebreak/ui/styles"
)

// editor is one section's text being edited, with its autosave state. The model keeps it after esc until
// its last edit is saved, so nothing typed is dropped by leaving.
type editor struct {
	slug, title, prompt string
	ta                  textarea.Model
	sv                  *saver
	text                string // ta.Value() after the last change, so a key that changes nothing is no edit

	loadedVersion int       // the version the text was loaded from
	loadedAuthor  string    //
	seq           int       // bumped by every edit
	sentSeq       int       // the newest edit sent to be saved
	savedSeq      int       // the newest edit saved
	saving        bool      // a save is on its way
	pending       time.Time // the first edit not yet sent (zero: none)
	lastEdit      time.Time
	armed         bool // a timer is on its way

	savedVersion  int // what the last save of ours wrote
	savedText     string
	savedConflict bool
	savedAt       time.Time

	findings []retro.Finding
	gutter   []string // the textarea's prompt per display line: a mark on lines with findings
	conflict string   // the loud banner after a conflicting save
}

// saver writes a section's versions one at a time, in the order of the edits: a save of an older edit that
// arrives after a newer one was saved is dropped, and base always follows the newest version this editor
// wrote, so an editor never conflicts with itself.
type saver struct {
	mu   sync.Mutex
	svc  *retro.Service
	id   int64
	slug string
	base int
	seq  int
}

// savedMsg is the result of one save.
type savedMsg struct {
	ed      *editor
	seq     int
	text    string
	res     retro.SaveResult
	merged  string // on a conflict: the section as it now stands, both texts in it
	skipped bool   // a newer edit was saved already
	err     error
}

func (s *saver) save(e *editor, seq int, text string) savedMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq <= s.seq {
		return savedMsg{ed: e, seq: seq, skipped: true}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := s.svc.Save(ctx, s.id, s.slug, s.base, text)
	if err != nil {
		return savedMsg{ed: e, seq: seq, text: text, err: err}
	}
	s.base, s.seq = res.Version, seq
	out := savedMsg{ed: e, seq: seq, text: text, res: res}
	if res.Conflict {
		if r, err := s.svc.Load(ctx, s.id); err == nil {
			if sec, ok := r.Section(s.slug); ok {
				out.merged = sec.Text
			}
		}
	}
	return out
}

// tickMsg is an editor's autosave timer.
type tickMsg struct{ ed *editor }

func newEditor(st *styles.Styles, sec retro.SectionText, sv *saver) *editor {
	e := &editor{slug: sec.Slug, title: sec.Title, prompt: sec.Prompt, sv: sv, loadedVersion: sec.Version,
		loadedAuthor: sec.Author, savedVersion: sec.Version, savedText: sec.Text}
	ta := textarea.New()
	ta.ShowLineNumbers = true
	ta.CharLimit = 0
	ta.Placeholder = sec.Prompt
	plain := lipgloss.NewStyle()
	ta.FocusedStyle = textarea.Style{Base: plain, CursorLine: plain, CursorLineNumber: st.Bold, EndOfBuffer: st.Subtle,
		LineNumber: st.Subtle, Placeholder: st.Subtle, Prompt: plain, Text: plain}
	ta.BlurredStyle = ta.FocusedStyle
	ta.Cursor.Style = st.Cursor
	ta.Cursor.TextStyle = plain
	ta.Cursor.SetMode(cursor.CursorStatic) // no blink timers: the screen changes only when something happens
	ta.EndOfBufferCharacter = ' '
	ta.SetPromptFunc(2, func(line int) string {
		if line < len(e.gutter) {
			return e.gutter[line]
		}
		return "  "
	})
	ta.SetValue(sec.Text) // the cursor ends at the end of the text
	e.ta = ta
	e.text = ta.Value()
	return e
}

// resize fits the textarea into w×h.
func (e *editor) resize(w, h int) {
	e.ta.ShowLineNumbers = e.ta.LineCount() < 100 && w >= 20 // the textarea numbers lines in two digits
	e.ta.SetWidth(max(w, 1))
	e.ta.SetHeight(max(h, 1))
}

// dirty reports whether an edit is not saved yet.
func (e *editor) dirty() bool { return e.seq > e.savedSeq }

// deadline is when the pending edits must be sent: debounce after the last keystroke, and at most maxWait
// after the first.
func (m *Model) deadline(e *editor) time.Time {
	d := e.lastEdit.Add(m.debounce)
	if lim := e.pending.Add(m.maxWait); lim.Before(d) {
		d = lim
	}
	return d
}

// edited records an edit and arms the autosave timer.
func (m *Model) edited(e *editor) tea.Cmd {
	now := m.now()
	e.seq++
	e.lastEdit = now
	if e.pending.IsZero() {
		e.pending = now
	}
	e.findings = m.check(e.slug, e.text)
	return m.arm(e)
}

func (m *Model) arm(e *editor) tea.Cmd {
	if e.armed || e.pending.IsZero() || e.saving {
		return nil
	}
	e.armed = true
	return m.after(max(m.deadline(e).Sub(m.now()), time.Millisecond), tickMsg{ed: e})
}

// tick sends the pending edits when their time has come, else re-arms for the rest.
func (m *Model) tick(e *editor) tea.Cmd {
	e.armed = false
	if e.pending.IsZero() || e.saving {
		return nil // the save on its way re-arms when it is back
	}
	if m.now().Before(m.deadline(e)) {
		return m.arm(e)
	}
	return m.saveCmd(e)
}

// dispatch takes the editor's text for saving now, or nil when everything is saved or on its way.
func (m *Model) dispatch(e *editor) func() savedMsg {
	if e.seq <= e.sentSeq {
		return nil
	}
	seq, text := e.seq, e.ta.Value()
	e.sentSeq, e.saving, e.pending = seq, true, time.Time{}
	return func() savedMsg { return e.sv.save(e, seq, text) }
}

func (m *Model) saveCmd(e *editor) tea.Cmd {
	job := m.dispatch(e)
	if job == nil {
		return nil
	}
	return func() tea.Msg { return job() }
}

// saved applies a save's result: the base moves on, or a conflict reloads the section with both texts.
func (m *Model) saved(msg savedMsg) tea.Cmd {
	e := msg.ed
	if msg.seq >= e.sentSeq {
		e.saving = false
	}
	if msg.skipped {
		return m.arm(e)
	}
	if msg.err != nil {
		m.setMsg(errText("saving "+e.title, msg.err), true)
		if e.pending.IsZero() {
			e.pending = m.now() // retried at the next deadline
			e.lastEdit = e.pending
		}
		e.sentSeq = min(e.sentSeq, msg.seq-1)
		return m.arm(e)
	}
	e.savedSeq = max(e.savedSeq, msg.seq)
	e.savedVersion, e.savedText, e.savedConflict, e.savedAt = msg.res.Version, msg.text, msg.res.Conflict, m.now()
	if m.msgErr && strings.HasPrefix(m.msg, "saving ") {
		m.msg, m.msgErr = "", false
	}
	var cmd tea.Cmd
	if msg.res.Conflict {
		cmd = m.conflicted(e, msg)
	}
	m.patchSection(e)
	if e.pending.IsZero() && !e.dirty() && m.ed != e {
		delete(m.editors, e.slug) // left and saved: the next open loads afresh
	}
	return tea.Batch(cmd, m.arm(e))
}

// conflicted puts the section with both texts into the editor and says loudly who saved first. What was
// typed while the save was on its way stays, in place of the text that was sent.
func (m *Model) conflicted(e *editor, msg savedMsg) tea.Cmd {
	other := msg.res.Other
	if other == "" {
		other = "someone"
	}
	e.conflict = fmt.Sprintf("CONFLICT: %s saved %q first. Both texts are kept (version %d, between <<<<<<< and >>>>>>>): merge them here; the merge saves as the next version.",
		other, e.title, msg.res.Version)
	m.setMsg("", false)
	merged := msg.merged
	if merged == "" {
		return nil
	}
	e.savedText = merged
	cur := e.ta.Value()
	if cur != msg.text {
		// Typed since: keep it, in place of the sent text inside the merged version.
		sent := strings.TrimRight(msg.text, "\n")
		if i := strings.LastIndex(merged, "=======\n"+sent); i >= 0 {
			j := i + len("=======\n")
			merged = merged[:j] + strings.TrimRight(cur, "\n") + merged[j+len(sent):]
		}
		e.ta.SetValue(merged)
		e.text = e.ta.Value()
		return m.edited(e)
	}
	e.ta.SetValue(merged)
	e.text = e.ta.Value()
	e.findings = m.check(e.slug, e.text)
	return nil
}

// patchSection shows an editor's last save in the section list without reading the database again.
func (m *Model) patchSection(e *editor) {
	if m.retro == nil {
		return
	}
	sec, ok := m.retro.Section(e.slug)
	if !ok || e.savedVersion < sec.Version {
		return
	}
	sec.Text, sec.Version, sec.Author, sec.Conflict = e.savedText, e.savedVersion, m.actor(), e.savedConflict
	if !e.savedAt.IsZero() {
		sec.At = e.savedAt
	}
	m.findings[e.slug] = m.check(e.slug, sec.Text)
}

// openEditor opens a section: its unsaved editor if there is one, else the text as loaded.
func (m *Model) openEditor(sec retro.SectionText) tea.Cmd {
	if m.retro != nil {
		if err := m.retro.Locked(); err != nil && m.editors[sec.Slug] == nil {
			m.setMsg(err.Error()+"; S here does the same", true)
			return nil
		}
	}
	e := m.editors[sec.Slug]
	if e == nil {
		e = newEditor(m.st, sec, &saver{svc: m.svc, id: m.inc.ID, slug: sec.Slug, base: sec.Version})
		e.findings = m.check(e.slug, e.text)
		if sec.Conflict {
			e.conflict = "CONFLICT: this section holds two texts (between <<<<<<< and >>>>>>>): merge them; the merge saves as the next version."
		}
		m.editors[sec.Slug] = e
	}
	m.ed = e
	m.mode = modeEditor
	m.msg = ""
	e.resize(m.w, m.editorHeight())
	return e.ta.Focus()
}

// closeEditor leaves the editor, saving first.
func (m *Model) closeEditor() tea.Cmd {
	e := m.ed
	e.ta.Blur()
	m.mode = modeList
	m.ed = nil
	cmd := m.saveCmd(e)
	if cmd == nil && !e.saving && !e.dirty() {
		delete(m.editors, e.slug)
	}
	return cmd
}

func (m *Model) editorKey(k tea.KeyMsg) tea.Cmd {
	e := m.ed
	switch {
	case k.Type == tea.KeyEsc:
		return m.closeEditor()
	case k.String() == "ctrl+s":
		return m.saveCmd(e)
	case k.Type == tea.KeyTab:
		m.openPreview(modeEditor, false)
		return nil
	}
	var cmd tea.Cmd
	e.ta, cmd = e.ta.Update(k)
	if v := e.ta.Value(); v != e.text {
		e.text = v
		if lines := e.ta.LineCount(); (lines < 100) != e.ta.ShowLineNumbers {
			e.resize(m.w, m.editorHeight())
		}
		return tea.Batch(cmd, m.edited(e))
	}
	return cmd
}

// editorHeight is the textarea's height: the screen less the header, the findings and the footer.
func (m *Model) editorHeight() int {
	return max(m.h-2-len(m.footer())-len(m.findingsBlock(m.ed)), 1)
}

// findingsBlock is the findings under the editor, wrapped, in at most a third of the screen.
func (m *Model) findingsBlock(e *editor) []string {
	if e == nil || len(e.findings) == 0 || m.h < 12 {
		return nil
	}
	return findingsLines(m.st, e.findings, m.w, max(m.h/3, 2), false)
}

// editorView is the section's header, the textarea with its gutter marks, and the findings below.
func (m *Model) editorView(room int) []string {
	e := m.ed
	e.resize(m.w, m.editorHeight())
	e.gutter = m.gutterFor(e)
	out := []string{m.st.Title.Render("Edit · "+e.title) + "  " + m.saveState(e)}
	if e.prompt != "" {
		out = append(out, m.st.Subtle.Render(e.prompt))
	} else {
		out = append(out, "")
	}
	out = append(out, strings.Split(e.ta.View(), "\n")...)
	return append(out, m.findingsBlock(e)...)
}

// findingsLines is "N blameless findings" and each finding wrapped to w, in at most limit lines.
func findingsLines(st *styles.Styles, fs []retro.Finding, w, limit int, withSection bool) []string {
	out := []string{st.Warn.Render(fmt.Sprintf("%d blameless finding%s", len(fs), plural(len(fs))))}
	for i, f := range fs {
		line := findingLine(st, f)
		if withSection {
			line = st.Subtle.Render(f.Section+" ") + line
		}
		ls := wrapIndent(line, w, 2)
		last := i == len(fs)-1
		if len(out)+len(ls) > limit-1 && !last || len(out)+len(ls) > limit {
			// Short of room for it whole: one clipped line, so the footer lists findings, not only a count.
			ls = []string{ansi.Truncate(line, max(w, 1), "…")}
		}
		if len(out)+1 > limit-1 && !last || len(out)+1 > limit {
			return append(out, st.Subtle.Render(fmt.Sprintf("… and %d more", len(fs)-i)))
		}
		out = append(out, ls...)
	}
	return out
}

// wrapIndent wraps a styled line to w cells, the continuation lines indented.
func wrapIndent(s string, w, indent int) []string {
	if w <= indent+4 {
		return []string{s}
	}
	ls := wrap(s, w)
	if len(ls) <= 1 {
		return ls
	}
	rest := wrap(strings.Join(ls[1:], " "), w-indent)
	for i := range rest {
		rest[i] = strings.Repeat(" ", indent) + rest[i]
	}
	return append(ls[:1], rest...)
}

// findingLine is "! L3:14 "should have": judges with hindsight; try: …".
func findingLine(st *styles.Styles, f retro.Finding) string {
	return st.Warn.Render(fmt.Sprintf("! L%d:%d", f.Line, f.Col)) + fmt.Sprintf(" %q: %s; ", f.Text, f.Message) +
		st.Subtle.Render("try: "+f.Suggestion)
}

// saveState says where the text stands: saved as version N, unsaved, saving.
func (m *Model) saveState(e *editor) string {
	switch {
	case e.saving:
		return m.st.Subtle.Render("saving…")
	case e.dirty():
		return m.st.Warn.Render("unsaved")
	case e.savedVersion > 0 && e.savedVersion != e.loadedVersion:
		return m.st.OK.Render(fmt.Sprintf("saved v%d", e.savedVersion))
	case e.loadedVersion > 0:
		return m.st.Subtle.Render(fmt.Sprintf("v%d by %s", e.loadedVersion, e.loadedAuthor))
	}
	return m.st.Subtle.Render("prefilled draft")
}

// gutterFor marks the first display line of every text line that has a finding. The textarea numbers its
// prompt by display line (wrapped lines count), so the text lines are wrapped the way it wraps them.
func (m *Model) gutterFor(e *editor) []string {
	if len(e.findings) == 0 {
		return nil
	}
	marked := map[int]bool{}
	for _, f := range e.findings {
		marked[f.Line] = true
	}
	var out []string
	mark := m.st.Warn.Render("!") + " "
	for i, line := range strings.Split(e.ta.Value(), "\n") {
		n := wrapRows([]rune(line), e.ta.Width())
		for r := range n {
			if r == 0 && marked[i+1] {
				out = append(out, mark)
			} else {
				out = append(out, "  ")
			}
		}
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
