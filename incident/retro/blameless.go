package retro

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Finding is blaming language found in a section, with a neutral way to say it.
type Finding struct {
	Section    string `json:"section"`
	Line       int    `json:"line"`
	Col        int    `json:"column"`
	Text       string `json:"text"` // the words found
	Message    string `json:"message"`
	Suggestion string `json:"suggestion"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %q: %s; try: %s", f.Section, f.Line, f.Col, f.Text, f.Message, f.Suggestion)
}

// phrase is a pattern of blaming language and what to say instead.
type phrase struct {
	re         *regexp.Regexp
	message    string
	suggestion string
}

var phrases = []phrase{
	{regexp.MustCompile(`(?i)\b[\p{L}][\p{L}.-]*'s fault\b|\bfault of\b|\b(his|her|their|my|your) fault\b|\bto blame\b|\bblame[sd]?\b`),
		"assigns fault", "describe what happened and what in the system allowed it"},
	{regexp.MustCompile(`(?i)\b(should|could|would)(n't| not)? have\b|\bshould've\b|\bought to have\b`),
		"judges with hindsight", "say what was known at the time and what would make the right action easier"},
	{regexp.MustCompile(`(?i)\bfailed to\b|\bneglected to\b|\bforgot to\b|\bdidn't bother\b|\bdid not bother\b`),
		"frames it as a personal failure", "say what did not happen and why the system did not catch it"},
	{regexp.MustCompile(`(?i)\b(careless(ly|ness)?|negligen(t|ce)|sloppy|lazy|incompetent|stupid|dumb|reckless|irresponsible)\b`),
		"judges a person", "describe the action and its context without judging it"},
	{regexp.MustCompile(`(?i)\bhuman error\b|\boperator error\b|\buser error\b|\bpebkac\b`),
		"stops at a person", "ask what made the error possible and easy to make"},
	{regexp.MustCompile(`(?i)\bwhy didn'?t (he|she|they|you)\b`),
		"asks for a person's excuse", "ask what information or tooling was missing"},
}

// mistakeWords are verbs and nouns that, next to a person's name, turn a sentence into blame.
var mistakeWords = regexp.MustCompile(`(?i)\b(broke|breaks|broken|mistake|mistakes|messed|screwed|caused|causing|forgot|missed|ignored|typo|fault|wrong|bad|botched|error)\b`)

// Check finds blaming language in the text of a section. roster lists the people of the incident (actors
// and role holders): a person's name within a few words of a mistake is a finding too.
func Check(section, text string, roster []string) []Finding {
	var out []Finding
	seen := map[[2]int]bool{}
	add := func(line, col int, words, msg, sugg string) {
		if seen[[2]int{line, col}] {
			return
		}
		seen[[2]int{line, col}] = true
		out = append(out, Finding{Section: section, Line: line, Col: col, Text: words, Message: msg, Suggestion: sugg})
	}
	names := nameRegexp(roster)
	for i, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "<!--") { // prompts are ours, not the team's words
			continue
		}
		for _, p := range phrases {
			for _, m := range p.re.FindAllStringIndex(line, -1) {
				add(i+1, col(line, m[0]), line[m[0]:m[1]], p.message, p.suggestion)
			}
		}
		if names == nil {
			continue
		}
		for _, sentence := range sentences(line) {
			nm := names.FindStringIndex(sentence.text)
			mm := mistakeWords.FindStringIndex(sentence.text)
			if nm == nil || mm == nil || wordsBetween(sentence.text, nm, mm) > 4 {
				continue
			}
			start := sentence.offset + nm[0]
			add(i+1, col(line, start), sentence.text[nm[0]:nm[1]],
				"names a person next to a mistake", "name the role or the step (\"the deploy\", \"the on-call engineer\") and what the system allowed")
		}
	}
	return out
}

func col(line string, byteOffset int) int { return len([]rune(line[:byteOffset])) + 1 }

// nameRegexp matches any roster name as a whole word (case-insensitive), or nil for an empty roster.
func nameRegexp(roster []string) *regexp.Regexp {
	var alts []string
	for _, n := range roster {
		n = strings.TrimSpace(n)
		if len([]rune(n)) < 2 || strings.EqualFold(n, "firebreak") || strings.EqualFold(n, "root") {
			continue
		}
		alts = append(alts, regexp.QuoteMeta(n))
	}
	if len(alts) == 0 {
		return nil
	}
	return regexp.MustCompile(`(?i)\b(` + strings.Join(alts, "|") + `)('s)?\b`)
}

type sentence struct {
	text   string
	offset int
}

func sentences(line string) []sentence {
	var out []sentence
	start := 0
	for i, r := range line {
		if r == '.' || r == '!' || r == '?' || r == ';' {
			out = append(out, sentence{line[start : i+1], start})
			start = i + 1
		}
	}
	if start < len(line) {
		out = append(out, sentence{line[start:], start})
	}
	return out
}

// wordsBetween counts the words between two matches in s.
func wordsBetween(s string, a, b []int) int {
	lo, hi := a[1], b[0]
	if b[0] < a[0] {
		lo, hi = b[1], a[0]
	}
	if hi <= lo {
		return 0
	}
	return len(strings.FieldsFunc(s[lo:hi], func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' }))
}
