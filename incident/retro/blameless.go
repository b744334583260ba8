package retro

import (
	_ "embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// Finding is blaming language found in a section, with a neutral way to say it.
type Finding struct {
	Section    string `json:"section"`
	Line       int    `json:"line"`
	Col        int    `json:"column"`
	Text       string `json:"text"` // the words found
	Message    string `json:"message"`
	Suggestion string `json:"suggestion"`
	Rule       string `json:"rule"` // the id of the rule that found it
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %q: %s; try: %s", f.Section, f.Line, f.Col, f.Text, f.Message, f.Suggestion)
}

// defaultRulesTOML is the blameless check's own rules; blameless.toml says how a team file extends them.
//
//go:embed blameless.toml
var defaultRulesTOML []byte

// RuleFile is a file of blameless rules: the embedded default, or a team's file that extends it.
type RuleFile struct {
	// Disable names default rules a team does not want (team files only).
	Disable []string `toml:"disable"`
	Rules   []Rule   `toml:"rule"`
}

// Rule is one pattern of blaming language and what to say instead. {person} in Pattern and Except stands
// for any person of the incident.
type Rule struct {
	ID         string `toml:"id"`
	Pattern    string `toml:"pattern"`
	Except     string `toml:"except"`
	Message    string `toml:"message"`
	Suggestion string `toml:"suggestion"`
}

// RuleError is what is wrong with one value of a rule file: Field of the Index-th [[rule]] ("id",
// "pattern", ...), or the Index-th name of disable (Field "disable"). The caller, who has the file, turns
// it into a line and column.
type RuleError struct {
	Index int
	Field string
	Msg   string
}

func (e RuleError) Error() string {
	if e.Field == "disable" {
		return fmt.Sprintf("disable[%d]: %s", e.Index, e.Msg)
	}
	return fmt.Sprintf("rule %d, %s: %s", e.Index+1, e.Field, e.Msg)
}

// personSlot is what {person} stands for in a pattern.
const personSlot = "{person}"

// Rules are the compiled rules of the blameless check. The zero value has none; DefaultRules is the
// embedded set.
type Rules struct {
	list []*compiled

	mu       sync.Mutex
	byRoster map[string][]personRE // the {person} rules compiled for a roster, by the roster
}

type compiled struct {
	Rule
	re, except *regexp.Regexp // nil for a {person} rule: compiled per roster
	person     bool
}

type personRE struct{ re, except *regexp.Regexp }

var (
	defaultOnce  sync.Once
	defaultRules *Rules
)

// DefaultRules is the embedded rule set (blameless.toml).
func DefaultRules() *Rules {
	defaultOnce.Do(func() {
		var f RuleFile
		if _, err := toml.Decode(string(defaultRulesTOML), &f); err != nil {
			panic("retro: the embedded blameless.toml: " + err.Error())
		}
		r, errs := Compile(nil, f)
		if len(errs) > 0 {
			panic("retro: the embedded blameless.toml: " + errs[0].Error())
		}
		defaultRules = r
	})
	return defaultRules
}

// Compile builds the rules of base (nil: none) extended by f: f's rules are added, a rule with the id of
// one of base's replaces it, and f's disable takes base's rules out. It returns every problem of f; the
// rules are usable only when there are none.
func Compile(base *Rules, f RuleFile) (*Rules, []RuleError) {
	var errs []RuleError
	out := &Rules{}
	known := map[string]bool{}
	if base != nil {
		for _, c := range base.list {
			known[c.ID] = true
		}
	}
	off := map[string]bool{}
	for i, id := range f.Disable {
		if !known[id] {
			errs = append(errs, RuleError{i, "disable", fmt.Sprintf("there is no default rule %q: the default rules are %s", id, strings.Join(base.IDs(), ", "))})
		}
		off[id] = true
	}
	mine := map[string]*compiled{}
	seen := map[string]bool{}
	var added []*compiled
	for i, r := range f.Rules {
		bad := func(field, format string, args ...any) {
			errs = append(errs, RuleError{i, field, fmt.Sprintf(format, args...)})
		}
		switch {
		case r.ID == "":
			bad("id", "a rule needs an id, like id = \"my-rule\"")
		case seen[r.ID]:
			bad("id", "a second rule with id %q: ids are unique", r.ID)
		}
		seen[r.ID] = true
		if strings.TrimSpace(r.Message) == "" {
			bad("message", "a rule needs a message: what is wrong with the words")
		}
		if strings.TrimSpace(r.Suggestion) == "" {
			bad("suggestion", "a rule needs a suggestion: what to write instead")
		}
		c := &compiled{Rule: r, person: strings.Contains(r.Pattern+r.Except, personSlot)}
		if r.Pattern == "" {
			bad("pattern", "a rule needs a pattern (a regular expression)")
		} else if re, err := compileRule(r.Pattern, "(?:person)"); err != nil {
			bad("pattern", "%v", err)
		} else if re.MatchString("") {
			bad("pattern", "the pattern matches empty text: it would flag every line")
		} else if !c.person {
			c.re = re
		}
		if r.Except != "" {
			if re, err := compileRule(r.Except, "(?:person)"); err != nil {
				bad("except", "%v", err)
			} else if !c.person {
				c.except = re
			}
		}
		mine[r.ID] = c
		added = append(added, c)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if base != nil {
		for _, c := range base.list {
			if off[c.ID] {
				continue
			}
			if m := mine[c.ID]; m != nil {
				out.list = append(out.list, m) // replaced in its place
				delete(mine, c.ID)
				continue
			}
			out.list = append(out.list, c)
		}
	}
	for _, c := range added {
		if mine[c.ID] == c {
			out.list = append(out.list, c)
		}
	}
	return out, nil
}

// compileRule compiles a pattern case-insensitively, with {person} standing for names.
func compileRule(pattern, names string) (*regexp.Regexp, error) {
	re, err := regexp.Compile("(?i)" + strings.ReplaceAll(pattern, personSlot, names))
	if err != nil {
		return nil, fmt.Errorf("not a regular expression: %s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return re, nil
}

// IDs lists the rules' ids in order.
func (rs *Rules) IDs() []string {
	if rs == nil {
		return nil
	}
	ids := make([]string, len(rs.list))
	for i, c := range rs.list {
		ids[i] = c.ID
	}
	return ids
}

// Check finds blaming language in the text of a section with the default rules. roster lists the people of
// the incident (actors and role holders) that {person} stands for.
func Check(section, text string, roster []string) []Finding {
	return DefaultRules().Check(section, text, roster)
}

// Check finds blaming language in the text of a section. roster lists the people of the incident (actors
// and role holders) that {person} stands for. Lines that are HTML comments (prompts) are not the team's
// words and are skipped.
func (rs *Rules) Check(section, text string, roster []string) []Finding {
	if rs == nil {
		return nil
	}
	people := rs.forRoster(roster)
	var out []Finding
	seen := map[[2]int]bool{}
	for i, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "<!--") {
			continue
		}
		for k, c := range rs.list {
			re, except := c.re, c.except
			if c.person {
				if people == nil {
					continue
				}
				re, except = people[k].re, people[k].except
				if re == nil {
					continue // the names did not make a pattern (see forRoster)
				}
			}
			ms := re.FindAllStringIndex(line, -1)
			if len(ms) == 0 {
				continue
			}
			var ex [][]int
			if except != nil {
				ex = except.FindAllStringIndex(line, -1)
			}
			for _, m := range ms {
				if overlaps(m, ex) {
					continue
				}
				at := [2]int{i + 1, col(line, m[0])}
				if seen[at] {
					continue
				}
				seen[at] = true
				out = append(out, Finding{Section: section, Line: at[0], Col: at[1], Text: line[m[0]:m[1]],
					Message: c.Message, Suggestion: c.Suggestion, Rule: c.ID})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Col < out[j].Col
	})
	return out
}

func overlaps(m []int, others [][]int) bool {
	for _, o := range others {
		if o[0] < m[1] && m[0] < o[1] {
			return true
		}
	}
	return false
}

// forRoster returns the {person} rules compiled for roster (indexed like rs.list), or nil when the roster
// names nobody. They are kept per roster: the console checks on every keystroke.
func (rs *Rules) forRoster(roster []string) []personRE {
	names := nameAlternation(roster)
	if names == "" {
		return nil
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if p, ok := rs.byRoster[names]; ok {
		return p
	}
	p := make([]personRE, len(rs.list))
	for k, c := range rs.list {
		if !c.person {
			continue
		}
		// Compile checked the pattern with a stand-in name and the names are quoted valid UTF-8, so this
		// cannot fail short of a program too large; then the rule is skipped, never a panic.
		p[k].re, _ = compileRule(c.Pattern, names)
		if c.Except != "" {
			p[k].except, _ = compileRule(c.Except, names)
		}
	}
	if rs.byRoster == nil || len(rs.byRoster) > 64 {
		rs.byRoster = map[string][]personRE{}
	}
	rs.byRoster[names] = p
	return p
}

func col(line string, byteOffset int) int { return len([]rune(line[:byteOffset])) + 1 }

// nameAlternation is a regular expression group matching any roster name as a whole word, or "" for a
// roster with nobody in it. firebreak itself and root are no people.
func nameAlternation(roster []string) string {
	var alts []string
	for _, n := range roster {
		n = strings.TrimSpace(n)
		if len([]rune(n)) < 2 || !utf8.ValidString(n) || strings.EqualFold(n, "firebreak") || strings.EqualFold(n, "root") {
			continue
		}
		alts = append(alts, regexp.QuoteMeta(n))
	}
	if len(alts) == 0 {
		return ""
	}
	sort.Strings(alts)
	return `(?:` + strings.Join(alts, "|") + `)`
}
