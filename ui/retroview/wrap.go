package retroview

import (
	"unicode"

	rw "github.com/mattn/go-runewidth"
	"github.com/rivo/uniseg"
)

// wrapRows is how many display lines bubbles/textarea wraps a text line into at width: its word wrap,
// counted the same way, so the gutter's marks land on the right lines.
func wrapRows(runes []rune, width int) int {
	rows, cur, word, spaces := 1, 0, []rune(nil), 0 // cur: the width of the current display line
	for _, r := range runes {
		if unicode.IsSpace(r) {
			spaces++
		} else {
			word = append(word, r)
		}
		if spaces > 0 {
			ww := uniseg.StringWidth(string(word))
			if cur+ww+spaces > width {
				rows++
				cur = ww + spaces
			} else {
				cur += ww + spaces
			}
			spaces, word = 0, nil
		} else {
			last := rw.RuneWidth(word[len(word)-1])
			if uniseg.StringWidth(string(word))+last > width {
				if cur > 0 {
					rows++
				}
				cur = uniseg.StringWidth(string(word)) // the word fills a display line of its own
				word = nil
			}
		}
	}
	if cur+uniseg.StringWidth(string(word))+spaces >= width {
		rows++
	}
	return rows
}
