package retro

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// Data text (titles, notes, event texts, reasons, names, host names, tickets) goes into the export through
// escapeText, which keeps it text: it can never open a heading, a list, a rule, a table row, emphasis, a
// link, an autolink or HTML, whichever CommonMark or GFM reader renders it. Section text is the team's own
// Markdown and keeps it, but its raw HTML is shown as text (escapeHTML).

// escapeText makes data text inert inline Markdown. It is folded onto one line (a line break could start
// any block), and control and bidi characters become U+FFFD. Then a backslash goes before (CommonMark
// allows one before any ASCII punctuation, and a reader sees the character itself):
//   - everywhere, the characters that open inline structure or HTML: \ ` * _ [ ] < > | # ~ ! & and the '@'
//     of an e-mail address, which GFM would make a link;
//   - at the start, where the text may begin a line, the block markers - + = and the '.' or ')' of an
//     ordered list marker (12. or 12));
//   - the ':' after a URL scheme (http, https, ftp, mailto, xmpp, file) and the '.' after "www", so a bare
//     URL in a note stays text rather than becoming a link nobody checked.
//
// The rest (a '-' inside a word, a time like 12:05) is written as it is, so the Markdown stays readable.
func escapeText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	digits := true // every character so far is a digit
	for i, r := range s {
		switch {
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || isBidiControl(r):
			r = utf8.RuneError
		case strings.ContainsRune("\\`*_[]<>|#~!&@", r),
			i == 0 && strings.ContainsRune("-+=", r),
			i > 0 && digits && (r == '.' || r == ')'),
			r == ':' && afterScheme(s[:i]),
			r == '.' && hasSuffixFold(s[:i], "www"):
			b.WriteByte('\\')
		}
		digits = digits && isDigit(byte(r))
		b.WriteRune(r)
	}
	return b.String()
}

// afterScheme reports whether s ends in a URL scheme that GFM readers autolink.
func afterScheme(s string) bool {
	for _, scheme := range []string{"http", "https", "ftp", "mailto", "xmpp", "file"} {
		if hasSuffixFold(s, scheme) {
			return true
		}
	}
	return false
}

// cell is data text for a GFM table cell: escapeText already folds line breaks and escapes '|'.
func cell(s string) string { return escapeText(s) }

// codeSpan shows an identifier (a runbook and step id) as inline code whatever it contains: the fence is
// longer than any run of backticks inside, line breaks are folded, and a '|' (which would end a GFM table
// cell even inside code) is escaped.
func codeSpan(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || isBidiControl(r) {
			return utf8.RuneError
		}
		return r
	}, s)
	s = strings.ReplaceAll(s, "|", "\\|")
	longest, run := 0, 0
	for _, c := range []byte(s) {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if longest > 0 || s == "" {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// gfm parses Markdown as the export's readers do (CommonMark with the GFM extensions).
var gfm = goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser()

// escapeHTML returns section text with its raw HTML (HTML blocks and inline tags) shown as text: each '<'
// of them becomes &lt;. The rest of the team's Markdown is kept as written, code included (a '<' in a code
// span is not HTML and is left alone). Control and bidi characters other than tab and newline become
// U+FFFD, as everywhere in the export.
func escapeHTML(md string) string {
	md = strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || isBidiControl(r)) {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(md, "\uFFFD"))
	if !strings.Contains(md, "<") {
		return md
	}
	src := []byte(md)
	doc := gfm.Parse(text.NewReader(src))
	html := make([]bool, len(src)) // bytes inside raw HTML
	mark := func(seg text.Segment) {
		for i := seg.Start; i < seg.Stop && i < len(src); i++ {
			html[i] = true
		}
	}
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.RawHTML:
			for i := 0; i < n.Segments.Len(); i++ {
				mark(n.Segments.At(i))
			}
		case *ast.HTMLBlock:
			for i := 0; i < n.Lines().Len(); i++ {
				mark(n.Lines().At(i))
			}
			if n.HasClosure() {
				mark(n.ClosureLine)
			}
		}
		return ast.WalkContinue, nil
	})
	var b bytes.Buffer
	for i, c := range src {
		if c == '<' && html[i] {
			b.WriteString("&lt;")
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
