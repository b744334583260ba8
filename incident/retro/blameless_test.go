package retro

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

var corpusRoster = []string{"alice", "bob", "Carol Ng", "james"}

// TestBlamelessCorpus checks every sentence of testdata/blameless_corpus.txt: each "flag RULE:" sentence
// is found by that rule, each "ok:" sentence by no rule, and every default rule has a sentence it flags.
func TestBlamelessCorpus(t *testing.T) {
	f, err := os.Open("testdata/blameless_corpus.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flagged := map[string]int{}
	oks := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		head, sentence, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("corpus line %d: want \"flag RULE: SENTENCE\" or \"ok: SENTENCE\"", n)
		}
		fs := Check("went-wrong", sentence, corpusRoster)
		switch {
		case head == "ok":
			oks++
			if len(fs) > 0 {
				t.Errorf("corpus line %d: %q must not be flagged, got %v", n, sentence, fs)
			}
		case strings.HasPrefix(head, "flag "):
			rule := strings.TrimPrefix(head, "flag ")
			found := false
			for _, f := range fs {
				found = found || f.Rule == rule
				if f.Suggestion == "" || f.Message == "" || f.Line != 1 || f.Col < 1 || f.Text == "" {
					t.Errorf("corpus line %d: incomplete finding %+v", n, f)
				}
			}
			if !found {
				t.Errorf("corpus line %d: %q: rule %s found nothing (findings: %v)", n, sentence, rule, fs)
			}
			flagged[rule]++
		default:
			t.Fatalf("corpus line %d: unknown head %q", n, head)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, id := range DefaultRules().IDs() {
		if flagged[id] == 0 {
			t.Errorf("default rule %s has no \"flag %s:\" sentence in the corpus", id, id)
		}
	}
	if oks < 20 {
		t.Errorf("only %d ordinary sentences in the corpus", oks)
	}
}

// A {person} rule needs the roster: without one, "bob broke the deploy" names nobody the check knows.
func TestPersonRulesNeedTheRoster(t *testing.T) {
	if fs := Check("s", "bob broke the deploy.", nil); len(fs) != 0 {
		t.Errorf("no roster, findings %v", fs)
	}
	fs := Check("s", "bob broke the deploy.", []string{"bob"})
	if len(fs) != 1 || fs[0].Rule != "person-subject" || fs[0].Text != "bob broke" {
		t.Errorf("findings %+v", fs)
	}
	// firebreak itself and root are no people; a one-letter name would match everywhere.
	if fs := Check("s", "root broke; firebreak forgot; a missed.", []string{"root", "firebreak", "a"}); len(fs) != 0 {
		t.Errorf("findings %v", fs)
	}
	// A name is a whole word: "bob" is not in "bobby".
	if fs := Check("s", "bobby broke the build", []string{"bob"}); len(fs) != 0 {
		t.Errorf("findings %v", fs)
	}
}

func TestCheckPositions(t *testing.T) {
	fs := Check("s", "fine line\n  It was careless.", nil)
	if len(fs) != 1 || fs[0].Line != 2 || fs[0].Col != 10 || fs[0].Text != "careless" {
		t.Fatalf("%+v", fs)
	}
	// Columns count characters, not bytes.
	fs = Check("s", "Ünïcödé: it was careless", nil)
	if len(fs) != 1 || fs[0].Col != 17 {
		t.Fatalf("%+v", fs)
	}
	// Prompts (HTML comments) are not the team's words.
	if fs := Check("s", "<!-- why didn't they? careless -->", nil); len(fs) != 0 {
		t.Fatalf("%+v", fs)
	}
}

// A team file adds rules, replaces a default rule by its id and disables others.
func TestCompileTeamRules(t *testing.T) {
	var f RuleFile
	_, err := toml.Decode(`
disable = ["hindsight"]

[[rule]]
id = "judgement"
pattern = '\bcowboy\b'
message = "judges a person"
suggestion = "describe the change"

[[rule]]
id = "person-rockstar"
pattern = '\b{person} the hero\b'
message = "makes one person the story"
suggestion = "name what the team did"
`, &f)
	if err != nil {
		t.Fatal(err)
	}
	rs, errs := Compile(DefaultRules(), f)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ids := strings.Join(rs.IDs(), " ")
	if strings.Contains(ids, "hindsight") || !strings.HasSuffix(ids, "person-rockstar") || strings.Count(ids, "judgement") != 1 {
		t.Fatalf("ids %s", ids)
	}
	roster := []string{"alice"}
	for text, want := range map[string]string{
		"a cowboy change":              "judgement",
		"alice the hero saved the day": "person-rockstar",
		"It was a careless change":     "", // the replaced judgement rule no longer knows "careless"
		"We should have known":         "", // disabled
		"It was all bobs fault":        "fault",
	} {
		fs := rs.Check("s", text, roster)
		switch {
		case want == "" && len(fs) > 0:
			t.Errorf("%q: findings %v, want none", text, fs)
		case want != "" && (len(fs) != 1 || fs[0].Rule != want):
			t.Errorf("%q: findings %+v, want one by %s", text, fs, want)
		}
	}
}

func TestCompileRuleErrors(t *testing.T) {
	f := RuleFile{Disable: []string{"no-such-rule"}, Rules: []Rule{
		{ID: "a", Pattern: `(unclosed`, Message: "m", Suggestion: "s"},
		{ID: "a", Pattern: `x*`, Message: "m", Suggestion: "s"},
		{ID: "", Pattern: `ok`, Except: `[z-a]`},
	}}
	_, errs := Compile(DefaultRules(), f)
	want := []RuleError{
		{0, "disable", ""}, {0, "pattern", ""}, {1, "id", ""}, {1, "pattern", ""},
		{2, "id", ""}, {2, "message", ""}, {2, "suggestion", ""}, {2, "except", ""},
	}
	if len(errs) != len(want) {
		t.Fatalf("errors %v, want %d", errs, len(want))
	}
	for i, w := range want {
		if errs[i].Index != w.Index || errs[i].Field != w.Field || errs[i].Msg == "" {
			t.Errorf("error %d: %+v, want %+v", i, errs[i], w)
		}
	}
	if !strings.Contains(errs[0].Msg, "person-subject") || !strings.Contains(errs[1].Msg, "not a regular expression") ||
		!strings.Contains(errs[3].Msg, "matches empty text") {
		t.Errorf("messages: %v", errs)
	}
}

// BenchmarkCheck is the console's check on a keystroke: a 60-line section, a roster of five.
func BenchmarkCheck(b *testing.B) {
	text := strings.Repeat("alice restarted the canary at 03:12 and the error rate dropped; bob watched the graphs.\n", 60)
	roster := []string{"alice", "bob", "Carol Ng", "james", "dave"}
	rs := DefaultRules()
	b.ReportAllocs()
	for b.Loop() {
		rs.Check("summary", text, roster)
	}
}

// A roster name that is not text (invalid UTF-8) is no person: the check goes on with the others.
func TestRosterNameNotText(t *testing.T) {
	fs := Check("s", "bob broke it", []string{"bob", "x\xff\x00y"})
	if len(fs) != 1 || fs[0].Rule != "person-subject" {
		t.Errorf("findings %+v", fs)
	}
}
