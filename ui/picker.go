package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/ui/styles"
)

// pickerKeys are the keys of a picker: typing filters.
type pickerKeys struct{ Up, Down, Pick, Cancel key.Binding }

func newPickerKeys() pickerKeys {
	return pickerKeys{
		Up:     key.NewBinding(key.WithKeys("up", "ctrl+p"), key.WithHelp("↑", "up")),
		Down:   key.NewBinding(key.WithKeys("down", "ctrl+n"), key.WithHelp("↓", "down")),
		Pick:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// pickItem is one choice: id is what is picked, label what is shown, detail a dimmer second column. A
// disabled item is shown (with why, in detail) but the cursor never rests on it and it cannot be chosen.
type pickItem struct {
	id, label, detail string
	disabled          bool
}

// itemsMsg fills a picker whose items load in the background.
type itemsMsg struct {
	to    *picker
	items []pickItem
	err   error
}

// picker chooses one item from a list, filtered by what is typed. pick does what the choice means; like a
// form, the picker stays open until that reports back, showing its error.
type picker struct {
	st      *styles.Styles
	keys    pickerKeys
	title   string
	items   []pickItem
	shown   []int
	cursor  int
	offset  int
	filter  *input
	loading bool
	busy    bool
	err     string
	tall    bool // takes the whole screen (a long list) rather than a few lines
	pick    func(p *picker, it pickItem) tea.Cmd
}

func newPicker(st *styles.Styles, title string, items []pickItem, pick func(p *picker, it pickItem) tea.Cmd) *picker {
	p := &picker{st: st, keys: newPickerKeys(), title: title, filter: newInput(""), pick: pick}
	p.setItems(items)
	return p
}

func (p *picker) setItems(items []pickItem) {
	p.items = items
	p.applyFilter()
}

func (p *picker) applyFilter() {
	q := strings.ToLower(strings.TrimSpace(p.filter.Value()))
	p.shown = p.shown[:0]
	for i, it := range p.items {
		if q == "" || strings.Contains(strings.ToLower(it.id+" "+it.label+" "+it.detail), q) {
			p.shown = append(p.shown, i)
		}
	}
	p.cursor = min(p.cursor, max(0, len(p.shown)-1))
	p.settle(1)
}

// settle moves the cursor off a disabled item, in direction dir (1 down, -1 up), else the other way.
func (p *picker) settle(dir int) {
	for _, d := range []int{dir, -dir} {
		for c := p.cursor; c >= 0 && c < len(p.shown); c += d {
			if !p.items[p.shown[c]].disabled {
				p.cursor = c
				return
			}
		}
	}
}

// preselect puts the cursor on the item with id (when shown and enabled).
func (p *picker) preselect(id string) {
	for j, i := range p.shown {
		if p.items[i].id == id && !p.items[i].disabled {
			p.cursor = j
		}
	}
}

func (p *picker) Typing() bool { return true }

func (p *picker) Update(msg tea.Msg) (bool, tea.Cmd) {
	switch msg := msg.(type) {
	case itemsMsg:
		if msg.to == p {
			p.loading = false
			if msg.err != nil {
				p.err = errText(msg.err)
			}
			p.setItems(msg.items)
		}
	case actionMsg:
		if msg.from != p {
			return false, nil
		}
		p.busy = false
		if msg.err != nil {
			p.err = errText(msg.err)
			return false, nil
		}
		return true, nil
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, p.keys.Cancel):
			return true, nil
		case p.busy:
		case key.Matches(msg, p.keys.Up):
			p.cursor = max(0, p.cursor-1)
			p.settle(-1)
		case key.Matches(msg, p.keys.Down):
			p.cursor = min(max(0, len(p.shown)-1), p.cursor+1)
			p.settle(1)
		case key.Matches(msg, p.keys.Pick):
			if len(p.shown) == 0 {
				return false, nil
			}
			if it := p.items[p.shown[p.cursor]]; it.disabled {
				p.err = it.label + ": " + it.detail
				return false, nil
			}
			p.busy, p.err = true, ""
			return false, p.pick(p, p.items[p.shown[p.cursor]])
		case msg.String() == "/" && p.filter.Value() == "":
			// "/" starts filtering everywhere else; here typing filters already, so it is not a character.
		default:
			if p.filter.Update(msg) {
				p.err = ""
				p.cursor = 0
				p.applyFilter()
			}
		}
	}
	return false, nil
}

func (p *picker) Height(avail int) int {
	if p.tall {
		return avail
	}
	return min(avail, len(p.items)+3)
}

func (p *picker) View(w, h int) string {
	var lines []string
	title := p.st.Bold.Render(p.title)
	if p.busy || p.loading {
		title += p.st.Subtle.Render("  …")
	}
	lines = append(lines, title)
	lines = append(lines, p.st.Prompt.Render("/ ")+p.filter.View(p.st, w-2, true, "type to filter"))
	rows := h - 3
	p.offset = scrollTo(p.offset, p.cursor, rows, len(p.shown))
	labelW := 0
	for _, i := range p.shown {
		labelW = max(labelW, len([]rune(p.items[i].label)))
	}
	labelW = min(labelW, max(10, w/2))
	for r := 0; r < rows; r++ {
		j := p.offset + r
		if j >= len(p.shown) {
			break
		}
		it := p.items[p.shown[j]]
		line := "  " + pad(it.label, labelW) + "  " + p.st.Subtle.Render(it.detail)
		if it.disabled {
			line = p.st.Subtle.Render("  " + pad(it.label, labelW) + "  " + it.detail)
		}
		if j == p.cursor && !it.disabled {
			line = p.st.Selected.Render(pad("> "+pad(it.label, labelW)+"  "+it.detail, w))
		}
		lines = append(lines, clip(line, w))
	}
	switch {
	case p.err != "":
		lines = append(lines, p.st.Error.Render(p.err))
	case len(p.shown) == 0 && !p.loading:
		lines = append(lines, p.st.Subtle.Render("nothing matches"))
	case len(p.shown) > rows:
		lines = append(lines, p.st.Subtle.Render(fmt.Sprintf("%d of %d", len(p.shown), len(p.items))))
	}
	return fit(strings.Join(lines, "\n"), w, h)
}

func (p *picker) ShortHelp() []key.Binding {
	return []key.Binding{p.keys.Pick, p.keys.Up, p.keys.Down, p.keys.Cancel}
}
func (p *picker) FullHelp() [][]key.Binding { return [][]key.Binding{p.ShortHelp()} }
